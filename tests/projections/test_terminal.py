"""Text as a terminal shows it, and the tables and CSV built from stored text that may
hold anything: control characters escaped, columns aligned by display width."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from domain.dates import parse_date
from domain.record import Recorded, Source
from projections import event_render, render, terminal
from projections.views import EntityView, Horizon, record_of, view

WIDTH = 80


def _view(name: str, aliases: tuple[str, ...] = ()) -> EntityView:
    """A view of an entity registered under ``name``, as an older store could hold it."""
    when = datetime(2014, 1, 1, tzinfo=UTC)
    source = Source("Test report")
    events = [
        Recorded(
            type="entity_registered",
            event_id="e" * 32,
            entity_id="12345678-1234-5678-1234-567812345678",
            effective=None,
            source=source,
            recorded_at=when,
            fields={"name": name, "kind": "company", "country": None},
        ),
        *(
            Recorded(
                type="alias_added",
                event_id=f"{index:032x}",
                entity_id="12345678-1234-5678-1234-567812345678",
                effective=None,
                source=source,
                recorded_at=when,
                fields={"alias": alias},
            )
            for index, alias in enumerate(aliases, start=1)
        ),
    ]
    record = record_of("12345678-1234-5678-1234-567812345678", events, Horizon())
    return view(record, parse_date("2014", cap=False))


class TestEscape:
    def test_control_characters_are_written_as_escapes(self) -> None:
        assert terminal.escape("a\nb\tc\x1b[2J\x00\x85") == "a\\nb\\tc\\x1b[2J\\x00\\x85"

    def test_a_direction_override_is_escaped(self) -> None:
        assert terminal.escape("abc\u202edef") == "abc\\u202edef"

    def test_printable_text_is_unchanged(self) -> None:
        assert (
            terminal.escape("Zhuhai Zhenrong 珠海振戎 Société")
            == "Zhuhai Zhenrong 珠海振戎 Société"
        )


class TestWidth:
    def test_wide_characters_take_two_columns_and_combining_marks_none(self) -> None:
        assert terminal.width("珠海") == 4
        assert terminal.width("Cafe\u0301") == 4
        assert terminal.width("\uff26") == 2

    def test_pad_fills_to_the_display_width(self) -> None:
        padded = terminal.pad("珠海振戎", 10)

        assert padded == "珠海振戎  "
        assert terminal.width(padded) == 10

    def test_fit_cuts_by_display_width_and_never_splits_into_an_overflow(self) -> None:
        assert terminal.fit("珠海振戎公司", 7) == "珠海振~"
        assert terminal.width(terminal.fit("珠海振戎公司", 8)) <= 8

    def test_wrap_keeps_every_line_within_the_width(self) -> None:
        lines = terminal.wrap("珠海振戎" * 100 + " word " * 30, 40, 2)

        assert all(terminal.width(line) <= 40 for line in lines)
        assert "".join(line.strip() for line in lines).startswith("珠海振戎珠海振戎")


class TestTables:
    def test_the_status_table_aligns_wide_and_escaped_names(self) -> None:
        views = [_view("珠海振戎公司"), _view("Tab\there"), _view("Line\nbreak"), _view("Plain")]

        table = render.status_table(views, parse_date("2014", cap=False), Horizon())

        rows = table.splitlines()[3:]
        assert [row.split("  ")[0].strip() for row in rows] == [
            "珠海振戎公司",
            "Tab\\there",
            "Line\\nbreak",
            "Plain",
        ]
        assert {terminal.width(row[: row.index("not_sanctioned")]) for row in rows} == {35}

    def test_an_escape_sequence_in_a_name_never_reaches_the_terminal(self) -> None:
        views = [_view("Evil\x1b[2J Co", aliases=("x\x07",))]

        table = render.status_table(views, parse_date("2014", cap=False), Horizon())
        detail = render.detail_block(views[0])
        entities = event_render.entities_table([views[0].record])

        for text in (table, detail, entities):
            assert "\x1b" not in text
            assert "\x07" not in text
        assert "Evil\\x1b[2J Co" in table

    def test_the_detail_block_wraps_a_10000_character_name(self) -> None:
        name = "Verylongname " * 769  # 9,997 characters

        detail = render.detail_block(_view(name.strip()))

        assert all(terminal.width(line) <= WIDTH for line in detail.splitlines())
        assert len(detail.splitlines()) > 100


class TestCsv:
    def test_a_field_holding_a_bare_carriage_return_is_quoted(self) -> None:
        text = render.status_csv([_view("Carriage\rreturn Co")])

        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert '"Carriage\rreturn Co"' in text
        assert [row[1] for row in rows] == ["name", "Carriage\rreturn Co"]

    def test_rows_still_end_in_a_newline_alone(self) -> None:
        text = render.status_csv([_view("Plain Co")])

        assert "\r" not in text
        assert text.count("\n") == 1
