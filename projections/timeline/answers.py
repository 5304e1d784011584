"""Every entity's §8 JSON straight from the timeline's rows, without the fold's objects.

``entity_texts`` gives what ``render.entity_json`` of each view of the entities alone (no
link names them) encodes to, in ``queries.iter_views``'s order, each already encoded, from
one read of the tables (``all_rows``); ``entity_fields`` what the csv and table answers
read of it (``FIELDS``), not encoded. The stored display JSON is read as lists and
strings, the rules that pick pending requests, negotiations, activities, changes and
conflicts run on day ordinals, and the entity's head is encoded once for the entity and
for its one member. Property tests hold both to the fold's answer
(``tests/projections/test_timeline.py``, and with links ``test_parties.py``).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from datetime import date
from typing import Any

from domain.party import REQUEST_WITHOUT_MEASURE, request_conflict
from domain.status import ALWAYS, NEVER, STATE_ORDER, Status
from projections.stream import Encoded
from projections.timeline.all_rows import AllRows
from projections.timeline.display import date_from_json, decode_display
from projections.timeline.segments import SEPARATOR

_UNIT = "\x1f"  # between the parts of one row in the query's answer
_RECORD = "\x1e"  # between rows

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


def stored_first(stored: Sequence[Any] | None) -> int:
    """``domain.status.first_day`` of a stored date."""
    if stored is None or (text := stored[1]) is None:
        return ALWAYS
    found = _ORDINALS.get(text)
    return _ordinal(text) if found is None else found


def stored_last(stored: Sequence[Any] | None) -> int:
    """``domain.status.last_day`` of a stored date."""
    if stored is None or (text := stored[2]) is None:
        return NEVER
    found = _ORDINALS.get(text)
    return (_ordinal(text) if found is None else found) - 1


def stored_date(stored: Sequence[Any] | None) -> dict[str, Any] | None:
    """``DateInterval.as_json`` of a stored date."""
    return None if stored is None else {"text": stored[0], "from": stored[1], "until": stored[2]}


# What the csv and table answers read of an entity's (or a party's) ``render.entity_json``,
# and of each of its measures and members: ``entity_fields`` and a party's fields give these.
FIELDS = (
    "entity_id",
    "name",
    "identifiers",
    "status",
    "possible_statuses",
    "status_at_start",
    "possible_statuses_at_start",
    "changed_within",
    "measures",
    "pending_delisting_requests",
    "disagreement",
    "conflicts",
)
MEASURE_FIELDS = ("authority", "program", "state")
MEMBER_FIELDS = ("entity_id", "name")


def entity_texts(read: AllRows) -> Generator[tuple[Key, Encoded], None, None]:
    """Each entity alone of the read (``all_rows``), its key and its ``render.entity_json``
    as ``json.dumps(..., ensure_ascii=False)`` encodes it, sorted as ``iter_views`` sorts."""
    start, end, bounds = read.start, read.end, read.bounds
    for row in read.alone:
        yield (
            (row[1].casefold(), row[0]),
            Encoded(_with_member(ENCODE(_entity_data(row, start, end, bounds)))),
        )


def entity_fields(read: AllRows) -> Generator[tuple[Key, dict[str, Any]], None, None]:
    """``entity_texts``'s entities as what the csv and table answers read: ``FIELDS`` of
    each, not encoded; no ``members`` for an entity alone."""
    start, end, bounds = read.start, read.end, read.bounds
    for row in read.alone:
        yield (row[1].casefold(), row[0]), _entity_fields(row, start, end, bounds)


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
    return {
        "entity_id": hex_id,
        "name": name,
        "kind": shown["kind"],
        "country": shown["country"],
        "aliases": shown["aliases"],
        "identifiers": shown["identifiers"],
        **statuses_json(at_end.split(_UNIT), at_start.split(_UNIT)),
        "changed_within": in_order(change_items(shown["changes"], start, end, bounds)),
        "measures": _measures(measures, states, hex_id),
        "pending_delisting_requests": in_order(pending_items(requests, end, hex_id)),
        "negotiations": in_order(negotiation_items(shown["negotiations"], end, hex_id)),
        "activities": in_order(activity_items(shown["activities"], end, hex_id)),
        "links": [],
        "sources": None,
        "disagreement": None,
        "conflicts": conflict_items(requests, measure_windows(measures), hex_id)
        if requests
        else [],
    }


def _entity_fields(
    row: tuple[Any, ...], start: int, end: int, bounds: tuple[str, str]
) -> dict[str, Any]:
    """``FIELDS`` of an entity's ``render.entity_json``, from its query row."""
    entity_id, name, display, at_start, at_end, states = row
    shown = decode_display(display)
    requests = shown["requests"]
    hex_id = entity_id.replace("-", "")
    return {
        "entity_id": hex_id,
        "name": name,
        "identifiers": shown["identifiers"],
        **statuses_json(at_end.split(_UNIT), at_start.split(_UNIT)),
        "changed_within": in_order(change_items(shown["changes"], start, end, bounds)),
        "measures": [] if states is None else measure_fields(shown["measures"], states_of(states)),
        "pending_delisting_requests": in_order(pending_items(requests, end, hex_id)),
        "disagreement": None,
        "conflicts": conflict_items(requests, measure_windows(shown["measures"]), hex_id)
        if requests
        else [],
    }


def statuses_json(at_end: Sequence[str], at_start: Sequence[str]) -> dict[str, Any]:
    """The JSON's statuses at both cuts, from each cut's status and possible statuses (as
    ``SEPARATOR`` joins them)."""
    (status, possible), (status_start, possible_start) = at_end, at_start
    return {
        "status": status,
        "possible_statuses": possible.split(SEPARATOR),
        "status_at_start": status_start,
        "possible_statuses_at_start": possible_start.split(SEPARATOR),
    }


def states_of(found: str | None) -> dict[str, str]:
    """Possible states by measure, from the text of a query's states subquery
    (``measure_id || char(31) || possible``, ``char(30)`` between measures)."""
    if found is None:
        return {}
    parts = iter(found.replace(_UNIT, _RECORD).split(_RECORD))  # id, states, id, states...
    return dict(zip(parts, parts, strict=True))


def measure_fields(measures: list[Any], at: Mapping[str, str]) -> list[dict[str, Any]]:
    """``MEASURE_FIELDS`` of ``measures_at``'s measures."""
    result = []
    for measure_id, authority, program, _, _ in measures:
        possible = at.get(measure_id)
        if possible is not None:
            state = _UNCERTAIN if SEPARATOR in possible else possible
            result.append({"authority": authority, "program": program, "state": state})
    return result


def measure_windows(measures: list[Any]) -> list[tuple[int, int]]:
    """``domain.party.measure_window`` of each stored measure."""
    return [(stored_first(m[3]), NEVER if m[4] is None else stored_last(m[4])) for m in measures]


def conflict_items(
    requests: list[Any], windows: list[tuple[int, int]], hex_id: str
) -> list[dict[str, Any]]:
    """``domain.party.conflicts`` of the stored requests against the measures' windows
    (the party's, for a party), as their JSON."""
    found = []
    for event_id, effective, requested_by, _, _ in requests:
        low, high = stored_first(effective), stored_last(effective)
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


Item = tuple[tuple[int, ...], dict[str, Any]]  # a sort key and an item's JSON


def in_order(items: list[Item]) -> list[dict[str, Any]]:
    """The items' JSON by their keys (a stable sort: ties keep the record's order)."""
    items.sort(key=lambda item: item[0])
    return [data for _, data in items]


def change_items(changes: list[Any], start: int, end: int, bounds: tuple[str, str]) -> list[Item]:
    """``EntityView.changed_within``: the changes that may fall within ``[start, end)``,
    keyed by effective order (first day, last day, version), as ``render.change_json``."""
    found: list[Item] = []
    before, after = bounds
    for event_id, type_, effective, measure_id, version in changes:
        # on the ISO days first (they sort as the days do): one starting on or after
        # ``before`` starts too late, one ending on or before ``after`` ends too early
        if effective is not None and (
            (effective[1] is not None and effective[1] >= before)
            or (effective[2] is not None and effective[2] <= after)
        ):
            continue
        low, high = stored_first(effective), stored_last(effective)
        if low < end and high >= start:
            data: dict[str, Any] = {
                "event_id": event_id,
                "type": type_,
                "date": stored_date(effective),
            }
            if measure_id:
                data["measure_id"] = measure_id
            found.append(((low, high, version or 0), data))
    return found


def _measures(measures: list[Any], states: str | None, hex_id: str) -> list[dict[str, Any]]:
    """The measures with a state at the cut (``states`` as the query gives them), in the
    record's order, as ``measure_json`` with the party fields of an entity without links."""
    if states is None:
        return []
    return measures_at(measures, states_of(states), hex_id)


def measures_at(
    measures: list[Any],
    at: Mapping[str, str],
    hex_id: str,
    sources: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    """The stored measures with a state at the cut (``at``: possible states by measure), in
    the record's order, as ``measure_json`` with the party fields: ``sources``, what stands
    for each measure's imposition source (a party's), else none."""
    result = []
    for index, (measure_id, authority, program, imposed, ended) in enumerate(measures):
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
                "imposed": stored_date(imposed),
                "ended": stored_date(ended),
                "entity_id": hex_id,
                "source": None if sources is None else sources[index],
            }
        )
    return result


def pending_items(requests: list[Any], cut: int, hex_id: str) -> list[Item]:
    """``domain.status.pending_requests`` on the stored requests, keyed by their order."""
    found: list[Item] = []
    for event_id, effective, requested_by, forum, decision in requests:
        earliest = stored_first(effective)
        if decision is None:
            latest, open_possible, open_certain = stored_last(effective), True, True
        else:
            decided_last = stored_last(decision[0])
            latest = min(decided_last, stored_last(effective))
            open_possible = decided_last >= cut
            open_certain = max(earliest, stored_first(decision[0])) >= cut
        if earliest < cut and open_possible:
            item = {
                "event_id": event_id,
                "requested_by": requested_by,
                "forum": forum,
                "date": stored_date(effective),
                "certain": latest < cut and open_certain,
                "entity_id": hex_id,
            }
            found.append(((-earliest,), item))
    return found


def negotiation_items(negotiations: list[Any], cut: int, hex_id: str) -> list[Item]:
    """``domain.status.happened_by`` on the stored negotiations, keyed by their order."""
    return [
        (
            key,
            {
                "event_id": n[0],
                "forum": n[2],
                "summary": n[3],
                "date": stored_date(n[1]),
                "certain": certain,
                "entity_id": hex_id,
            },
        )
        for key, n, certain in _happened(negotiations, cut)
    ]


def activity_items(activities: list[Any], cut: int, hex_id: str) -> list[Item]:
    """``domain.status.happened_by`` on the stored activities, keyed by their order."""
    return [
        (
            key,
            {
                "event_id": a[0],
                "summary": a[2],
                "date": stored_date(a[1]),
                "certain": certain,
                "entity_id": hex_id,
            },
        )
        for key, a, certain in _happened(activities, cut)
    ]


def _happened(events: list[Any], cut: int) -> list[tuple[tuple[int, int], Any, bool]]:
    """The stored annotations that may have happened by ``cut``: each with its key (most
    recent first) and ``certain``."""
    found = []
    for event in events:
        low = stored_first(event[1])
        if low < cut:
            high = stored_last(event[1])
            found.append(((-high, -low), event, high < cut))
    return found
