"""The FtM formats from the command line: exact output, and one error line on refusal."""

from __future__ import annotations

import io
import sys
from datetime import date
from pathlib import Path

import pytest

from cli import main


def run(home: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [*argv, "--store", str(home / "s.sqlite")],
        stdout=out,
        stderr=err,
        environ={"HOME": str(home)},
        today=date(2026, 11, 28),
    )
    return code, out.getvalue(), err.getvalue()


def test_import_prints_what_the_file_held_and_export_writes_valid_ftm(
    tmp_path: Path, zala: Path
) -> None:
    run(tmp_path, "init", "--empty")

    code, out, err = run(tmp_path, "import", str(zala), "--format", "ftm")
    exported = tmp_path / "out.ftm.json"
    export_code, _, export_err = run(tmp_path, "export", "--format", "ftm", "-o", str(exported))

    assert (code, err) == (0, "")
    assert out == (
        "imported yente-zala-entities.ftm.json: 91 FtM entities; 2 parties with 41 Sanctions; "
        "3 parties without a Sanction registered, 12 targets without a Sanction not "
        "registered; not parties: 11 Address, 3 Directorship, 4 Family, 14 Ownership, "
        "1 Passport; 135 new events\n"
    )
    assert export_code == 0
    assert export_err == f"exported 46 FtM entities to {exported}\n"


def test_a_refused_file_gets_one_error_line_and_nothing_is_written(tmp_path: Path) -> None:
    run(tmp_path, "init", "--empty")
    bad = tmp_path / "bad.ftm.json"
    bad.write_text(
        '{"id": "s", "schema": "Sanction", "properties": {"entity": ["gone"], '
        '"authority": ["A"]}}\n',
        encoding="utf-8",
    )

    code, out, err = run(tmp_path, "import", str(bad), "--format", "ftm")
    _, log, _ = run(tmp_path, "log", "--format", "json")

    assert (code, out) == (2, "")
    assert err == (
        "error: bad.ftm.json:1: Sanction s names entity 'gone', which is not a party "
        "(Person, Company, Organization, Vessel, ...) in the file\n"
    )
    assert log == '{"events": []}\n'


def test_a_delta_feed_prints_one_line_per_version(tmp_path: Path, feed: Path) -> None:
    run(tmp_path, "init", "--empty")

    code, out, _ = run(tmp_path, "import", str(feed), "--format", "ftm-delta")

    assert code == 0
    assert out.splitlines()[-1] == (
        "imported delta version 20240528134729-3iv (2024-05-28T13:47:29+00:00): 1 ADD; "
        "3 parties listed, 1 added, 0 removed, 0 changed; 5 new events"
    )


def test_observed_is_refused_for_ftm_files(tmp_path: Path, zala: Path) -> None:
    code, out, err = run(tmp_path, "import", str(zala), "--format", "ftm", "--observed", "2026")

    assert (code, out) == (2, "")
    assert err == (
        "error: --observed applies to OFAC snapshots; FtM records and delta versions carry dates\n"
    )
    assert not (tmp_path / "s.sqlite").exists()


def test_without_the_library_the_ftm_formats_say_how_to_install_it(
    tmp_path: Path, zala: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "followthemoney", None)  # as if not installed

    code, out, err = run(tmp_path, "export", "--format", "ftm")

    assert (code, out) == (2, "")
    assert err == (
        "error: the FtM formats need the followthemoney library: pip install -e '.[ftm]' "
        "(it builds PyICU: apt-get install libicu-dev pkg-config g++ first)\n"
    )
    assert not (tmp_path / "s.sqlite").exists()
