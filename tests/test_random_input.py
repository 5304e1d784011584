"""Random text at the date, name and option parsers, through ``main``: every answer is
either a success or exactly one ``error:`` line, never a traceback."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main

TODAY = date(2026, 11, 28)
SOURCE = ["--source", "Random report", "--source-date", "2014-01-15"]

# Any text, with the characters that broke parsers before weighted in.
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789-/. .+:Tx\u0660\u0662\uff10\uff12\n\x1b\t", max_size=14),
    st.sampled_from(["", " ", "-2013", "9999-12-31", "0000", "9999", "nan", "inf", "-0"]),
)

COMMANDS = [
    ["status", "--as-of"],
    ["status", "--recorded-by"],
    ["status", "--reported-by"],
    ["replay", "--to"],
    ["diff", "--from", "2010", "--to"],
    ["status"],
    ["explain"],
    ["entities"],
    ["append", "negotiation", "--entity", "Norinco", "--forum", "JCCT", *SOURCE, "--date"],
    ["append", "activity", "--entity", "Norinco", "--summary", "s", "--date", "2013",
     "--source", "R", "--source-date"],
    ["append", "registration", "--kind", "company", "--date", "2013", *SOURCE, "--entity"],
    ["append", "alias", "--entity", "Norinco", "--date", "2013", *SOURCE, "--alias"],
    ["append", "identifier", "--entity", "Norinco", "--date", "2013", *SOURCE, "--identifier"],
    ["append", "imposition", "--entity", "Norinco", "--program", "P", "--date", "2013",
     *SOURCE, "--authority"],
    ["import", "{missing}", "--max-removal"],
    ["status", "--format"],
]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("random") / "s.sqlite")
    assert main(["init", "--store", path], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    return path


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(command=st.sampled_from(COMMANDS), text=TEXT)
def test_random_text_is_accepted_or_refused_in_one_line(
    store: str, tmp_path: Path, command: list[str], text: str
) -> None:
    argv = [a.replace("{missing}", str(tmp_path / "none.jsonl")) for a in command]
    out, err = io.StringIO(), io.StringIO()

    code = main(
        [*argv, text, "--store", store],
        stdout=out,
        stderr=err,
        environ={"HOME": str(tmp_path)},
        today=TODAY,
    )

    lines = err.getvalue().splitlines()
    if code == 0:
        assert not [line for line in lines if line.startswith("error:")]
    else:
        assert code == 2
        assert len(lines) == 1, lines
        assert lines[0].startswith("error: "), lines
