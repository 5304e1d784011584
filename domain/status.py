"""Status as of a point in effective time, honest about imprecise dates.

Every event is one unknown day inside its interval. A measure's events form a chain
(imposed, then waiver steps, then its end), so they are placed in that order; events of
different measures are independent. A status is certain when every placement allowed by
the record gives it; otherwise the answer is ``uncertain`` with the candidates.

Points in time are "cuts": a cut ``c`` (a day ordinal) is the instant at the start of day
``c``, so an event on day ``t`` has happened at ``c`` exactly when ``t < c``. "As of day D"
is the cut ``D + 1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum

import attrs

from domain.dates import DateInterval
from domain.record import (
    SANCTION_IMPOSED,
    SANCTION_LAPSED,
    SANCTION_LIFTED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    EntityRecord,
    MeasureRecord,
    Recorded,
    RequestRecord,
)

NEVER = 10**9  # later than any day ordinal
ALWAYS = -(10**9)  # earlier than any day ordinal


class MeasureState(StrEnum):
    NOT_IMPOSED = "not_imposed"
    IN_FORCE = "in_force"
    WAIVED = "waived"
    LAPSED = "lapsed"
    LIFTED = "lifted"


class Status(StrEnum):
    SANCTIONED = "sanctioned"
    WAIVED = "waived"
    LIFTED = "lifted"
    LAPSED = "lapsed"
    NOT_SANCTIONED = "not_sanctioned"
    UNCERTAIN = "uncertain"


# Display order for candidate lists.
STATUS_ORDER = [
    Status.SANCTIONED,
    Status.WAIVED,
    Status.LIFTED,
    Status.LAPSED,
    Status.NOT_SANCTIONED,
]
STATE_ORDER = list(MeasureState)

STATE_AFTER = {
    SANCTION_IMPOSED: MeasureState.IN_FORCE,
    SANCTION_WAIVED: MeasureState.WAIVED,
    WAIVER_ENDED: MeasureState.IN_FORCE,
    SANCTION_LAPSED: MeasureState.LAPSED,
    SANCTION_LIFTED: MeasureState.LIFTED,
}


def first_day(interval: DateInterval | None) -> int:
    """Ordinal of the earliest day allowed, or ALWAYS for an open start."""
    if interval is None or interval.start is None:
        return ALWAYS
    return interval.start.toordinal()


def last_day(interval: DateInterval | None) -> int:
    """Ordinal of the latest day allowed, or NEVER for an open end."""
    if interval is None or interval.until is None:
        return NEVER
    return interval.until.toordinal() - 1


def cut_after(day: date) -> int:
    """The cut at the end of ``day``."""
    return day.toordinal() + 1


@attrs.frozen
class Chain:
    """Ordered transitions with the earliest and latest day each can fall on."""

    events: tuple[Recorded, ...]
    states: tuple[MeasureState, ...]
    earliest: tuple[int, ...]
    latest: tuple[int, ...]

    @classmethod
    def of(cls, events: Sequence[Recorded]) -> Chain:
        earliest, latest = chain_bounds(events)
        return cls(
            events=tuple(events),
            states=tuple(STATE_AFTER[e.type] for e in events),
            earliest=tuple(earliest),
            latest=tuple(latest),
        )

    def possible_counts(self, cut: int) -> list[int]:
        """How many transitions may have happened by ``cut``."""
        n = len(self.events)
        return [
            k
            for k in range(n + 1)
            if (k == 0 or self.earliest[k - 1] < cut) and (k == n or self.latest[k] >= cut)
        ]


@attrs.frozen
class MeasureAt:
    measure: MeasureRecord
    possible: frozenset[MeasureState]
    chain: Chain

    @property
    def state(self) -> str:
        if len(self.possible) == 1:
            return next(iter(self.possible)).value
        return Status.UNCERTAIN.value

    def sorted_possible(self) -> list[str]:
        return [s.value for s in STATE_ORDER if s in self.possible]

    def ended_kind(self) -> MeasureState | None:
        if self.measure.ending is None:
            return None
        return STATE_AFTER[self.measure.ending.type]

    def end_window(self) -> tuple[int, int]:
        """Earliest and latest day the measure's end can fall on."""
        return self.chain.earliest[-1], self.chain.latest[-1]


def measure_at(measure: MeasureRecord, cut: int, chain: Chain | None = None) -> MeasureAt:
    chain = chain or Chain.of(measure.chain())
    possible = frozenset(
        MeasureState.NOT_IMPOSED if k == 0 else chain.states[k - 1]
        for k in chain.possible_counts(cut)
    )
    return MeasureAt(measure=measure, possible=possible, chain=chain)


def entity_statuses(measures: Sequence[MeasureAt], cut: int) -> set[Status]:
    """Every entity status some placement of the record gives at ``cut``."""
    result: set[Status] = set()
    if all(MeasureState.NOT_IMPOSED in m.possible for m in measures):
        result.add(Status.NOT_SANCTIONED)
    if any(MeasureState.IN_FORCE in m.possible for m in measures):
        result.add(Status.SANCTIONED)
    for index, measure in enumerate(measures):
        others = [m for i, m in enumerate(measures) if i != index]
        if MeasureState.WAIVED in measure.possible and all(
            m.possible - {MeasureState.IN_FORCE} for m in others
        ):
            result.add(Status.WAIVED)
        kind = measure.ended_kind()
        if kind is None or kind not in measure.possible:
            continue
        latest = min(measure.end_window()[1], cut - 1)
        if all(_can_be_over_by(m, latest) for m in others):
            result.add(Status.LAPSED if kind is MeasureState.LAPSED else Status.LIFTED)
    return result


def _can_be_over_by(measure: MeasureAt, day: int) -> bool:
    """True when the measure can be not yet imposed, or ended on or before ``day``."""
    if MeasureState.NOT_IMPOSED in measure.possible:
        return True
    kind = measure.ended_kind()
    return kind is not None and kind in measure.possible and measure.end_window()[0] <= day


def headline(possible: Iterable[Status]) -> tuple[Status, list[str]]:
    candidates = [s for s in STATUS_ORDER if s in set(possible)]
    if len(candidates) == 1:
        return candidates[0], [candidates[0].value]
    return Status.UNCERTAIN, [s.value for s in candidates]


@attrs.frozen
class Annotation:
    event: Recorded
    certain: bool


@attrs.frozen
class StatusAt:
    """An entity's status at one cut, with the measures and annotations behind it."""

    record: EntityRecord
    cut: int
    status: Status
    possible_statuses: list[str]
    measures: list[MeasureAt]
    pending_requests: list[Annotation]
    negotiations: list[Annotation]
    activities: list[Annotation]


def status_at(record: EntityRecord, cut: int, chains: dict[str, Chain] | None = None) -> StatusAt:
    measures = [
        measure_at(m, cut, chains.get(m.measure_id) if chains else None) for m in record.measures
    ]
    status, possible = headline(entity_statuses(measures, cut))
    return StatusAt(
        record=record,
        cut=cut,
        status=status,
        possible_statuses=possible,
        measures=[m for m in measures if m.possible != {MeasureState.NOT_IMPOSED}],
        pending_requests=pending_requests(record.requests, cut),
        negotiations=_happened(record.negotiations, cut),
        activities=_happened(record.activities, cut),
    )


def pending_requests(requests: Sequence[RequestRecord], cut: int) -> list[Annotation]:
    """Requests that may be awaiting a decision at ``cut``; certain if they surely are."""
    result = []
    for request in requests:
        events = [request.request, *([request.decision] if request.decision else [])]
        chain_earliest, chain_latest = chain_bounds(events)
        made_possible = chain_earliest[0] < cut
        made_certain = chain_latest[0] < cut
        if request.decision is None:
            open_possible, open_certain = True, True
        else:
            open_possible = chain_latest[1] >= cut
            open_certain = chain_earliest[1] >= cut
        if made_possible and open_possible:
            result.append(Annotation(request.request, made_certain and open_certain))
    return sorted(result, key=lambda a: -first_day(a.event.effective))


def chain_bounds(events: Sequence[Recorded]) -> tuple[list[int], list[int]]:
    """Earliest and latest day of each event when they must fall in the order given."""
    earliest: list[int] = []
    running = ALWAYS
    for event in events:
        running = max(running, first_day(event.effective))
        earliest.append(running)
    latest = [0] * len(events)
    running = NEVER
    for index in range(len(events) - 1, -1, -1):
        running = min(running, last_day(events[index].effective))
        latest[index] = running
    return earliest, latest


def _happened(events: Sequence[Recorded], cut: int) -> list[Annotation]:
    """Annotations that may have happened by ``cut``, most recent first."""
    found = [
        Annotation(e, last_day(e.effective) < cut) for e in events if first_day(e.effective) < cut
    ]
    return sorted(
        found, key=lambda a: (-last_day(a.event.effective), -first_day(a.event.effective))
    )


def may_fall_within(event: Recorded, start: int, end: int) -> bool:
    """True when the event's interval meets the cut range ``[start, end)`` of days."""
    return first_day(event.effective) < end and last_day(event.effective) >= start


def is_within(event: Recorded, start: int, end: int) -> bool:
    return first_day(event.effective) >= start and last_day(event.effective) < end


def happened_by(events: Sequence[Recorded], cut: int) -> list[Annotation]:
    """Annotations (negotiations, activities) that may have happened by ``cut``, most
    recent first; ``certain`` when they surely have. The rule ``status_at`` applies."""
    return _happened(events, cut)
