"""Read side: status as of a date, history, replay and the log, folded from events.

Effective time (``as_of``), record time (``recorded_by``) and publication time
(``reported_by``) are three separate arguments, never one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

import attrs

from domain.dates import DateInterval
from domain.errors import InvalidDateError
from domain.fold import build_record
from domain.record import (
    DELISTING_DECIDED,
    DELISTING_REQUESTED,
    ENTITY_REGISTERED,
    IDENTITY_TYPES,
    MEASURE_STEPS,
    META_TYPES,
    SANCTION_IMPOSED,
    EntityRecord,
    Recorded,
    believe,
)
from domain.status import (
    MeasureAt,
    StatusAt,
    cut_after,
    first_day,
    last_day,
    may_fall_within,
    status_at,
)
from events_log.app import SanctionsApp

if TYPE_CHECKING:
    from projections.parties import Party

# Events that change a measure's state or a request's standing.
CHANGES = frozenset({SANCTION_IMPOSED, *MEASURE_STEPS, DELISTING_REQUESTED, DELISTING_DECIDED})


@attrs.frozen
class Horizon:
    """What the store knew: events recorded by an instant and published by a day."""

    recorded_by: datetime | None = None
    reported_by: date | None = None

    def admits(self, event: Recorded) -> bool:
        if self.recorded_by is not None and event.recorded_at > self.recorded_by:
            return False
        return self.reported_by is None or event.reported_on <= self.reported_by


def as_of_bounds(as_of: DateInterval) -> tuple[int, int]:
    """The cuts at the start and at the end of an as-of period."""
    if as_of.start is None or as_of.until is None:
        msg = f"as-of date {as_of.text!r} must have both ends (a day, month, year or range)"
        raise InvalidDateError(msg)
    return as_of.start.toordinal(), as_of.until.toordinal()


@attrs.frozen
class EntityView:
    """An entity's status over an as-of period: at its end, at its start, and between."""

    record: EntityRecord
    at_end: StatusAt
    at_start: StatusAt
    changed_within: list[Recorded]
    party: Party | None = None  # folded with its members' sources (projections/parties.py)


def visible(events: Iterable[Recorded], horizon: Horizon) -> list[Recorded]:
    return [e for e in events if horizon.admits(e)]


def record_of(entity_id: str, events: Sequence[Recorded], horizon: Horizon) -> EntityRecord:
    """The entity's believed record within the horizon.

    An entity not yet known within the horizon keeps its present name for display, with
    no facts: its status is then ``not_sanctioned``.
    """
    record = build_record(entity_id, believe(visible(events, horizon)).facts, strict=False)
    if record.name or horizon == Horizon():
        return record
    known = build_record(entity_id, believe(events).facts, strict=False)
    return attrs.evolve(record, name=known.name, kind=known.kind, country=known.country)


def view(record: EntityRecord, as_of: DateInterval) -> EntityView:
    start, end = as_of_bounds(as_of)
    within = [f for f in record.facts if f.type in CHANGES and may_fall_within(f, start, end)]
    return EntityView(
        record=record,
        at_end=status_at(record, end),
        at_start=status_at(record, start),
        changed_within=sorted(within, key=effective_key),
    )


def entity_view(
    app: SanctionsApp, entity_id: UUID, as_of: DateInterval, horizon: Horizon
) -> EntityView:
    return view(record_of(str(entity_id), app.entity_events(entity_id), horizon), as_of)


def all_records(app: SanctionsApp, horizon: Horizon) -> list[EntityRecord]:
    """Every entity's record, folded from one pass over the log."""
    grouped: dict[str, list[Recorded]] = {}
    for event in app.iter_recorded():
        grouped.setdefault(event.entity_id, []).append(event)
    return [
        record_of(entity_id, events, horizon)
        for entity_id, events in grouped.items()
        if any(horizon.admits(e) and e.type == ENTITY_REGISTERED for e in events)
    ]


def effective_key(event: Recorded) -> tuple[int, int, int]:
    return (first_day(event.effective), last_day(event.effective), event.version or 0)


@attrs.frozen
class HistoryEntry:
    event: Recorded
    belief: str
    believed: Recorded | None


def history(events: Sequence[Recorded], horizon: Horizon) -> list[HistoryEntry]:
    """Every visible event in effective order; corrections and retractions follow their target."""
    shown = visible(events, horizon)
    belief = believe(shown)
    believed = {f.event_id: f for f in belief.facts}
    by_id = {e.event_id: e for e in shown}
    primary = sorted(
        (e for e in shown if e.type not in META_TYPES),
        key=lambda e: effective_key(believed.get(e.event_id) or e),
    )
    followers: dict[str, list[Recorded]] = {}
    for event in shown:
        if event.type in META_TYPES:
            target = event.get("target")
            while target in by_id and by_id[target].type in META_TYPES:
                target = by_id[target].get("target")
            followers.setdefault(target, []).append(event)
    entries: list[HistoryEntry] = []
    for event in primary:
        entries.append(
            HistoryEntry(
                event, belief.belief.get(event.event_id, "current"), believed.get(event.event_id)
            )
        )
        for follower in followers.get(event.event_id, []):
            entries.append(
                HistoryEntry(follower, belief.belief.get(follower.event_id, "current"), None)
            )
    return entries


@attrs.frozen
class ReplayStep:
    record: EntityRecord
    event: Recorded
    after: StatusAt


def replay_cut(event: Recorded) -> int:
    """The first cut at which the event has surely happened (or may have, if open-ended)."""
    latest = last_day(event.effective)
    if event.effective is not None and event.effective.until is not None:
        return latest + 1
    earliest = first_day(event.effective)
    return earliest + 1 if event.effective is not None and event.effective.start else latest


def replay(
    records: Sequence[EntityRecord], start: date | None, end: date | None
) -> list[ReplayStep]:
    """Each entity's events in effective order, with the status once each has happened."""
    if start is not None and end is not None and end < start:
        msg = (
            f"replay range is reversed: it starts on {start.isoformat()} "
            f"and ends before, on {end.isoformat()}"
        )
        raise InvalidDateError(msg)
    steps: list[ReplayStep] = []
    low = start.toordinal() if start else None
    high = cut_after(end) if end else None
    for record in records:
        for event in record.facts:
            if event.type in IDENTITY_TYPES:
                continue
            if low is not None and last_day(event.effective) < low:
                continue
            if high is not None and first_day(event.effective) >= high:
                continue
            steps.append(ReplayStep(record, event, status_at(record, replay_cut(event))))
    # In the order in which each event has surely happened: the status shown after an
    # event is the status at that point, so later lines never describe earlier points.
    return sorted(steps, key=lambda s: (s.after.cut, *effective_key(s.event), s.record.name))


@attrs.frozen
class Deciding:
    """An event behind an answer, and whether it surely happened by the as-of point."""

    event: Recorded
    role: str  # "happened", "straddles" or "not_yet"
    settle: str | None = None


@attrs.frozen
class MeasureExplanation:
    measure: MeasureAt
    events: list[Deciding]


@attrs.frozen
class Explanation:
    view: EntityView
    measures: list[MeasureExplanation]
    straddling: list[Deciding]


def explain(item: EntityView) -> Explanation:
    """Which events decide each measure's state at the end of the as-of period, and, for an
    uncertain answer, which events straddle that point and what would settle them."""
    cut = item.at_end.cut
    measures: list[MeasureExplanation] = []
    straddling: list[Deciding] = []
    for measure in item.at_end.measures:
        deciding: list[Deciding] = []
        for event in measure.measure.chain():
            earliest, latest = first_day(event.effective), last_day(event.effective)
            if latest < cut:
                deciding.append(Deciding(event, "happened"))
            elif earliest < cut:
                entry = Deciding(event, "straddles", _settle(event, cut))
                deciding.append(entry)
                straddling.append(entry)
        measures.append(MeasureExplanation(measure, deciding))
    for event in item.record.facts:
        if event.type not in CHANGES or any(d.event == event for d in straddling):
            continue
        if event.type == SANCTION_IMPOSED and not any(
            m.measure.measure.measure_id == event.event_id for m in measures
        ):
            continue  # surely not imposed yet: no straddle
        earliest, latest = first_day(event.effective), last_day(event.effective)
        if earliest < cut <= latest and event.type in (DELISTING_REQUESTED, DELISTING_DECIDED):
            straddling.append(Deciding(event, "straddles", _settle(event, cut)))
    return Explanation(view=item, measures=measures, straddling=straddling)


def _settle(event: Recorded, cut: int) -> str:
    day = date.fromordinal(cut - 1).isoformat()
    following = date.fromordinal(cut).isoformat()
    return (
        f"a source dating this {event.type.replace('_', ' ')} on or before {day}, "
        f"or on or after {following}"
    )


@attrs.frozen
class Change:
    """An entity whose status differs between two as-of points."""

    view_from: EntityView
    view_to: EntityView
    events: list[Recorded]


def diff(records: Iterable[EntityRecord], start: DateInterval, end: DateInterval) -> list[Change]:
    """Entities whose status (or candidate statuses) at the end of ``start`` differs from
    that at the end of ``end``, with the events that may fall between the two points."""
    return list(iter_diff(records, start, end))


def iter_diff(
    records: Iterable[EntityRecord], start: DateInterval, end: DateInterval
) -> Iterator[Change]:
    """``diff`` one change at a time (the dates are checked at once, before the first)."""
    _, low = as_of_bounds(start)
    _, high = as_of_bounds(end)
    if high < low:
        msg = f"diff --to {end.text!r} is before --from {start.text!r}"
        raise InvalidDateError(msg)
    return _changes(records, start, end, low, high)


def _changes(
    records: Iterable[EntityRecord], start: DateInterval, end: DateInterval, low: int, high: int
) -> Iterator[Change]:
    for record in records:
        before, after = view(record, start), view(record, end)
        if before.at_end.possible_statuses == after.at_end.possible_statuses:
            continue
        between = [f for f in record.facts if f.type in CHANGES and may_fall_within(f, low, high)]
        yield Change(before, after, sorted(between, key=effective_key))
