"""Status as of a date, honest about imprecise dates (DESIGN.md §5).

The worked examples come from the article; the reference is a brute force that places
every event on every day its interval allows and applies the plain definitions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.dates import DateInterval, parse_date
from domain.fold import build_record
from domain.record import (
    DELISTING_DECIDED,
    DELISTING_REQUESTED,
    ENTITY_REGISTERED,
    NEGOTIATION_MENTIONED,
    SANCTION_IMPOSED,
    SANCTION_LAPSED,
    SANCTION_LIFTED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    EntityRecord,
    Recorded,
    Source,
)
from domain.status import MeasureState, Status, StatusAt, cut_after, status_at
from projections.views import view
from tests.builders import recorded

PUBLISHED = date(2013, 10, 4)
ARTICLE = Source(
    title="China Asks U.S. to Lift Sanctions on Arms Proliferators, Iran Traders",
    published=PUBLISHED,
)
RECORDED_AT = datetime(2024, 1, 1, tzinfo=UTC)


def fact(
    event_type: str,
    event_id: str,
    effective: DateInterval | None,
    position: int,
    **fields: Any,
) -> Recorded:
    return recorded(
        event_type,
        event_id,
        effective,
        entity_id="entity",
        source=ARTICLE,
        recorded_at=RECORDED_AT,
        position=position,
        **fields,
    )


def reported(text: str) -> DateInterval:
    """A date as the article (published 2013-10-04) reports it."""
    return parse_date(text, published=PUBLISHED)


def as_of(text: str) -> DateInterval:
    return parse_date(text, cap=False)


def registration(name: str) -> Recorded:
    return fact(ENTITY_REGISTERED, "registered", reported("in the past"), 1, name=name, kind="c")


def norinco() -> EntityRecord:
    return build_record(
        "entity",
        [
            registration("China North Industries Corp."),
            fact(
                SANCTION_IMPOSED,
                "norinco-imposed",
                reported("early 2000s"),
                2,
                authority="U.S. government",
                program="U.S. sanctions",
            ),
            fact(
                SANCTION_LAPSED, "norinco-lapsed", reported("2007"), 3, measure_id="norinco-imposed"
            ),
        ],
    )


def polytechnologies() -> EntityRecord:
    return build_record(
        "entity",
        [
            registration("Polytechnologies, Inc."),
            fact(
                SANCTION_IMPOSED,
                "poly-imposed",
                reported("2013"),
                2,
                authority="U.S. government",
                program="U.S. sanctions",
            ),
            fact(
                DELISTING_REQUESTED,
                "poly-request",
                reported("within the past two months"),
                3,
                requested_by="Chinese Ministry of Commerce",
                forum="U.S.-China Joint Commission of Commerce and Trade",
            ),
        ],
    )


class TestWorkedExamplesNorinco:
    def test_as_of_2010_it_is_lapsed(self) -> None:
        record = norinco()

        result = view(record, as_of("2010"))

        assert result.at_end.status is Status.LAPSED
        assert result.at_end.possible_statuses == ["lapsed"]
        assert result.at_start.status is Status.LAPSED
        assert result.changed_within == []

    def test_as_of_2005_it_is_sanctioned(self) -> None:
        record = norinco()

        result = view(record, as_of("2005"))

        assert result.at_end.status is Status.SANCTIONED
        assert [m.state for m in result.at_end.measures] == ["in_force"]

    def test_as_of_2007_it_lapsed_within_the_year(self) -> None:
        record = norinco()

        result = view(record, as_of("2007"))

        assert result.at_end.status is Status.LAPSED
        assert result.at_start.status is Status.SANCTIONED
        assert [e.event_id for e in result.changed_within] == ["norinco-lapsed"]

    def test_as_of_a_day_in_2007_it_is_uncertain(self) -> None:
        record = norinco()

        result = view(record, as_of("2007-06-30"))

        assert result.at_end.status is Status.UNCERTAIN
        assert result.at_end.possible_statuses == ["sanctioned", "lapsed"]
        assert result.at_end.measures[0].sorted_possible() == ["in_force", "lapsed"]

    def test_as_of_2001_it_may_not_be_sanctioned_yet(self) -> None:
        record = norinco()

        result = view(record, as_of("2001"))

        assert result.at_end.possible_statuses == ["sanctioned", "not_sanctioned"]
        assert result.at_start.possible_statuses == ["sanctioned", "not_sanctioned"]


class TestWorkedExamplesPolytechnologies:
    def test_as_of_2010_it_is_not_sanctioned(self) -> None:
        record = polytechnologies()

        result = view(record, as_of("2010"))

        assert result.at_end.status is Status.NOT_SANCTIONED
        assert result.at_end.measures == []
        assert result.at_end.pending_requests == []

    def test_as_of_publication_it_is_sanctioned_with_a_certain_pending_request(self) -> None:
        record = polytechnologies()

        result = view(record, as_of("2013-10-04"))

        assert result.at_end.status is Status.SANCTIONED
        assert [(a.event.event_id, a.certain) for a in result.at_end.pending_requests] == [
            ("poly-request", True)
        ]
        assert result.at_end.pending_requests[0].event.get("requested_by") == (
            "Chinese Ministry of Commerce"
        )

    def test_in_september_2013_the_request_may_not_be_made_yet(self) -> None:
        record = polytechnologies()

        result = view(record, as_of("2013-09-01"))

        assert [(a.event.event_id, a.certain) for a in result.at_end.pending_requests] == [
            ("poly-request", False)
        ]

    def test_before_the_two_months_there_is_no_pending_request(self) -> None:
        record = polytechnologies()

        result = view(record, as_of("2013-08-03"))

        assert result.at_end.pending_requests == []
        assert result.at_end.possible_statuses == ["sanctioned", "not_sanctioned"]


class TestCertainty:
    def test_overlapping_endings_of_two_measures_leave_both_endings_possible(self) -> None:
        # Two measures in force since 2000; one lapsed and one was lifted, both "in 2010":
        # either may have ended last, so as of the end of 2010 both answers are possible.
        record = build_record(
            "entity",
            [
                registration("Acme"),
                fact(SANCTION_IMPOSED, "a", as_of("2000"), 2, authority="X", program="A"),
                fact(SANCTION_IMPOSED, "b", as_of("2000"), 3, authority="X", program="B"),
                fact(SANCTION_LAPSED, "a-end", as_of("2010"), 4, measure_id="a"),
                fact(SANCTION_LIFTED, "b-end", as_of("2010"), 5, measure_id="b"),
            ],
        )

        result = status_at(record, cut_after(date(2010, 12, 31)))

        assert result.status is Status.UNCERTAIN
        assert result.possible_statuses == ["lifted", "lapsed"]

    def test_the_measure_that_surely_ended_last_decides(self) -> None:
        record = build_record(
            "entity",
            [
                registration("Acme"),
                fact(SANCTION_IMPOSED, "a", as_of("2000"), 2, authority="X", program="A"),
                fact(SANCTION_IMPOSED, "b", as_of("2000"), 3, authority="X", program="B"),
                fact(SANCTION_LAPSED, "a-end", as_of("2012"), 4, measure_id="a"),
                fact(SANCTION_LIFTED, "b-end", as_of("2010"), 5, measure_id="b"),
            ],
        )

        result = status_at(record, cut_after(date(2012, 12, 31)))

        assert result.status is Status.LAPSED

    def test_a_waiver_ended_on_the_same_day_as_it_began_leaves_the_measure_in_force(
        self,
    ) -> None:
        record = build_record(
            "entity",
            [
                registration("Acme"),
                fact(SANCTION_IMPOSED, "a", as_of("2000"), 2, authority="X", program="A"),
                fact(SANCTION_WAIVED, "w", as_of("2005-03-01"), 3, measure_id="a"),
                fact(WAIVER_ENDED, "we", as_of("2005-03-01"), 4, measure_id="a"),
            ],
        )

        result = status_at(record, cut_after(date(2005, 3, 1)))

        assert result.status is Status.SANCTIONED


# -- brute-force reference ----------------------------------------------------------------
#
# Days are offsets from BASE. Bounded intervals lie within [LOW, HIGH]; an open start
# reaches back to LOW - 1 and an open end forward to HIGH + 1, which is enough to stand for
# "earlier / later than everything" as long as the as-of day stays within [LOW - 1, HIGH].

BASE = date(2020, 1, 1)
LOW, HIGH = 0, 8
EVENT_LIMIT = 6
AS_OF_DAYS = range(LOW - 1, HIGH + 1)
STATE_AFTER = {
    SANCTION_IMPOSED: MeasureState.IN_FORCE,
    SANCTION_WAIVED: MeasureState.WAIVED,
    WAIVER_ENDED: MeasureState.IN_FORCE,
    SANCTION_LAPSED: MeasureState.LAPSED,
    SANCTION_LIFTED: MeasureState.LIFTED,
}
ENDED = {MeasureState.LAPSED: Status.LAPSED, MeasureState.LIFTED: Status.LIFTED}


def day(offset: int) -> date:
    return BASE + timedelta(days=offset)


def interval_of(start: int | None, until: int | None) -> DateInterval:
    interval = DateInterval(
        text="generated",
        start=None if start is None else day(start),
        until=None if until is None else day(until),
    )
    return attrs.evolve(interval, text=interval.canonical())


def days_allowed(interval: DateInterval | None) -> range:
    """Every day (offset) the brute force may place an event with this interval on."""
    first = LOW - 1 if interval is None or interval.start is None else _offset(interval.start)
    last = HIGH + 1 if interval is None or interval.until is None else _offset(interval.until) - 1
    return range(first, last + 1)


def _offset(value: date) -> int:
    return (value - BASE).days


def placements(chain: Sequence[Recorded]) -> Iterator[tuple[int, ...]]:
    """Every placement of the chain's events on allowed days, in the chain's order.

    This is the product of the allowed days, keeping only non-decreasing tuples (same day
    allowed); a prefix that already breaks the order is not extended.
    """
    if not chain:
        yield ()
        return
    for first in days_allowed(chain[0].effective):
        for rest in placements(chain[1:]):
            if not rest or first <= rest[0]:
                yield (first, *rest)


@attrs.frozen
class Reference:
    statuses: set[str]
    measures: dict[str, set[MeasureState]]
    pending: dict[str, bool]


def references(groups: Sequence[Sequence[Recorded]]) -> dict[int, Reference]:
    """The answer at the end of each as-of day, by trying every placement of the events.

    ``groups`` are the generated chains in the order the record implies: a measure's
    imposition, waiver steps and ending; a request and its decision.
    """
    # Each measure's events are placed independently of other measures, so the joint
    # placements are the product of the measures' placements. The entity status depends
    # on a measure only through (its state, the day it ended), so collect those per measure.
    chains = [group for group in groups if group[0].type == SANCTION_IMPOSED]
    measure_placements = [list(placements(chain)) for chain in chains]
    request_chains = [group for group in groups if group[0].type == DELISTING_REQUESTED]
    request_placements = [list(placements(chain)) for chain in request_chains]
    result: dict[int, Reference] = {}
    for as_of_day in AS_OF_DAYS:
        outcomes: list[set[tuple[MeasureState, int | None]]] = []
        measures: dict[str, set[MeasureState]] = {}
        for chain, placed_list in zip(chains, measure_placements, strict=True):
            seen: set[tuple[MeasureState, int | None]] = set()
            for placed in placed_list:
                happened = [e for e, t in zip(chain, placed, strict=True) if t <= as_of_day]
                state = STATE_AFTER[happened[-1].type] if happened else MeasureState.NOT_IMPOSED
                seen.add((state, placed[-1] if state in ENDED else None))
            outcomes.append(seen)
            measures[chain[0].event_id] = {state for state, _ in seen}
        statuses: set[str] = set()
        for combination in itertools.product(*outcomes):
            statuses |= plain_status(combination)
        pending: dict[str, bool] = {}
        for chain, placed_list in zip(request_chains, request_placements, strict=True):
            answers = {
                placed[0] <= as_of_day and (len(placed) == 1 or placed[1] > as_of_day)
                for placed in placed_list
            }
            if True in answers:
                pending[chain[0].event_id] = answers == {True}
        result[as_of_day] = Reference(statuses=statuses, measures=measures, pending=pending)
    return result


def plain_status(states: Sequence[tuple[MeasureState, int | None]]) -> set[str]:
    """DESIGN §5 for one placement: the statuses it gives (ties give both endings)."""
    if any(state is MeasureState.IN_FORCE for state, _ in states):
        return {Status.SANCTIONED.value}
    if any(state is MeasureState.WAIVED for state, _ in states):
        return {Status.WAIVED.value}
    ended = [(ended_on, state) for state, ended_on in states if ended_on is not None]
    if not ended:
        return {Status.NOT_SANCTIONED.value}
    last = max(ended_on for ended_on, _ in ended)
    return {ENDED[state].value for ended_on, state in ended if ended_on == last}


@st.composite
def dated(draw: st.DrawFn, witness: int) -> DateInterval:
    """An interval that contains the day ``witness`` (so the record stays consistent)."""
    start = draw(st.one_of(st.none(), st.integers(min_value=LOW, max_value=witness)))
    until = draw(st.one_of(st.none(), st.integers(min_value=witness + 1, max_value=HIGH + 1)))
    return interval_of(start, until)


@st.composite
def witnesses(draw: st.DrawFn, count: int) -> list[int]:
    """Non-decreasing days, one per event of a chain: one placement the record allows."""
    return sorted(draw(st.lists(st.integers(LOW, HIGH), min_size=count, max_size=count)))


@st.composite
def random_records(draw: st.DrawFn) -> list[list[Recorded]]:
    """Groups of facts (one per measure, request or annotation), in chain order."""
    budget = EVENT_LIMIT
    groups: list[list[Recorded]] = []
    serial = itertools.count(1)
    for index in range(draw(st.integers(min_value=0, max_value=3))):
        if budget == 0:
            break
        measure_id = f"m{index}"
        step_count = draw(st.integers(min_value=0, max_value=min(3, budget - 1)))
        types = [SANCTION_IMPOSED, *[SANCTION_WAIVED, WAIVER_ENDED, SANCTION_WAIVED][:step_count]]
        if len(types) < budget and draw(st.booleans()):
            types.append(draw(st.sampled_from([SANCTION_LAPSED, SANCTION_LIFTED])))
        budget -= len(types)
        days_of = draw(witnesses(len(types)))
        group: list[Recorded] = []
        step_start: date | None = None
        for event_type, witness in zip(types, days_of, strict=True):
            interval = draw(dated(witness))
            if event_type in (SANCTION_WAIVED, WAIVER_ENDED):
                # The record orders waiver steps by their first day: keep that order the
                # chain order (see test_entity for steps whose first days disagree).
                if step_start is not None and (
                    interval.start is None or interval.start < step_start
                ):
                    interval = interval_of(_offset(step_start), _until_offset(interval))
                step_start = interval.start
            if event_type == SANCTION_IMPOSED:
                group.append(
                    fact(
                        event_type,
                        measure_id,
                        interval,
                        next(serial),
                        authority="A",
                        program=measure_id,
                    )
                )
            else:
                group.append(
                    fact(
                        event_type,
                        f"{measure_id}-{len(group)}",
                        interval,
                        next(serial),
                        measure_id=measure_id,
                    )
                )
        groups.append(group)
    for index in range(draw(st.integers(min_value=0, max_value=2))):
        if budget == 0:
            break
        decided = budget >= 2 and draw(st.booleans())
        days_of = draw(witnesses(2 if decided else 1))
        request_id = f"r{index}"
        group = [
            fact(
                DELISTING_REQUESTED,
                request_id,
                draw(dated(days_of[0])),
                next(serial),
                requested_by="C",
            )
        ]
        if decided:
            group.append(
                fact(
                    DELISTING_DECIDED,
                    f"{request_id}-decision",
                    draw(dated(days_of[1])),
                    next(serial),
                    request_id=request_id,
                    outcome=draw(st.sampled_from(["granted", "denied"])),
                )
            )
        budget -= len(group)
        groups.append(group)
    if draw(st.booleans()):
        witness = draw(st.integers(LOW, HIGH))
        groups.append(
            [fact(NEGOTIATION_MENTIONED, "n", draw(dated(witness)), next(serial), forum="F")]
        )
    return groups


def _until_offset(interval: DateInterval) -> int | None:
    return None if interval.until is None else _offset(interval.until)


def record_from(groups: Sequence[Sequence[Recorded]]) -> EntityRecord:
    facts = [registration("Acme"), *(e for group in groups for e in group)]
    return build_record("entity", facts)


def answers(result: StatusAt) -> tuple[Any, ...]:
    """Everything the status says; annotations as sets (equal dates may list in any order)."""
    return (
        result.status,
        result.possible_statuses,
        {m.measure.measure_id: m.possible for m in result.measures},
        {(a.event.event_id, a.certain) for a in result.pending_requests},
        {(a.event.event_id, a.certain) for a in result.negotiations},
    )


class TestAgainstBruteForce:
    @settings(max_examples=300, deadline=None)
    @given(random_records())
    def test_possible_statuses_are_exactly_those_of_some_placement(
        self, groups: list[list[Recorded]]
    ) -> None:
        record = record_from(groups)

        expected_by_day = references(groups)

        for as_of_day, expected in expected_by_day.items():
            result = status_at(record, cut_after(day(as_of_day)))

            assert set(result.possible_statuses) == expected.statuses, as_of_day
            if len(expected.statuses) == 1:
                assert result.status.value == next(iter(expected.statuses))
            else:
                assert result.status is Status.UNCERTAIN

    @settings(max_examples=300, deadline=None)
    @given(random_records())
    def test_possible_measure_states_are_exactly_those_of_some_placement(
        self, groups: list[list[Recorded]]
    ) -> None:
        record = record_from(groups)

        expected_by_day = references(groups)

        for as_of_day, expected in expected_by_day.items():
            result = status_at(record, cut_after(day(as_of_day)))

            shown = {
                measure_id: states
                for measure_id, states in expected.measures.items()
                if states != {MeasureState.NOT_IMPOSED}
            }
            assert {m.measure.measure_id: set(m.possible) for m in result.measures} == shown
            for measure in result.measures:
                states = shown[measure.measure.measure_id]
                assert measure.state == (
                    next(iter(states)).value if len(states) == 1 else "uncertain"
                )

    @settings(max_examples=300, deadline=None)
    @given(random_records())
    def test_pending_requests_are_possible_and_certain_as_placements_say(
        self, groups: list[list[Recorded]]
    ) -> None:
        record = record_from(groups)

        expected_by_day = references(groups)

        for as_of_day, expected in expected_by_day.items():
            result = status_at(record, cut_after(day(as_of_day)))

            assert {a.event.event_id: a.certain for a in result.pending_requests} == (
                expected.pending
            )

    def test_the_generator_reaches_every_status(self) -> None:
        # Guard against a reference that could never disagree: the random records must
        # produce each status, and uncertainty, somewhere.
        seen: set[str] = set()

        @settings(max_examples=300, deadline=None, database=None, derandomize=True)
        @given(random_records())
        def collect(groups: list[list[Recorded]]) -> None:
            record = record_from(groups)
            for as_of_day in AS_OF_DAYS:
                seen.add(status_at(record, cut_after(day(as_of_day))).status.value)

        collect()

        assert seen == {s.value for s in Status}


class TestRecordingOrder:
    @settings(max_examples=200, deadline=None)
    @given(random_records(), st.randoms(use_true_random=False))
    def test_status_does_not_depend_on_the_order_events_were_recorded(
        self, groups: list[list[Recorded]], random: Random
    ) -> None:
        record = record_from(groups)
        # Interleave the groups at random, keeping each measure's and request's own order,
        # and renumber positions as if they had been recorded in that order.
        queue = [index for index, group in enumerate(groups) for _ in group]
        random.shuffle(queue)
        cursors = [iter(group) for group in groups]
        shuffled = [
            attrs.evolve(next(cursors[index]), position=position)
            for position, index in enumerate(queue, start=2)
        ]

        reordered = build_record("entity", [registration("Acme"), *shuffled])

        for as_of_day in AS_OF_DAYS:
            cut = cut_after(day(as_of_day))
            assert answers(status_at(reordered, cut)) == answers(status_at(record, cut))
