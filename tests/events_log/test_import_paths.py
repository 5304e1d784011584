"""The import path (JSON Lines through one import session, saved in one transaction) and
the per-command path (each event its own write, as ``append`` does) give the same log:
the same aggregates, versions, topics and stored bytes, and the same refusal, with
nothing written by a refused import."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.entity import Entity
from domain.errors import DomainError
from domain.record import Source
from events_log.app import SanctionsApp
from events_log.compression import plain_state
from events_log.jsonl import JsonlImporter, interval_from_json
from events_log.store import resolve_store
from tests.builders import RECORDED_AT, intervals

ENTITIES = [UUID(int=n) for n in (1, 2)]
TEXT = st.one_of(
    st.sampled_from(["OFAC", "NPWMD", "China", "JCCT", "sold parts", "  "]),
    st.text(alphabet="ab \u00e9\u73e0\n\x1b\x85", min_size=1, max_size=6),
)
# Blank text is refused by the file format itself, before any rule, in the file's own words
# ("'alias' is required and must be non-empty text"): the rules' refusals are compared.
TITLE = TEXT.filter(lambda text: bool(text.strip()))
KINDS = ["alias", "identifier", "imposition", "ending", "waiver", "request", "activity"]


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Registrations, then random steps on the registered entities, as exported lines."""
    lines: list[dict[str, Any]] = []
    measures: dict[str, list[str]] = {}

    def line(entity: UUID, type_: str, **fields: Any) -> dict[str, Any]:
        number = len(lines) + 1
        interval = draw(intervals(date(2000, 1, 1), 4000, months=True))
        effective = None
        if interval is not None:
            effective = {
                "text": interval.text,
                "from": None if interval.start is None else interval.start.isoformat(),
                "until": None if interval.until is None else interval.until.isoformat(),
                "how": interval.how,
            }
        made = {
            "event_id": f"{number:032x}",
            "entity_id": entity.hex,
            "type": type_,
            "recorded_at": (RECORDED_AT + timedelta(seconds=number)).isoformat(),
            "effective": effective,
            "source": {"title": draw(TITLE), "published": "2013-10-04"},
            "correlation_id": None,
            **fields,
        }
        lines.append(made)
        return made

    for entity in ENTITIES[: draw(st.integers(1, 2))]:
        line(entity, "entity_registered", name=f"Entity {entity.int}", kind="company")
        measures[entity.hex] = []
    for _ in range(draw(st.integers(0, 8))):
        entity = UUID(draw(st.sampled_from(sorted(measures))))
        kind = draw(st.sampled_from(KINDS))
        if kind == "alias":
            line(entity, "alias_added", alias=draw(TITLE))
        elif kind == "identifier":
            line(entity, "identifier_added", identifier=f"x:{draw(TITLE)}")
        elif kind == "imposition":
            made = line(entity, "sanction_imposed", authority=draw(TITLE), program="P", reason=None)
            measures[entity.hex].append(made["event_id"])
        elif kind in ("ending", "waiver") and measures[entity.hex]:
            measure = draw(st.sampled_from(measures[entity.hex]))
            type_ = draw(st.sampled_from(["sanction_lapsed", "sanction_lifted"]))
            line(entity, type_ if kind == "ending" else "sanction_waived", measure_id=measure)
        elif kind == "request":
            line(entity, "delisting_requested", requested_by=draw(TITLE), forum=None)
        else:
            line(entity, "activity_reported", summary=draw(TITLE))
    return lines


def per_command(app: SanctionsApp, data: dict[str, Any]) -> None:
    """One line as the commands a user appends with, one write each."""
    source = Source(title=data["source"]["title"], published=date(2013, 10, 4))
    effective = None if data["effective"] is None else interval_from_json(data["effective"])
    envelope: dict[str, Any] = {
        "event_id": data["event_id"],
        "effective": effective,
        "source": source,
        "recorded_at": _time(data),
    }
    entity_id = UUID(data["entity_id"])
    if data["type"] == "entity_registered":
        app.register_entity(
            name=data["name"],
            kind=data["kind"],
            country=None,
            entity_id=entity_id,
            allow_same_name=True,
            **envelope,
        )
        return
    actions: dict[str, Callable[[Entity], Any]] = {
        "alias_added": lambda e: e.add_alias(data.get("alias", ""), **envelope),
        "identifier_added": lambda e: e.add_identifier(data.get("identifier", ""), **envelope),
        "sanction_imposed": lambda e: e.impose(data.get("authority", ""), "P", None, **envelope),
        "sanction_lapsed": lambda e: e.end_measure(data["type"], data["measure_id"], **envelope),
        "sanction_lifted": lambda e: e.end_measure(data["type"], data["measure_id"], **envelope),
        "sanction_waived": lambda e: e.waive(data.get("measure_id", ""), **envelope),
        "delisting_requested": lambda e: e.request_delisting(
            data.get("requested_by", ""), None, **envelope
        ),
        "activity_reported": lambda e: e.report_activity(data.get("summary", ""), **envelope),
    }
    action = actions[data["type"]]
    app.act([entity_id], lambda entity: action(entity) or "")


def _time(data: dict[str, Any]) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(data["recorded_at"])


def stored(path: Path) -> dict[tuple[str, int], tuple[str, bytes]]:
    """Every aggregate's rows by (aggregate, version): topic and stored bytes; a label's
    record time (the moment it was claimed, not an imported value) left out."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events"
        ).fetchall()
    found: dict[tuple[str, int], tuple[str, bytes]] = {}
    for originator, version, topic, state in rows:
        if topic.startswith("domain.label:"):
            fields = json.loads(plain_state(state))
            fields.pop("timestamp")
            state = json.dumps(fields, sort_keys=True).encode()
        found[(originator, version)] = (topic, state)
    return found


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=records())
def test_both_paths_store_the_same_log_and_refuse_the_same_line(
    tmp_path_factory: pytest.TempPathFactory, lines: list[dict[str, Any]]
) -> None:
    work = tmp_path_factory.mktemp("paths")
    one, bulk = work / "one.sqlite", work / "bulk.sqlite"
    by_command = SanctionsApp(resolve_store(str(one), {}))
    refused: str | None = None
    accepted = 0
    for number, data in enumerate(lines, start=1):
        try:
            per_command(by_command, data)
        except DomainError as refusal:
            refused = f"x.jsonl:{number}: {refusal}"
            break
        accepted = number
    text = "".join(json.dumps(data) + "\n" for data in lines)
    by_import = SanctionsApp(resolve_store(str(bulk), {}))

    try:
        JsonlImporter(by_import).import_lines(io.StringIO(text), "x.jsonl")
        answer = None
    except DomainError as raised:
        answer = str(raised)

    assert answer == refused
    if refused is None:
        assert stored(bulk) == stored(one)
    else:
        assert stored(bulk) == {}
        partial = SanctionsApp(resolve_store(str(work / "partial.sqlite"), {}))
        head = "".join(json.dumps(data) + "\n" for data in lines[:accepted])
        JsonlImporter(partial).import_lines(io.StringIO(head), "x.jsonl")
        assert stored(work / "partial.sqlite") == stored(one)


def test_the_record_strategy_gives_both_accepted_and_refused_records() -> None:
    # The property above is only as good as its records: both kinds must come up.
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=80, deadline=None)
    @given(lines=records())
    def count(lines: list[dict[str, Any]]) -> None:
        bad = any(
            any(c in str(v) for c in "\n\x1b\x85")
            for data in lines
            for k, v in data.items()
            if k in ("alias", "identifier", "authority", "requested_by", "summary")
        ) or any(c in d["source"]["title"] for d in lines for c in "\n\x1b\x85")
        seen["refused" if bad else "accepted"] += 1

    count()

    assert seen["accepted"] > 5
    assert seen["refused"] > 5
