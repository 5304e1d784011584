"""What the status output shows of an entity besides its states, as the timeline stores it:
one compact JSON text per entity (``display``), dates as ``[text, from, until, how]``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from domain.dates import DateInterval
from domain.record import EntityRecord
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


def display(record: EntityRecord) -> str:
    """The entity's head, measures and annotations, as the status output shows them."""
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
        }
    )
