"""Writers in processes of their own, each starting cold against a fresh PostgreSQL server,
lose nothing: no process fails because another one is setting up the same store.

The store does not exist when the first four start: one creates and loads it while the
others wait, then every process opens a store that is already there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from events_log.app import SanctionsApp
from events_log.store import resolve_store

if TYPE_CHECKING:
    from tests.conftest import PostgresServer

WRITERS = 4
APPENDS = 15  # each one a new 'sanctions' process
ROOT = Path(__file__).resolve().parents[2]


def sanctions(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line in a new process, as a user does."""
    env = {k: v for k, v in os.environ.items() if k != "SANCTIONS_STORE"}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def append_one_by_one(
    store: str, writer: int, together: threading.Barrier, outcomes: list[tuple[int, int, str]]
) -> None:
    """Start a new process per append, at the same moment as the other writers start theirs
    (processes that start together set up their connection to the store together)."""
    for number in range(APPENDS):
        together.wait(timeout=600)
        done = sanctions(
            "append", "activity", "--store", store, "--entity", "Norinco", "--date", "2013",
            "--source", "Desk note", "--summary", f"writer {writer} append {number}",
        )  # fmt: skip
        outcomes.append((writer, done.returncode, done.stderr))


@pytest.mark.postgres
class TestWritersInNewProcesses:
    def test_four_writers_of_fifteen_new_processes_each_lose_no_append(
        self, fresh_postgres_server: PostgresServer
    ) -> None:
        server = fresh_postgres_server
        store = server.url(server.create_database())
        outcomes: list[tuple[int, int, str]] = []
        together = threading.Barrier(WRITERS)
        threads = [
            threading.Thread(target=append_one_by_one, args=(store, writer, together, outcomes))
            for writer in range(WRITERS)
        ]

        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        failed = [(writer, code, err) for writer, code, err in outcomes if code != 0]
        assert failed == []
        notes = [err for _, _, err in outcomes if err]
        assert len(notes) == 1  # one process created the store, the others found it made
        assert notes[0].startswith(f"note: created store {server.display(store.rsplit('/')[-1])}")
        app = SanctionsApp(resolve_store(store, {}))
        summaries = [e.get("summary") for e in app.entity_events(app.find("Norinco"))]
        appended = sorted(s for s in summaries if s and s.startswith("writer "))
        assert appended == sorted(
            f"writer {w} append {n}" for w in range(WRITERS) for n in range(APPENDS)
        )
        app.close()
