"""The import session's direct rows (events_log/bulk_write.py) and the library's save of
the same events store the same log: every column of every row of the events table
(notification id, aggregate, version, topic, state bytes), entities' and labels' alike,
and refuse the same line with the same message, writing nothing of a refused file.

Both imports run on the same clock (the library's ``datetime_now_with_tzinfo`` replaced by
a counter), so that the record times the clock gives (lines without ``recorded_at``,
labels) are the same when each path asks for them in the same order.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from events_log.app import SanctionsApp
from events_log.jsonl import JsonlImporter, key_to_event_id
from events_log.session import ImportSession
from events_log.store import resolve_store
from tests.builders import RECORDED_AT, intervals

ENTITIES = [UUID(int=n) for n in (1, 2, 3)]
HAND_WRITTEN = ("alias_added", "sanction_imposed", "negotiation_mentioned")
TEXT = st.one_of(
    st.sampled_from(["OFAC", "NPWMD", "China", "Entity 1", "x:1", "sold parts"]),
    st.text(alphabet="ab \u00e9\u73e0\n", min_size=1, max_size=5),
).filter(lambda text: bool(text.strip()))


def _interval(draw: st.DrawFn) -> dict[str, Any] | None:
    interval = draw(intervals(date(2000, 1, 1), 4000, months=True))
    if interval is None:
        return None
    return {
        "text": interval.text,
        "from": None if interval.start is None else interval.start.isoformat(),
        "until": None if interval.until is None else interval.until.isoformat(),
        "how": interval.how,
    }


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Registrations and random steps (some refused by the rules, some without a record
    time, some repeated), as exported lines."""
    lines: list[dict[str, Any]] = []
    made: dict[str, list[str]] = {}  # entity: its event ids
    measures: dict[str, list[str]] = {}

    def line(entity: UUID, type_: str, **fields: Any) -> str:
        number = len(lines) + 1
        event_id = f"{number:032x}"
        data = {
            "event_id": event_id,
            "entity_id": entity.hex,
            "type": type_,
            "effective": _interval(draw),
            "source": {"title": draw(TEXT), "published": "2013-10-04"},
            "correlation_id": draw(st.sampled_from([None, "c1"])),
            **fields,
        }
        if draw(st.booleans()):
            data["recorded_at"] = (RECORDED_AT + timedelta(seconds=number)).isoformat()
        if type_ in HAND_WRITTEN and draw(st.booleans()):  # named, keyed, dated as text
            del data["event_id"], data["entity_id"], data["effective"]
            event_id = key_to_event_id(f"k{number}")
            data.update(entity=f"Entity {entity.int}", key=f"k{number}", date="2013")
        lines.append(data)
        made.setdefault(entity.hex, []).append(event_id)
        return event_id

    for entity in ENTITIES[: draw(st.integers(1, 3))]:
        line(entity, "entity_registered", name=f"Entity {entity.int}", kind="company")
        measures[entity.hex] = []
    for _ in range(draw(st.integers(0, 12))):
        entity = UUID(draw(st.sampled_from(sorted(measures))))
        own = measures[entity.hex]
        kind = draw(st.sampled_from(["alias", "id", "impose", "end", "request", "fix", "other"]))
        if kind == "alias":
            line(entity, "alias_added", alias=draw(TEXT))
        elif kind == "id":
            line(entity, "identifier_added", identifier=f"x:{draw(TEXT)}")
        elif kind == "impose":
            own.append(line(entity, "sanction_imposed", authority=draw(TEXT), program="P"))
        elif kind == "end" and own:
            type_ = draw(st.sampled_from(["sanction_lapsed", "sanction_waived", "waiver_ended"]))
            line(entity, type_, measure_id=draw(st.sampled_from(own)))
        elif kind == "request":
            line(entity, "delisting_requested", requested_by=draw(TEXT), forum=None)
        elif kind == "fix":
            target = draw(st.sampled_from(made[entity.hex]))
            if draw(st.booleans()):
                line(
                    entity, "event_corrected", target=target, changes={"effective": _interval(draw)}
                )
            else:
                line(entity, "event_retracted", target=target, reason=draw(TEXT))
        else:
            line(entity, "negotiation_mentioned", forum=draw(TEXT), summary=None)
        if lines and draw(st.integers(0, 9)) == 0:
            lines.append(dict(draw(st.sampled_from(lines))))  # a repeat: nothing new
    return lines


@contextmanager
def counting_clock() -> Iterator[None]:
    ticks = itertools.count()

    def now() -> datetime:
        return RECORDED_AT + timedelta(days=400, microseconds=next(ticks))

    with mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", now):
        yield


def import_in_two_files(
    app: SanctionsApp, lines: list[dict[str, Any]], cut: int, *, direct: bool
) -> list[tuple[str | None, int]]:
    """The lines as two files, each its own import (the second finds the first's entities
    and labels in the store); each file's refusal (or None) and the rows after it."""
    answers: list[tuple[str | None, int]] = []
    for name, part in (("a.jsonl", lines[:cut]), ("b.jsonl", lines[cut:])):
        importer = JsonlImporter(app)
        importer.session = ImportSession(app, direct=direct)
        text = "".join(json.dumps(data) + "\n" for data in part)
        try:
            importer.import_lines(io.StringIO(text), name)
            refusal = None
        except DomainError as refused:
            refusal = str(refused)
        answers.append((refusal, len(every_row(app))))
    return answers


def every_row(app: SanctionsApp) -> list[tuple[Any, ...]]:
    """Every column of every row of the events table, in notification order."""
    return [
        (n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state))
        for n in app.recorder.select_notifications(start=1, limit=1_000_000)
    ]


def both_paths(make_app: Any, lines: list[dict[str, Any]], cut: int) -> None:
    results = []
    for direct in (True, False):
        app = make_app()
        with counting_clock():
            answers = import_in_two_files(app, lines, cut, direct=direct)
        results.append((answers, every_row(app)))
        app.close()
    (direct_answers, direct_rows), (library_answers, library_rows) = results
    assert direct_answers == library_answers
    assert direct_rows == library_rows
    before = 0
    for refusal, rows in direct_answers:  # a refused file writes nothing
        assert refusal is None or rows == before
        before = rows


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=records(), data=st.data())
def test_direct_rows_are_the_rows_the_library_stores_on_sqlite(
    tmp_path_factory: pytest.TempPathFactory, lines: list[dict[str, Any]], data: st.DataObject
) -> None:
    work = tmp_path_factory.mktemp("bulk")
    stores = iter(["one.sqlite", "two.sqlite"])
    cut = data.draw(st.integers(0, len(lines)))
    both_paths(lambda: SanctionsApp(resolve_store(str(work / next(stores)), {})), lines, cut)


@pytest.mark.postgres
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=records(), data=st.data())
def test_direct_rows_are_the_rows_the_library_stores_on_postgresql(
    postgres_server: Any, lines: list[dict[str, Any]], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(lines)))
    both_paths(
        lambda: SanctionsApp(
            resolve_store(postgres_server.url(postgres_server.create_database()), {})
        ),
        lines,
        cut,
    )


def test_the_records_give_refused_and_accepted_files_and_steps_the_rules_refuse(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The properties above are only as good as their records: all kinds must come up.
    seen = {"refused": 0, "accepted": 0, "rule": 0}

    @settings(max_examples=60, deadline=None)
    @given(lines=records())
    def count(lines: list[dict[str, Any]]) -> None:
        store = tmp_path_factory.mktemp("count") / "events.sqlite"
        app = SanctionsApp(resolve_store(str(store), {}))
        try:
            JsonlImporter(app).import_lines(
                io.StringIO("".join(json.dumps(d) + "\n" for d in lines)), "x.jsonl"
            )
            seen["accepted"] += 1
        except DomainError as refusal:
            seen["refused"] += 1
            seen["rule"] += "required" not in str(refusal)

    count()

    assert seen["accepted"] > 5
    assert seen["refused"] > 5
    assert seen["rule"] > 2
