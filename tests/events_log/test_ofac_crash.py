"""An OFAC import killed at random moments (SIGKILL, as a power cut would) leaves each
snapshot all or nothing, and running it again converges to the uninterrupted result.

Real snapshots from ``../shared/data/ofac-sdn/``, a real SQLite store, the import a
process of its own (with any helper processes it starts: the whole process group is
killed).
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from cli import main

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(
    os.environ.get("SANCTIONS_OFAC_SNAPSHOTS") or ROOT.parent / "shared" / "data" / "ofac-sdn"
)
pytestmark = pytest.mark.skipif(
    not SNAPSHOTS.is_dir() and not os.environ.get("CI"),
    reason=f"OFAC snapshots not found at {SNAPSHOTS} (set SANCTIONS_OFAC_SNAPSHOTS)",
)
# The first snapshot into an empty store is one large transaction (about 80k rows); the two
# after it are small ones. Three kills are spread over the uninterrupted import's duration.
FILES = [SNAPSHOTS / f"sdn-{day}.csv.gz" for day in ("2021-08-18", "2021-09-02", "2021-10-06")]
KILLS = 3
TODAY = date(2026, 11, 28)

Rows = Counter[tuple[str, int, str]]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ={}, today=TODAY)
    return code, out.getvalue(), err.getvalue()


def start_import(store: Path, files: list[Path]) -> subprocess.Popen[bytes]:
    """``sanctions import`` in a process group of its own (it may start helpers)."""
    env = {k: v for k, v in os.environ.items() if k != "SANCTIONS_STORE"}
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "import", "--quiet", "--store", str(store)]
        + [str(f) for f in files],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def import_fully(store: Path, files: list[Path]) -> float:
    began = time.monotonic()
    process = start_import(store, files)
    _, err = process.communicate(timeout=900)
    assert process.returncode == 0, err.decode()
    return time.monotonic() - began


def stored_rows(store: Path) -> Rows:
    """What the log holds: each event's originator, version and type (its stored state
    carries the moment it was recorded, which differs from one import to the next)."""
    with closing(sqlite3.connect(store)) as database:
        rows = database.execute(
            "SELECT originator_id, originator_version, topic FROM stored_events"
        )
        return Counter(rows.fetchall())


def statuses(store: Path) -> object:
    code, out, err = run(
        "status", "--store", str(store), "--as-of", "2026-11-28", "--format", "json"
    )
    assert (code, err) == (0, "")
    return json.loads(out)


def new_store(path: Path) -> Path:
    assert run("init", "--empty", "--store", str(path))[0] == 0
    return path


class TestImportKilled:
    def test_each_snapshot_is_all_or_nothing_and_a_rerun_converges(self, tmp_path: Path) -> None:
        reference = new_store(tmp_path / "reference.sqlite")
        prefixes = [stored_rows(reference)]  # the log after 0, 1, 2, 3 snapshots
        took = 0.0
        for path in FILES:
            took += import_fully(reference, [path])
            prefixes.append(stored_rows(reference))
        seed = random.randrange(2**32)
        chance = random.Random(seed)
        moments = sorted(chance.uniform(0.05, 0.95) * took for _ in range(KILLS))
        crashed = new_store(tmp_path / "crashed.sqlite")
        reached = []

        for moment in moments:
            process = start_import(crashed, FILES)
            try:
                process.wait(timeout=moment)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            assert process.stderr is not None
            process.stderr.close()
            rows = stored_rows(crashed)
            assert rows in prefixes, f"not a prefix of the snapshots (seed {seed}, {moment:.1f}s)"
            reached.append(prefixes.index(rows))
            assert run("verify", "--store", str(crashed))[0] == 0
        import_fully(crashed, FILES)

        print(f"\nkilled at {', '.join(f'{m:.1f}s' for m in moments)} of {took:.1f}s: "
              f"snapshots on record {reached} (seed {seed})")  # fmt: skip
        assert reached == sorted(reached)  # a later run never loses what an earlier one wrote
        assert stored_rows(crashed) == prefixes[-1]
        assert sum(stored_rows(crashed).values()) == sum(prefixes[-1].values())
        assert statuses(crashed) == statuses(reference)
        code, out, err = run("verify", "--store", str(crashed))
        assert (code, err) == (0, "")
        assert out.startswith(f"verified {sum(prefixes[-1].values())} log entries: ")
