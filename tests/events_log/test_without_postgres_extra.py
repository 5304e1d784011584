"""The tool runs on SQLite without the PostgreSQL extra (psycopg) installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# psycopg made unimportable, as on a machine where only `pip install -e .` ran.
PROGRAM = """
import sys
sys.modules["psycopg"] = None
from cli import main
raise SystemExit(main(["status", "Norinco", "--as-of", "2010", "--store", sys.argv[1]]))
"""


def test_a_new_sqlite_store_answers_without_psycopg(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"

    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(store)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "China North Industries Corp." in done.stdout
    assert "lapsed" in done.stdout


def test_a_postgresql_store_without_psycopg_is_one_line_naming_the_extra(tmp_path: Path) -> None:
    url = "postgresql://someone@localhost:1/nothing"

    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: PostgreSQL stores need psycopg and libpq (")
    assert "pip install 'sanctions-tracker[postgres]'" in lines[0]
