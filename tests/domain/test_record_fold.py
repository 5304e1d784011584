"""The believed record kept between commands agrees with folding every event again."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.dates import DateInterval
from domain.entity import Entity, register
from domain.errors import DomainError, RuleViolationError
from domain.fold import History, RecordFold, build_record
from domain.record import (
    ACTIVITY_REPORTED,
    ALIAS_ADDED,
    DELISTING_DECIDED,
    DELISTING_REQUESTED,
    EVENT_CORRECTED,
    EVENT_RETRACTED,
    IDENTIFIER_ADDED,
    NEGOTIATION_MENTIONED,
    SANCTION_IMPOSED,
    SANCTION_LAPSED,
    SANCTION_LIFTED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    Recorded,
    believe,
)
from tests.builders import ENTITY_ID, RECORDED_AT, SOURCE, intervals, recorded

BASE = date(2000, 1, 1)


INTERVALS = intervals(BASE, 6 * 365)

TYPES = [
    ALIAS_ADDED,
    IDENTIFIER_ADDED,
    SANCTION_IMPOSED,
    SANCTION_LAPSED,
    SANCTION_LIFTED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    DELISTING_REQUESTED,
    DELISTING_DECIDED,
    NEGOTIATION_MENTIONED,
    ACTIVITY_REPORTED,
    EVENT_CORRECTED,
    EVENT_RETRACTED,
]

# One candidate event: its type, which earlier event it names (its measure, request or
# target; now and then an event of another kind, or an id not on record), whether it
# reuses an earlier event's id, and its date.
CANDIDATES = st.tuples(st.sampled_from(TYPES), st.integers(0, 30), st.integers(0, 12), INTERVALS)


def candidate(
    number: int, plan: tuple[str, int, int, DateInterval | None], earlier: list[Recorded]
) -> Recorded:
    type_, pick, reuse, when = plan
    kind = {DELISTING_DECIDED: DELISTING_REQUESTED}.get(type_, SANCTION_IMPOSED)
    if type_ in (EVENT_CORRECTED, EVENT_RETRACTED):
        kind = ""
    fitting = [e.event_id for e in earlier if kind in ("", e.type)]
    if pick < 24 and fitting:  # mostly an event of the kind the type names
        named = fitting[pick % len(fitting)]
    elif pick < 30:  # or any event
        named = earlier[pick % len(earlier)].event_id
    else:
        named = "not-on-record"
    event_id = earlier[reuse].event_id if reuse < len(earlier) and reuse % 4 == 3 else f"e{number}"
    by_type: dict[str, dict[str, Any]] = {
        ALIAS_ADDED: {"alias": f"Alias {pick % 3}"},
        IDENTIFIER_ADDED: {"identifier": f"test:{pick % 3}"},
        SANCTION_IMPOSED: {"authority": f"Authority {pick % 2}", "program": "P", "reason": None},
        DELISTING_REQUESTED: {"requested_by": "China", "forum": None},
        DELISTING_DECIDED: {"request_id": named, "outcome": "granted"},
        NEGOTIATION_MENTIONED: {"forum": "JCCT", "summary": None},
        ACTIVITY_REPORTED: {"summary": "sold parts"},
        EVENT_CORRECTED: {"target": named, "changes": {"effective": when}},
        EVENT_RETRACTED: {"target": named, "reason": "withdrawn"},
    }
    fields = by_type.get(type_, {"measure_id": named})
    return recorded(type_, event_id, when, **fields)


def fold_everything(events: list[Recorded]) -> None:
    build_record(ENTITY_ID, believe(events).facts)


def refusal(action: Callable[[], None]) -> str | None:
    try:
        action()
    except RuleViolationError as error:
        return str(error)
    return None


@settings(max_examples=300, deadline=None)
@given(plans=st.lists(CANDIDATES, max_size=40))
def test_the_fold_refuses_and_records_what_folding_everything_again_does(
    plans: list[tuple[str, int, int, DateInterval | None]],
) -> None:
    events = [recorded("entity_registered", "e0", None, name="Acme", kind="company", country=None)]
    fold = RecordFold(ENTITY_ID, events)

    for number, plan in enumerate(plans, start=1):
        event = candidate(number, plan, events)
        expected = refusal(partial(fold_everything, [*events, event]))
        if fold.admits(event):
            assert refusal(partial(fold.check, event)) == expected
        if expected is not None:
            continue
        events.append(event)
        if fold.admits(event):
            fold.add(event)
        else:
            fold = RecordFold(ENTITY_ID, events)

        belief = believe(events)
        assert fold.record() == build_record(ENTITY_ID, belief.facts)
        assert fold.belief == belief.belief
        assert fold.count == len(events)


# -- the aggregate: a record kept between commands, or folded again for each --------------

COMMANDS = st.tuples(
    st.sampled_from(
        [
            "alias",
            "impose",
            "lapse",
            "lift",
            "waive",
            "end-waiver",
            "request",
            "decide",
            "negotiation",
            "correct",
            "retract",
        ]
    ),
    st.integers(0, 20),
    INTERVALS,
)


def command(entity: Entity, number: int, plan: tuple[str, int, DateInterval | None]) -> None:
    action, pick, when = plan
    envelope: dict[str, Any] = {
        "effective": when,
        "source": SOURCE,
        "event_id": f"{number:032x}",
        "recorded_at": RECORDED_AT + timedelta(seconds=number),
    }
    ids = [e.event_id for e in entity.events]
    measures = [e.event_id for e in entity.events if e.type == SANCTION_IMPOSED]
    measure = measures[pick % len(measures)] if measures else "f" * 32
    if action == "alias":
        entity.add_alias(f"Alias {pick % 3}", **envelope)
    elif action == "impose":
        entity.impose(f"Authority {pick % 3}", "Program", None, **envelope)
    elif action in ("lapse", "lift"):
        kind = SANCTION_LAPSED if action == "lapse" else SANCTION_LIFTED
        entity.end_measure(kind, measure, **envelope)
    elif action == "waive":
        entity.waive(measure, **envelope)
    elif action == "end-waiver":
        entity.end_waiver(measure, **envelope)
    elif action == "request":
        entity.request_delisting("China", None, **envelope)
    elif action == "decide":
        entity.decide_delisting(None, "granted" if pick % 2 else "denied", **envelope)
    elif action == "negotiation":
        entity.mention_negotiation("JCCT", None, **envelope)
    elif action == "correct":
        entity.correct(ids[pick % len(ids)], {"effective": when}, **{**envelope, "effective": None})
    else:
        entity.retract(ids[pick % len(ids)], "withdrawn", **{**envelope, "effective": None})


def outcome(entity: Entity, number: int, plan: tuple[str, int, DateInterval | None]) -> str:
    try:
        command(entity, number, plan)
    except DomainError as error:
        return f"{type(error).__name__}: {error}"
    return "accepted"


@settings(max_examples=100, deadline=None)
@given(plans=st.lists(COMMANDS, max_size=30))
def test_commands_on_the_kept_record_do_what_they_do_on_a_record_folded_each_time(
    plans: list[tuple[str, int, DateInterval | None]],
) -> None:
    kept = register(name="Acme", kind="company", country=None, source=SOURCE, effective=None)
    folded = copy.deepcopy(kept)
    folded.events = list(folded.events)  # a plain list: no record kept between commands

    for number, plan in enumerate(plans, start=1):
        assert outcome(kept, number, plan) == outcome(folded, number, plan)

        assert kept.events == folded.events
        assert kept.record() == folded.record()


class TestTheKeptRecord:
    def test_it_is_not_part_of_the_aggregate_state(self) -> None:
        entity = register(name="Acme", kind="company", country=None, source=SOURCE, effective=None)
        entity.impose("OFAC", "NPWMD", None, effective=None, source=SOURCE)

        entity.record()

        events = entity.events
        assert isinstance(events, History)
        assert events.fold is not None
        assert all(not isinstance(v, RecordFold) for v in vars(entity).values())
        assert getattr(copy.deepcopy(entity).events, "fold", "missing") is None
        assert copy.deepcopy(entity) == entity

    def test_events_appended_without_a_command_are_folded_before_the_next_one(self) -> None:
        entity = register(name="Acme", kind="company", country=None, source=SOURCE, effective=None)
        measure_id = entity.impose("OFAC", "NPWMD", None, effective=None, source=SOURCE)
        entity.record()
        other = copy.deepcopy(entity)
        other.end_measure(SANCTION_LAPSED, measure_id, effective=None, source=SOURCE)

        entity.events.append(other.events[-1])  # as a replay would

        assert entity.record() == build_record(str(entity.id), believe(entity.events).facts)
        with pytest.raises(RuleViolationError, match="already lapsed"):
            entity.end_measure(SANCTION_LIFTED, measure_id, effective=None, source=SOURCE)
