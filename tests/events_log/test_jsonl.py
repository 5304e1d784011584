"""JSON Lines export and import: exact round trips, idempotent imports, clear refusals."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.dates import parse_date
from domain.errors import DomainError
from domain.record import Source
from events_log.app import SanctionsApp
from events_log.jsonl import JsonlImporter, export
from events_log.store import resolve_store
from projections.render import status_json
from projections.views import Horizon, all_records, view

SOURCE = Source(title="Test report", publisher="Desk", published=date(2020, 6, 1), quote="q")


def open_store(path: Path) -> SanctionsApp:
    return SanctionsApp(resolve_store(str(path), {}))


def exported(app: SanctionsApp) -> str:
    out = io.StringIO()
    export(app, out)
    return out.getvalue()


def statuses(app: SanctionsApp, when: str) -> object:
    as_of = parse_date(when, cap=False)
    views = [view(r, as_of) for r in sorted(all_records(app, Horizon()), key=lambda r: r.name)]
    return status_json(views, as_of, Horizon())


# One step of a random history: (kind, entity index, date text).
steps = st.lists(
    st.tuples(
        st.sampled_from(["impose", "lift", "negotiate", "request", "correct", "retract"]),
        st.integers(0, 2),
        st.sampled_from(["2001", "2003-05", "2005/2007", "..2010", "2012..", "early 2000s"]),
    ),
    max_size=12,
)


def build(app: SanctionsApp, plan: list[tuple[str, int, str]]) -> None:
    ids = [
        app.register_entity(
            name=f"Entity {i}", kind="company", country=None, effective=None, source=SOURCE
        )
        for i in range(3)
    ]
    made: list[str] = []
    for kind, index, text in plan:
        # A refused command writes nothing; the history goes on.
        with contextlib.suppress(DomainError):
            made += apply_step(app, ids[index], made, kind, index, text)


def apply_step(
    app: SanctionsApp, entity_id: UUID, made: list[str], kind: str, index: int, text: str
) -> list[str]:
    when = parse_date(text, published=SOURCE.published)
    envelope = {"effective": when, "source": SOURCE}
    fix = {"effective": None, "source": SOURCE}
    if kind == "impose":
        return app.act([entity_id], lambda e: e.impose("A", "P", None, **envelope))
    if kind == "lift":
        return app.act(
            [entity_id],
            lambda e: e.end_measure(
                "sanction_lifted", e.infer_measure("sanction_lifted"), **envelope
            ),
        )
    if kind == "negotiate":
        return app.act([entity_id], lambda e: e.mention_negotiation("F", None, **envelope))
    if kind == "request":
        return app.act([entity_id], lambda e: e.request_delisting("X", None, **envelope))
    if not made:
        return []
    owner, target = app.find_event(made[index % len(made)])
    if kind == "correct":
        return app.act([owner], lambda e: e.correct(target.event_id, {"effective": when}, **fix))
    return app.act([owner], lambda e: e.retract(target.event_id, "withdrawn", **fix))


class TestRoundTrip:
    @settings(max_examples=25, deadline=None)
    @given(plan=steps, when=st.sampled_from(["2000", "2004", "2008", "2011", "2020-06-01"]))
    def test_export_import_export_is_identical_and_answers_agree(
        self, plan: list[tuple[str, int, str]], when: str
    ) -> None:
        with tempfile.TemporaryDirectory() as folder:
            original = open_store(Path(folder) / "a.sqlite")
            build(original, plan)
            first = exported(original)

            copy = open_store(Path(folder) / "b.sqlite")
            JsonlImporter(copy).import_lines(io.StringIO(first), "export.jsonl")
            second = exported(copy)

            assert second == first
            assert statuses(copy, when) == statuses(original, when)

    def test_importing_the_same_file_twice_adds_nothing(self, tmp_path: Path) -> None:
        original = open_store(tmp_path / "a.sqlite")
        build(original, [("impose", 0, "2001"), ("lift", 0, "2005/2007")])
        text = exported(original)
        copy = open_store(tmp_path / "b.sqlite")

        first = JsonlImporter(copy).import_lines(io.StringIO(text), "x.jsonl")
        second = JsonlImporter(copy).import_lines(io.StringIO(text), "x.jsonl")

        assert (first, second) == (len(text.splitlines()), 0)

    def test_record_times_ids_and_sources_are_kept(self, tmp_path: Path) -> None:
        original = open_store(tmp_path / "a.sqlite")
        build(original, [("impose", 1, "2001")])
        lines = [json.loads(line) for line in exported(original).splitlines()]
        copy = open_store(tmp_path / "b.sqlite")

        JsonlImporter(copy).import_lines(io.StringIO(exported(original)), "x.jsonl")
        copied = [json.loads(line) for line in exported(copy).splitlines()]

        keys = [(x["event_id"], x["entity_id"], x["recorded_at"], x["source"]) for x in copied]
        assert keys == [
            (x["event_id"], x["entity_id"], x["recorded_at"], x["source"]) for x in lines
        ]


class TestRefusals:
    @pytest.mark.parametrize(
        ("line", "message"),
        [
            # not JSON at all
            (
                "{nope",
                "bad.jsonl:1: not valid JSON (Expecting property name enclosed in double quotes)",
            ),
            # an unknown event type
            (
                '{"type": "sanction_frozen", "key": "k"}',
                "bad.jsonl:1: type 'sanction_frozen' is not one of",
            ),
            # no key and no event id: importing twice could not be idempotent
            ('{"type": "activity_reported"}', "bad.jsonl:1: each line needs a 'key'"),
            # a source without a title
            (
                '{"type": "activity_reported", "key": "k", "source": {}}',
                "bad.jsonl:1: 'source' must be an object with a non-empty 'title'",
            ),
        ],
    )
    def test_a_bad_line_is_refused_with_its_line_number_and_nothing_is_written(
        self, tmp_path: Path, line: str, message: str
    ) -> None:
        app = open_store(tmp_path / "a.sqlite")
        good = (
            '{"type": "entity_registered", "key": "e", "entity": "Acme", "kind": "company",'
            ' "date": "2001", "source": {"title": "T", "published": "2002-01-01"}}'
        )

        with pytest.raises(DomainError) as refused:
            JsonlImporter(app).import_lines(io.StringIO(good + "\n" + line), "bad.jsonl")

        assert str(refused.value).replace("bad.jsonl:2", "bad.jsonl:1").startswith(message)
        assert app.max_position() == 0
