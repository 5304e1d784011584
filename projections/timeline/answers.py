"""Every entity's §8 JSON straight from the timeline's rows, without the fold's objects.

``entity_texts`` gives what ``render.entity_json`` of each of ``queries.iter_views``'s
views encodes to, in the same order, each already encoded; ``entity_fields`` the same
data not encoded, for the csv and table answers. The stored display JSON is read as lists
and strings, the rules that pick pending requests, negotiations, activities, changes and
conflicts run on day ordinals, and the entity's head is encoded once for the entity and
for its one member. Elsewhere than SQLite, every entity is made from its view. Property
tests hold both to the fold's answer (``tests/projections/test_timeline.py``, and with
links ``test_parties.py``).
"""

from __future__ import annotations

import json
from collections.abc import Container, Generator, Sequence
from datetime import date
from typing import Any

from domain.dates import DateInterval
from domain.party import REQUEST_WITHOUT_MEASURE, request_conflict
from domain.status import ALWAYS, NEVER, STATE_ORDER, Status
from events_log.app import SanctionsApp
from projections import render
from projections.stream import Encoded
from projections.timeline.display import date_from_json, decode_display
from projections.timeline.projection import catch_up
from projections.timeline.queries import iso_bounds, iter_views
from projections.timeline.segments import SEPARATOR
from projections.timeline.tables import SQLiteTimelineView, timeline_view
from projections.views import as_of_bounds

_UNIT = "\x1f"  # between the parts of one row in the query's answer
_RECORD = "\x1e"  # between rows
# Each entity's head, its status at both cuts, and its measures' possible states at the end.
_SORTED = (
    "SELECT e.entity_id, e.name, e.display, "
    "(SELECT s.status || char(31) || s.possible FROM timeline_status s "
    " WHERE s.entity_id = e.entity_id AND s.cut_from <= ? AND s.cut_until > ?), "
    "(SELECT s.status || char(31) || s.possible FROM timeline_status s "
    " WHERE s.entity_id = e.entity_id AND s.cut_from <= ? AND s.cut_until > ?), "
    "(SELECT group_concat(t.measure_id || char(31) || t.possible, char(30)) "
    " FROM timeline_states t "
    " WHERE t.entity_id = e.entity_id AND t.cut_from <= ? AND t.cut_until > ?) "
    "FROM timeline_entities e ORDER BY casefold(e.name), e.first_position"
)

Key = tuple[str, str]  # (casefolded name, entity id): the order of the all-entity answers

_STATES = [s.value for s in STATE_ORDER]
_UNCERTAIN = Status.UNCERTAIN.value
ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # as projections.stream encodes
_ORDINALS: dict[str, int] = {}


def _ordinal(text: str) -> int:
    found = _ORDINALS.get(text)
    if found is None:
        if len(_ORDINALS) >= 100_000:
            _ORDINALS.clear()
        found = _ORDINALS[text] = date.fromisoformat(text).toordinal()
    return found


def _first(stored: Sequence[Any] | None) -> int:
    """``domain.status.first_day`` of a stored date."""
    if stored is None or (text := stored[1]) is None:
        return ALWAYS
    found = _ORDINALS.get(text)
    return _ordinal(text) if found is None else found


def _last(stored: Sequence[Any] | None) -> int:
    """``domain.status.last_day`` of a stored date."""
    if stored is None or (text := stored[2]) is None:
        return NEVER
    found = _ORDINALS.get(text)
    return (_ordinal(text) if found is None else found) - 1


def _date(stored: Sequence[Any] | None) -> dict[str, Any] | None:
    """``DateInterval.as_json`` of a stored date."""
    return None if stored is None else {"text": stored[0], "from": stored[1], "until": stored[2]}


def entity_texts(
    app: SanctionsApp, as_of: DateInterval, skip: Container[str] = ()
) -> Generator[tuple[Key, Encoded], None, None]:
    """Each entity's key and its ``render.entity_json`` as ``json.dumps(...,
    ensure_ascii=False)`` encodes it, sorted as ``iter_views`` sorts; none for the
    entities in ``skip`` (those answered otherwise, as their parties)."""
    for key, data, from_rows in _answers(app, as_of, skip):
        yield key, Encoded(_with_member(ENCODE(data)) if from_rows else ENCODE(data))


def entity_fields(
    app: SanctionsApp, as_of: DateInterval, skip: Container[str] = ()
) -> Generator[tuple[Key, dict[str, Any]], None, None]:
    """``entity_texts`` not encoded, and without ``members`` where it was read from the
    rows (the entity alone): what the csv and table answers read."""
    for key, data, _ in _answers(app, as_of, skip):
        yield key, data


def _answers(
    app: SanctionsApp, as_of: DateInterval, skip: Container[str]
) -> Generator[tuple[Key, dict[str, Any], bool], None, None]:
    """Each entity's key, its JSON data, and whether that was read from the rows."""
    catch_up(app)
    view = timeline_view(app)
    start, end = as_of_bounds(as_of)
    if not isinstance(view, SQLiteTimelineView):
        for item in iter_views(app, as_of):
            if item.record.entity_id not in skip:
                key = (item.record.name.casefold(), item.record.entity_id)
                yield key, render.entity_json(item), False
        return
    rows = view.iterate_sorted(_SORTED, (start, start, end, end, end, end))
    bounds = iso_bounds(start, end)
    for row in rows:
        if row[0] not in skip:
            yield (row[1].casefold(), row[0]), _entity_data(row, start, end, bounds), True


def _with_member(text: str) -> str:
    """The entity's encoded data with its one member, its head, encoded once: the text
    before its status (a key's quotes are bare; within a string they are escaped), put in
    before the links."""
    head = text[: text.index(', "status": ')] + "}"
    links = text.rindex(', "links": ')
    return f'{text[:links]}, "members": [{head}]{text[links:]}'


def _entity_data(
    row: tuple[Any, ...], start: int, end: int, bounds: tuple[str, str]
) -> dict[str, Any]:
    """An entity's ``render.entity_json`` less ``members``, from its query row."""
    entity_id, name, display, at_start, at_end, states = row
    shown = decode_display(display)
    requests = shown["requests"]
    measures = shown["measures"]
    hex_id = entity_id.replace("-", "")
    status, possible = at_end.split(_UNIT)
    status_start, possible_start = at_start.split(_UNIT)
    return {
        "entity_id": hex_id,
        "name": name,
        "kind": shown["kind"],
        "country": shown["country"],
        "aliases": shown["aliases"],
        "identifiers": shown["identifiers"],
        "status": status,
        "possible_statuses": possible.split(SEPARATOR),
        "status_at_start": status_start,
        "possible_statuses_at_start": possible_start.split(SEPARATOR),
        "changed_within": _changes(shown["changes"], start, end, bounds),
        "measures": _measures(measures, states, hex_id),
        "pending_delisting_requests": _pending(requests, end, hex_id),
        "negotiations": [
            {
                "event_id": n[0],
                "forum": n[2],
                "summary": n[3],
                "date": _date(n[1]),
                "certain": certain,
                "entity_id": hex_id,
            }
            for n, certain in _happened(shown["negotiations"], end)
        ],
        "activities": [
            {
                "event_id": a[0],
                "summary": a[2],
                "date": _date(a[1]),
                "certain": certain,
                "entity_id": hex_id,
            }
            for a, certain in _happened(shown["activities"], end)
        ],
        "links": [],
        "sources": None,
        "disagreement": None,
        "conflicts": _conflicts(requests, measures, hex_id),
    }


def _conflicts(requests: list[Any], measures: list[Any], hex_id: str) -> list[dict[str, Any]]:
    """``domain.party.conflicts`` on the stored requests and measures, as their JSON."""
    if not requests:
        return []
    windows = [(_first(m[3]), NEVER if m[4] is None else _last(m[4])) for m in measures]
    found = []
    for event_id, effective, requested_by, _, _ in requests:
        low, high = _first(effective), _last(effective)
        if any(begins <= high and ends >= low for begins, ends in windows):
            continue  # no conflict (request_conflict's first test, before dates are made)
        message = request_conflict(requested_by, date_from_json(effective), low, high, windows)
        if message is not None:
            found.append(
                {
                    "kind": REQUEST_WITHOUT_MEASURE,
                    "event_id": event_id,
                    "entity_id": hex_id,
                    "message": message,
                }
            )
    return found


def _changes(
    changes: list[Any], start: int, end: int, bounds: tuple[str, str]
) -> list[dict[str, Any]]:
    """``EntityView.changed_within``: the changes that may fall within ``[start, end)``,
    in effective order (first day, last day, version), as ``render.change_json``."""
    found = []
    before, after = bounds
    for event_id, type_, effective, measure_id, version in changes:
        # on the ISO days first (they sort as the days do): one starting on or after
        # ``before`` starts too late, one ending on or before ``after`` ends too early
        if effective is not None and (
            (effective[1] is not None and effective[1] >= before)
            or (effective[2] is not None and effective[2] <= after)
        ):
            continue
        low, high = _first(effective), _last(effective)
        if low < end and high >= start:
            found.append((low, high, version or 0, event_id, type_, effective, measure_id))
    found.sort(key=lambda c: c[:3])
    result = []
    for _, _, _, event_id, type_, effective, measure_id in found:
        data: dict[str, Any] = {"event_id": event_id, "type": type_, "date": _date(effective)}
        if measure_id:
            data["measure_id"] = measure_id
        result.append(data)
    return result


def _measures(measures: list[Any], states: str | None, hex_id: str) -> list[dict[str, Any]]:
    """The measures with a state at the cut (``states`` as the query gives them), in the
    record's order, as ``measure_json`` with the party fields of an entity without links."""
    if states is None:
        return []
    at = dict(s.split(_UNIT) for s in states.split(_RECORD))
    result = []
    for measure_id, authority, program, imposed, ended in measures:
        possible = at.get(measure_id)
        if possible is None:
            continue
        values = possible.split(SEPARATOR)
        result.append(
            {
                "measure_id": measure_id,
                "authority": authority,
                "program": program,
                "state": values[0] if len(values) == 1 else _UNCERTAIN,
                "possible_states": [s for s in _STATES if s in values],
                "imposed": _date(imposed),
                "ended": _date(ended),
                "entity_id": hex_id,
                "source": None,
            }
        )
    return result


def _pending(requests: list[Any], cut: int, hex_id: str) -> list[dict[str, Any]]:
    """``domain.status.pending_requests`` on the stored requests, as their JSON."""
    found = []
    for event_id, effective, requested_by, forum, decision in requests:
        earliest = _first(effective)
        if decision is None:
            latest, open_possible, open_certain = _last(effective), True, True
        else:
            decided_last = _last(decision[0])
            latest = min(decided_last, _last(effective))
            open_possible = decided_last >= cut
            open_certain = max(earliest, _first(decision[0])) >= cut
        if earliest < cut and open_possible:
            item = {
                "event_id": event_id,
                "requested_by": requested_by,
                "forum": forum,
                "date": _date(effective),
                "certain": latest < cut and open_certain,
                "entity_id": hex_id,
            }
            found.append((-earliest, item))
    found.sort(key=lambda f: f[0])
    return [item for _, item in found]


def _happened(events: list[Any], cut: int) -> list[tuple[Any, bool]]:
    """``domain.status.happened_by`` on stored annotations: each with ``certain``."""
    found = []
    for event in events:
        low = _first(event[1])
        if low < cut:
            high = _last(event[1])
            found.append((-high, -low, event, high < cut))
    found.sort(key=lambda f: f[:2])
    return [(event, certain) for _, _, event, certain in found]
