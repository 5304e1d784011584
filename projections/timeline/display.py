"""What the status output shows of an entity besides its states, as the timeline stores it
(``display``): one value per entity, made by ``encode_display`` and read back by
``decode_display`` (every reader goes through it).

The stored form (format ``DISPLAY_FORMAT``) is a compact JSON array, the values of
``FIELDS`` in that order (dates as ``[text, from, until, how]``), in UTF-8, compressed as
one raw deflate stream primed with a fixed dictionary of what every entity's array
repeats (``DICTIONARY``: a skeleton with generic values). About 1.4 kB of JSON shrinks to
about 0.4 kB. The dictionary never changes within a format (a test holds its digest); a
new one is a new format, and the timeline's tables of the old one are rebuilt
(``tables.TimelineView.ensure_layout``).

``party`` holds what a party's answer needs besides (``party_answers``): when the entity
was registered (UTC, as sortable text; ``null`` without a registration on record), each
measure's ending type and end window (the chain bounds of its last event) with the index
of its imposition's source, and those sources (``[title, publisher, published, url]``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from domain.dates import DateInterval
from domain.record import ENTITY_REGISTERED, EntityRecord
from domain.status import chain_bounds
from projections.views import CHANGES

DISPLAY_FORMAT = "display-zlib-dict-1"
FIELDS = (
    "kind",
    "country",
    "aliases",
    "identifiers",
    "measures",
    "requests",
    "negotiations",
    "activities",
    "changes",
    "party",
)
_ID = '"0123456789abcdef0123456789abcdef"'
DICTIONARY = (
    '["company",null,[],[],[],[],[],[],[]]'
    '["person","DPRK",["alias"],["scheme:value"],'
    f'[[{_ID},"OFAC","SDGT",["2013","2013-01-01","2014-01-01","year"],null]],'
    f'[[{_ID},["2014-07","2014-07-01","2014-08-01","month"],"the entity",null,null]],'
    f'[[{_ID},["2014-11-01","2014-11-01","2014-11-02","exact"],"bilateral talks",null]],'
    f'[[{_ID},["..2015-05-04",null,"2015-05-05","open start"],"reported"]],'
    f'[[{_ID},"delisting_decided",["2015-05-04..","2015-05-04",null,"open end"],null,2],'
    f'[{_ID},"sanction_waived",null,{_ID},3],'
    f'[{_ID},"waiver_ended",["1990/1999","1990-01-01","2000-01-01","range"],null,4],'
    f'[{_ID},"sanction_lapsed",["2001","2001-01-01","2002-01-01","year"],null,5],'
    f'[{_ID},"sanction_lifted",["2013-10-27/2015-09-10","2013-10-27","2015-09-10","range"],null,6],'
    f'[{_ID},"delisting_requested",["2016-01-05","2016-01-05","2016-01-06","exact"],null,7],'
    f'[{_ID},"sanction_imposed",["2020-06","2020-06-01","2020-07-01","month"],null,8]]]'
).encode()
WBITS = -12  # a 4 KiB window, no header: an entity's array is a few kB at most
_PRIMED = zlib.compressobj(3, zlib.DEFLATED, WBITS, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_DECODER = json.JSONDecoder()


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


def display(record: EntityRecord, windows: Sequence[tuple[int, int]] | None = None) -> bytes:
    """The entity's head, measures and annotations, as the status output shows them, and
    the party fields (``windows``: the measures' end windows, when known already):
    ``encode_display`` of ``display_values``."""
    return encode_display(display_values(record, windows))


def display_values(
    record: EntityRecord, windows: Sequence[tuple[int, int]] | None = None
) -> list[Any]:
    """The values of ``FIELDS`` for this record, as lists, strings and numbers."""
    return [
        record.kind,
        record.country,
        record.aliases,
        record.identifiers,
        [
            [
                m.measure_id,
                m.authority,
                m.program,
                date_json(m.imposition.effective),
                date_json(m.ending.effective) if m.ending else None,
            ]
            for m in record.measures
        ],
        [
            [
                r.request.event_id,
                date_json(r.request.effective),
                r.request.fields.get("requested_by"),
                r.request.fields.get("forum"),
                None if r.decision is None else [date_json(r.decision.effective)],
            ]
            for r in record.requests
        ],
        [
            [e.event_id, date_json(e.effective), e.fields.get("forum"), e.fields.get("summary")]
            for e in record.negotiations
        ],
        [[e.event_id, date_json(e.effective), e.fields.get("summary")] for e in record.activities],
        [
            [e.event_id, e.type, date_json(e.effective), e.fields.get("measure_id"), e.version]
            for e in record.facts
            if e.type in CHANGES
        ],
        party_fields(record, windows),
    ]


def encode_display(values: Sequence[Any]) -> bytes:
    """The stored form of the values of ``FIELDS`` (in that order)."""
    deflate = _PRIMED.copy()
    return deflate.compress(_COMPACT.encode(values).encode()) + deflate.flush()


def decode_display(stored: bytes, text: str | None = None) -> dict[str, Any]:
    """What ``encode_display`` stored, by field name: lists for tuples, strings, numbers
    (``text``: its ``display_text``, where the caller has it already)."""
    values = _DECODER.raw_decode(display_text(stored) if text is None else text)[0]
    return dict(zip(FIELDS, values, strict=True))


def display_text(stored: bytes) -> str:
    """The JSON text of a stored display (a cheap test for a word in it)."""
    inflate = zlib.decompressobj(WBITS, zdict=DICTIONARY)
    return inflate.decompress(stored).decode()
