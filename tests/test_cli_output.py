"""Standard output that cannot take the text: a full disk, a non-Unicode encoding. Run as
real processes, since the interpreter's own streams are what fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = Path(__file__).parent.parent / "cli.py"
NAME = "珠海振戎 Société"


def _run(
    *argv: str, stdout: int | None = subprocess.PIPE, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CLI), *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={**os.environ, **env},
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("out") / "s.sqlite")
    for argv in (
        ("init", "--empty"),
        ("append", "registration", "--entity", NAME, "--kind", "company", "--date", "2013"),
    ):
        done = (
            _run(*argv, "--source", "Test", "--store", path)
            if len(argv) > 2
            else _run(*argv, "--store", path)
        )
        assert done.returncode == 0, done.stderr
    return path


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("argv", [("log",), ("log", "--format", "json"), ("export",)])
def test_a_full_disk_on_standard_output_is_one_error_line(store: str, argv: tuple[str]) -> None:
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = _run(*argv, "--store", store, stdout=full.fileno())

    assert done.returncode == 2
    assert done.stderr == "error: cannot write the output: No space left on device\n"


def test_an_ascii_terminal_gets_escapes_in_tables(store: str) -> None:
    done = _run("entities", "--store", store, PYTHONIOENCODING="ascii")

    assert done.returncode == 0, done.stderr
    assert "\\u73e0\\u6d77\\u632f\\u620e Soci\\xe9t\\xe9" in done.stdout


def test_an_ascii_terminal_gets_valid_json_with_unicode_escapes(store: str) -> None:
    done = _run("status", NAME, "--format", "json", "--store", store, PYTHONIOENCODING="ascii")

    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii()
    assert json.loads(done.stdout)["entities"][0]["name"] == NAME


def test_an_error_naming_a_wide_character_reaches_an_ascii_terminal(store: str) -> None:
    done = _run(
        "status", "--as-of", "\uff12\uff10\uff11\uff13", "--store", store, PYTHONIOENCODING="ascii"
    )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: date '\\uff12\\uff10\\uff11\\uff13' holds the character '\\uff12' "
        "(U+FF12 FULLWIDTH DIGIT TWO) at position 1: dates are written in ASCII, "
        "with the digits 0-9"
    ]
