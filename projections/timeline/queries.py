"""Reading the timeline: every entity's status, or its whole view, over an as-of period.

"Every entity as of D" reads one status row per entity (``cut_from <= c < cut_until``)
and the state rows of the measures that may be imposed at ``c``; the annotations are
picked from the stored display JSON by the same functions the fold uses.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import date
from typing import Any

import attrs

from domain.dates import DateInterval
from domain.record import (
    ACTIVITY_REPORTED,
    DELISTING_REQUESTED,
    NEGOTIATION_MENTIONED,
    SANCTION_IMPOSED,
    EntityRecord,
    MeasureRecord,
    Recorded,
    RequestRecord,
)
from domain.status import (
    MeasureAt,
    MeasureState,
    Status,
    StatusAt,
    first_day,
    happened_by,
    last_day,
    pending_requests,
)
from events_log.app import SanctionsApp
from projections.timeline.decode import NO_TIME, NOT_STORED
from projections.timeline.display import date_from_json, decode_display
from projections.timeline.projection import catch_up
from projections.timeline.segments import NO_CHAIN, SEPARATOR
from projections.timeline.sqlite_view import SQLiteTimelineView
from projections.timeline.tables import TimelineView, timeline_view
from projections.views import EntityView, as_of_bounds, effective_key


@attrs.frozen
class EntityStatus:
    """One entity's headline status at the end and at the start of an as-of period."""

    entity_id: str
    status: str
    possible_statuses: list[str]
    status_at_start: str
    possible_statuses_at_start: list[str]


def statuses(app: SanctionsApp, as_of: DateInterval) -> dict[str, EntityStatus]:
    """Every entity's status over an as-of period, from two look-ups of the timeline."""
    catch_up(app)
    start, end = as_of_bounds(as_of)
    return statuses_between(timeline_view(app), start, end)


def statuses_between(view: TimelineView, start: int, end: int) -> dict[str, EntityStatus]:
    """One scan: the segments that meet ``[start, end]`` hold both answers."""
    rows = view.select(
        "SELECT entity_id, cut_from, cut_until, status, possible FROM timeline_status "
        "WHERE cut_from <= ? AND cut_until > ?",
        (end, start),
    )
    at_start: dict[str, tuple[str, str]] = {}
    at_end: dict[str, tuple[str, str]] = {}
    for entity_id, cut_from, cut_until, status, possible in rows:
        if cut_from <= start:
            at_start[entity_id] = (status, possible)
        if cut_until > end:
            at_end[entity_id] = (status, possible)
    found = {}
    for entity_id, (status, possible) in at_end.items():
        before, before_possible = at_start[entity_id]
        found[entity_id] = EntityStatus(
            entity_id,
            status,
            possible.split(SEPARATOR),
            before,
            before_possible.split(SEPARATOR),
        )
    return found


def changed(app: SanctionsApp, start: DateInterval, end: DateInterval) -> list[str]:
    """The entities whose possible statuses at the end of ``start`` differ from those at
    the end of ``end``, sorted by name (then id): what ``statuses`` at both tells, in one
    query on SQLite."""
    catch_up(app)
    view = timeline_view(app)
    low, high = as_of_bounds(start)[1], as_of_bounds(end)[1]
    if isinstance(view, SQLiteTimelineView):
        return [row[0] for row in view.iterate_sorted(_CHANGED, (low, low, high, high))]
    before = statuses_between(view, low, low)
    after = statuses_between(view, high, high)
    names = dict(view.select("SELECT entity_id, name FROM timeline_entities"))
    found = [
        entity_id
        for entity_id, status in sorted(after.items())
        if entity_id not in before
        or before[entity_id].possible_statuses != status.possible_statuses
    ]
    return sorted(found, key=lambda entity_id: names[entity_id].casefold())


_CHANGED = (
    "SELECT e.entity_id FROM timeline_entities e "
    "JOIN timeline_status a ON a.entity_id = e.entity_id AND a.cut_from <= ? AND a.cut_until > ? "
    "JOIN timeline_status b ON b.entity_id = e.entity_id AND b.cut_from <= ? AND b.cut_until > ? "
    "WHERE a.possible <> b.possible ORDER BY e.sort_key, e.entity_id"
)


def views(app: SanctionsApp, as_of: DateInterval) -> list[EntityView]:
    """Every entity's view over an as-of period, sorted by name, as the fold gives it."""
    return list(iter_views(app, as_of))


def iter_views(app: SanctionsApp, as_of: DateInterval) -> Generator[EntityView, None, None]:
    """``views`` one by one, in the same order, without holding them all.

    On SQLite one query, sorted by the database (the stored ``sort_key``), gives
    each entity's head with its status and states at both cuts. Elsewhere the heads are
    sorted here and the status and state rows held by entity.
    """
    catch_up(app)
    view = timeline_view(app)
    start, end = as_of_bounds(as_of)
    if isinstance(view, SQLiteTimelineView):
        rows = view.iterate_sorted(SORTED_VIEWS, (start, start, end, end, start, start, end, end))
        for entity_id, name, display, at_start, at_end, states_start, states_end in rows:
            first_status, first_possible = at_start.split(UNIT)
            last_status, last_possible = at_end.split(UNIT)
            yield entity_view_of(
                entity_id,
                name,
                display,
                {
                    start: (first_status, first_possible.split(SEPARATOR)),
                    end: (last_status, last_possible.split(SEPARATOR)),
                },
                {start: states_of(states_start), end: states_of(states_end)},
                start,
                end,
            )
        return
    heads = sorted(
        view.select("SELECT entity_id, name, first_position, display FROM timeline_entities"),
        key=lambda h: (h[1].casefold(), h[2]),
    )
    status = {cut: _status_rows(view, cut) for cut in (start, end)}
    states = {cut: _state_rows(view, cut) for cut in (start, end)}
    for entity_id, name, _, display in heads:
        yield entity_view_of(
            entity_id,
            name,
            display,
            {cut: status[cut][entity_id] for cut in (start, end)},
            {cut: states[cut].get(entity_id, {}) for cut in (start, end)},
            start,
            end,
        )


UNIT = "\x1f"  # between status and possible statuses in the sorted query's answer
SORTED_VIEWS = (
    "SELECT e.entity_id, e.name, e.display, "
    "(SELECT s.status || char(31) || s.possible FROM timeline_status s "
    " WHERE s.entity_id = e.entity_id AND s.cut_from <= ? AND s.cut_until > ?), "
    "(SELECT s.status || char(31) || s.possible FROM timeline_status s "
    " WHERE s.entity_id = e.entity_id AND s.cut_from <= ? AND s.cut_until > ?), "
    "(SELECT json_group_array(json_array(t.measure_id, t.possible)) FROM timeline_states t "
    " WHERE t.entity_id = e.entity_id AND t.cut_from <= ? AND t.cut_until > ?), "
    "(SELECT json_group_array(json_array(t.measure_id, t.possible)) FROM timeline_states t "
    " WHERE t.entity_id = e.entity_id AND t.cut_from <= ? AND t.cut_until > ?) "
    "FROM timeline_entities e ORDER BY e.sort_key, e.first_position"
)


def states_of(found: str) -> dict[str, frozenset[MeasureState]]:
    """The measures' possible states, from the sorted query's JSON array."""
    return {
        measure_id: frozenset(MeasureState(s) for s in possible.split(SEPARATOR))
        for measure_id, possible in json.loads(found)
    }


def entity_view_of(
    entity_id: str,
    name: str,
    display: bytes,
    status: dict[int, tuple[str, list[str]]],
    states: dict[int, dict[str, frozenset[MeasureState]]],
    start: int,
    end: int,
) -> EntityView:
    """One entity's view from its stored head, statuses and states at both cuts."""
    shown = decode_display(display)
    record = EntityRecord(
        entity_id=entity_id,
        name=name,
        kind=shown["kind"],
        country=shown["country"],
        aliases=tuple(shown["aliases"]),
        identifiers=tuple(shown["identifiers"]),
        measures=(),
        requests=(),
        negotiations=(),
        activities=(),
        facts=(),
    )
    wanted = states[start].keys() | states[end].keys()  # the measures shown at either cut
    every = {
        m[0]: MeasureRecord(
            _recorded(
                SANCTION_IMPOSED,
                m[0],
                entity_id,
                date_from_json(m[3]),
                {"authority": m[1], "program": m[2]},
            ),
            (),
            None if m[4] is None else _recorded("", "", entity_id, date_from_json(m[4]), {}),
        )
        for m in shown["measures"]
    }
    measures = {k: v for k, v in every.items() if k in wanted}
    order = list(measures)
    requests = [
        RequestRecord(
            _recorded(
                DELISTING_REQUESTED,
                r[0],
                entity_id,
                date_from_json(r[1]),
                {"requested_by": r[2], "forum": r[3]},
            ),
            None if r[4] is None else _recorded("", "", entity_id, date_from_json(r[4][0]), {}),
        )
        for r in shown["requests"]
    ]
    negotiations = [
        _recorded(
            NEGOTIATION_MENTIONED,
            n[0],
            entity_id,
            date_from_json(n[1]),
            {"forum": n[2], "summary": n[3]},
        )
        for n in shown["negotiations"]
    ]
    activities = [
        _recorded(ACTIVITY_REPORTED, a[0], entity_id, date_from_json(a[1]), {"summary": a[2]})
        for a in shown["activities"]
    ]
    # The measures' and requests' dates, for the rules that read the whole record
    # (a party's conflicts, projections/parties.py).
    record = attrs.evolve(record, measures=tuple(every.values()), requests=tuple(requests))
    at = {}
    for cut in (start, end):
        value, possible = status[cut]
        found = states[cut]
        at[cut] = StatusAt(
            record=record,
            cut=cut,
            status=Status(value),
            possible_statuses=possible,
            measures=[
                MeasureAt(measure=measures[i], possible=found[i], chain=NO_CHAIN)
                for i in order
                if i in found
            ],
            pending_requests=pending_requests(requests, cut),
            negotiations=happened_by(negotiations, cut),
            activities=happened_by(activities, cut),
        )
    changes = []
    before, after = iso_bounds(start, end)
    for event_id, type_, effective, measure_id, version in shown["changes"]:
        # first_day(interval) < end and last_day(interval) >= start, on the stored ISO
        # dates (they sort as the days do) before an interval is made of them
        if effective is not None and (
            (effective[1] is not None and effective[1] >= before)
            or (effective[2] is not None and effective[2] <= after)
        ):
            continue
        interval = date_from_json(effective)
        if first_day(interval) < end and last_day(interval) >= start:
            fields = {} if measure_id is None else {"measure_id": measure_id}
            changes.append(_recorded(type_, event_id, entity_id, interval, fields, version))
    return EntityView(record, at[end], at[start], sorted(changes, key=effective_key))


def iso_bounds(start: int, end: int) -> tuple[str, str]:
    """ISO days: an interval starting on or after the first cannot start before ``end``;
    one ending (exclusive) on or before the second cannot last until ``start``. Where a
    cut is no day, bounds that exclude nothing (the check on intervals decides)."""
    try:
        before = date.fromordinal(end).isoformat()
    except (ValueError, OverflowError):
        before = "~"  # after every ISO day
    try:
        after = date.fromordinal(start).isoformat()
    except (ValueError, OverflowError):
        after = ""  # before every ISO day
    return before, after


def _status_rows(view: TimelineView, cut: int) -> dict[str, tuple[str, list[str]]]:
    rows = view.select(
        "SELECT entity_id, status, possible FROM timeline_status "
        "WHERE cut_from <= ? AND cut_until > ?",
        (cut, cut),
    )
    return {r[0]: (r[1], r[2].split(SEPARATOR)) for r in rows}


def _state_rows(view: TimelineView, cut: int) -> dict[str, dict[str, frozenset[MeasureState]]]:
    rows = view.select(
        "SELECT entity_id, measure_id, possible FROM timeline_states "
        "WHERE cut_from <= ? AND cut_until > ?",
        (cut, cut),
    )
    found: dict[str, dict[str, frozenset[MeasureState]]] = {}
    for entity_id, measure_id, possible in rows:
        found.setdefault(entity_id, {})[measure_id] = frozenset(
            MeasureState(s) for s in possible.split(SEPARATOR)
        )
    return found


def _recorded(
    type_: str,
    event_id: str,
    entity_id: str,
    effective: DateInterval | None,
    fields: dict[str, Any],
    version: int | None = None,
) -> Recorded:
    return Recorded(
        type=type_,
        event_id=event_id,
        entity_id=entity_id,
        effective=effective,
        source=NOT_STORED,
        recorded_at=NO_TIME,
        fields=fields,
        version=version,
    )
