"""JSON Lines files: UTF-8 (or gzip of it), and one import of several files is one
transaction."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from events_log.app import SanctionsApp
from events_log.jsonl import ImportError_
from events_log.jsonl_files import import_files
from events_log.store import resolve_store


def _line(key: str, name: str) -> str:
    source = {"title": "S", "published": "2014-01-15"}
    data = {"key": key, "type": "entity_registered", "entity": name, "kind": "company"}
    return json.dumps({**data, "date": "2013", "source": source}, ensure_ascii=False) + "\n"


@pytest.fixture
def app(tmp_path: Path) -> SanctionsApp:
    return SanctionsApp(resolve_store(str(tmp_path / "s.sqlite"), {}))


def test_several_files_are_imported_with_their_own_counts(
    app: SanctionsApp, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz"
    first.write_text(_line("a", "Alpha Co") + _line("b", "Beta Co"), encoding="utf-8")
    second.write_bytes(gzip.compress(("\ufeff" + _line("c", "Gamma Co")).encode()))

    results = import_files(app, [first, second])

    assert [r.summary() for r in results] == [
        "imported a.jsonl: 2 lines, 2 new events",
        "imported b.jsonl.gz: 1 lines, 1 new events",
    ]
    assert app.max_position() > 0


def test_a_bad_line_in_the_last_file_leaves_the_store_untouched(
    app: SanctionsApp, tmp_path: Path
) -> None:
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(_line("a", "Alpha Co"), encoding="utf-8")
    bad.write_text(_line("b", "Beta Co") + "{not json\n", encoding="utf-8")

    with pytest.raises(ImportError_, match=r"^bad.jsonl:2: not valid JSON"):
        import_files(app, [good, bad])

    assert app.max_position() == 0


def test_bytes_that_are_not_utf8_name_the_line_and_byte(app: SanctionsApp, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        _line("a", "Alpha").encode() + _line("b", "Soci\u00e9t\u00e9").encode("latin-1")
    )

    with pytest.raises(ImportError_) as raised:
        import_files(app, [path])

    assert str(raised.value).startswith("latin1.jsonl:2: not UTF-8 text (byte 0xe9 at column ")


def test_a_key_reused_for_a_different_event_names_both_lines(
    app: SanctionsApp, tmp_path: Path
) -> None:
    path = tmp_path / "reused.jsonl"
    path.write_text(_line("a", "Alpha Co") + _line("a", "Other Co"), encoding="utf-8")

    with pytest.raises(ImportError_) as raised:
        import_files(app, [path])

    assert str(raised.value) == (
        "reused.jsonl:2: key 'a' is already used by reused.jsonl:1 for a different event: "
        "each key names one event"
    )


def test_a_repeated_identical_line_is_imported_once(app: SanctionsApp, tmp_path: Path) -> None:
    path = tmp_path / "twice.jsonl"
    path.write_text(_line("a", "Alpha Co") * 2, encoding="utf-8")

    (result,) = import_files(app, [path])

    assert result.summary() == "imported twice.jsonl: 2 lines, 1 new events"


def test_a_field_given_twice_in_one_object_is_refused(app: SanctionsApp, tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text(_line("a", "Alpha Co").replace('"kind": "company"', '"kind": "a", "kind": "b"'))

    with pytest.raises(ImportError_) as raised:
        import_files(app, [path])

    assert (
        str(raised.value)
        == "dup.jsonl:1: the field 'kind' appears twice in one object: give it once"
    )
