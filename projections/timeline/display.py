"""What the status output shows of an entity besides its states, as the timeline stores it:
one compact JSON text per entity (``display``), dates as ``[text, from, until, how]``.

``party`` holds what a party's answer needs besides (``party_answers``): when the entity
was registered (UTC, as sortable text; ``null`` without a registration on record), each
measure's ending type and end window (the chain bounds of its last event) with the index
of its imposition's source, and those sources (``[title, publisher, published, url]``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from domain.dates import DateInterval
from domain.record import ENTITY_REGISTERED, EntityRecord
from domain.status import chain_bounds
from projections.views import CHANGES


def date_json(interval: DateInterval | None) -> list[Any] | None:
    """A date interval as the timeline's JSON keeps it."""
    if interval is None:
        return None
    return [
        interval.text,
        None if interval.start is None else interval.start.isoformat(),
        None if interval.until is None else interval.until.isoformat(),
        interval.how,
    ]


def date_from_json(data: Sequence[Any] | None) -> DateInterval | None:
    """The date interval ``date_json`` made (the same object for the same dates, while
    the last 10,000 are kept: intervals are immutable)."""
    if data is None:
        return None
    key = tuple(data)
    found = _INTERVALS.get(key)
    if found is None:
        if len(_INTERVALS) >= 10_000:
            _INTERVALS.clear()
        text, start, until, how = key
        found = _INTERVALS[key] = DateInterval(
            text=text,
            start=None if start is None else date.fromisoformat(start),
            until=None if until is None else date.fromisoformat(until),
            how=how,
        )
    return found


_INTERVALS: dict[tuple[Any, ...], DateInterval] = {}


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # what json.dumps makes with these


def time_text(moment: datetime | None) -> str | None:
    """A record time as text that sorts as the times do (UTC, microseconds)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def party_fields(
    record: EntityRecord, windows: Sequence[tuple[int, int]] | None = None
) -> list[Any]:
    """``[registered, ends, sources]``: see the module's description. ``windows`` are the
    measures' end windows when known already."""
    if windows is None:
        windows = []
        for measure in record.measures:
            earliest, latest = chain_bounds(measure.chain())
            windows.append((earliest[-1], latest[-1]))
    sources: dict[tuple[Any, ...], int] = {}
    ends = []
    for measure, (low, high) in zip(record.measures, windows, strict=True):
        source = measure.imposition.source
        key = (
            source.title,
            source.publisher,
            None if source.published is None else source.published.isoformat(),
            source.url,
        )
        index = sources.setdefault(key, len(sources))
        ending = None if measure.ending is None else measure.ending.type
        ends.append([ending, low, high, index])
    registered = next((f for f in record.facts if f.type == ENTITY_REGISTERED), None)
    at = None if registered is None else time_text(registered.recorded_at)
    return [at, ends, [list(k) for k in sources]]


def display(record: EntityRecord, windows: Sequence[tuple[int, int]] | None = None) -> str:
    """The entity's head, measures and annotations, as the status output shows them, and
    the party fields (``windows``: the measures' end windows, when known already)."""
    return _COMPACT.encode(
        {
            "kind": record.kind,
            "country": record.country,
            "aliases": record.aliases,
            "identifiers": record.identifiers,
            "measures": [
                [
                    m.measure_id,
                    m.authority,
                    m.program,
                    date_json(m.imposition.effective),
                    date_json(m.ending.effective) if m.ending else None,
                ]
                for m in record.measures
            ],
            "requests": [
                [
                    r.request.event_id,
                    date_json(r.request.effective),
                    r.request.fields.get("requested_by"),
                    r.request.fields.get("forum"),
                    None if r.decision is None else [date_json(r.decision.effective)],
                ]
                for r in record.requests
            ],
            "negotiations": [
                [
                    e.event_id,
                    date_json(e.effective),
                    e.fields.get("forum"),
                    e.fields.get("summary"),
                ]
                for e in record.negotiations
            ],
            "activities": [
                [e.event_id, date_json(e.effective), e.fields.get("summary")]
                for e in record.activities
            ],
            "changes": [
                [e.event_id, e.type, date_json(e.effective), e.fields.get("measure_id"), e.version]
                for e in record.facts
                if e.type in CHANGES
            ],
            "party": party_fields(record, windows),
        }
    )
