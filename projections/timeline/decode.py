"""Stored entity events as the projection reads them: log pages and a fast decoder.

The projection reads what the status rules need of each event and nothing more: no event
class, no source but an imposition's, no record time but a registration's (what a party's
answer needs: ``display.party_fields``); see ``decode_stored``; the property tests hold
its answers to the fold's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import resolve_topic

from domain.dates import DateInterval
from domain.record import ENTITY_REGISTERED, SANCTION_IMPOSED, Recorded, Source
from events_log.app import ENTITY_TOPIC_PREFIX, SanctionsApp, SourceAsDict
from events_log.compression import plain_state

# What the timeline does not store: the status output never shows it.
NOT_STORED = Source(title="(not stored in the timeline: see history)")
NO_TIME = datetime.min.replace(tzinfo=UTC)
_SCAN: Any = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # raw_decode's scanner

# The envelope: ``event_id``, ``effective`` and ``correlation_id`` are read; ``timestamp``
# only of a registration, ``source`` only of an imposition, ``originator_topic`` never.
_TYPES: dict[str, str] = {}
_INTERVALS: dict[tuple[Any, ...], DateInterval] = {}


def _event_type(topic: str) -> str:
    found = _TYPES.get(topic)
    if found is None:
        found = _TYPES[topic] = resolve_topic(topic).TYPE
    return found


def _interval(data: Mapping[str, Any] | None) -> DateInterval | None:
    if data is None:
        return None
    inner = data["_data_"]
    key = (inner["text"], inner["from"], inner["until"], inner.get("how", ""))
    found = _INTERVALS.get(key)
    if found is not None:
        return found
    if found is None:
        if len(_INTERVALS) > 10_000:
            _INTERVALS.clear()
        found = _INTERVALS[key] = DateInterval(
            text=key[0],
            start=None if key[1] is None else date.fromisoformat(key[1]),
            until=None if key[2] is None else date.fromisoformat(key[2]),
            how=key[3],
        )
    return found


_SOURCES = SourceAsDict()  # the imposition's source, as the mapper decodes it


def decode_stored(stored: StoredEvent, position: int | None = None) -> Recorded:
    """What the status rules read of a stored entity event, without the event class.

    The source and the record time are not decoded (the status rules do not read them),
    except an imposition's source and a registration's time (a party's answer reads them):
    this is the projection's fast path; the property tests hold it to the fold's answers.
    """
    return decode_entry(
        stored.topic, stored.state, str(stored.originator_id), stored.originator_version, position
    )


def decode_entry(
    topic: str, state: bytes, entity_id: str, version: int, position: int | None = None
) -> Recorded:
    """``decode_stored`` on the parts of a log entry."""
    # json.loads, less its checks of the white space around the value (the mapper writes none)
    fields = _SCAN(plain_state(state).decode(), 0)[0]
    pop = fields.pop
    event_id = pop("event_id")
    effective = pop("effective")
    correlation_id = pop("correlation_id")
    kind = _TYPES.get(topic) or _event_type(topic)
    source, recorded_at = NOT_STORED, NO_TIME
    if kind == SANCTION_IMPOSED:
        source = _SOURCES.decode(fields["source"]["_data_"])
    elif kind == ENTITY_REGISTERED:
        recorded_at = datetime.fromisoformat(fields["timestamp"]["_data_"])
    pop("timestamp", None)
    pop("source", None)
    pop("originator_topic", None)
    changes = fields.get("changes")
    if changes and "effective" in changes:
        fields["changes"] = {**changes, "effective": _interval(changes["effective"])}
    return Recorded(
        kind,
        event_id,
        entity_id,
        None if effective is None else _interval(effective),
        source,
        recorded_at,
        fields,
        correlation_id,
        position,
        version,
    )


# A log entry as the projection reads it: position, originator id (``str`` of the UUID,
# for entity events), version, topic and stored state.
Entry = tuple[int, str, int, str, bytes]


def read_page(app: SanctionsApp, start: int, limit: int) -> list[Entry]:
    """Up to ``limit`` log entries from position ``start``, in log order.

    On SQLite a plain cursor reads the library's events table (reads only): the library's
    ``Notification`` and ``UUID`` objects cost more than the projection's own work.
    Elsewhere the recorder's ``select_notifications``.
    """
    recorder: Any = app.recorder
    if not isinstance(recorder, SQLiteApplicationRecorder):
        return [
            (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
            for n in recorder.select_notifications(start=start, limit=limit)
        ]
    with recorder.datastore.transaction(commit=False) as cursor:
        plain = cursor.sqlite_cursor
        plain.row_factory = None
        plain.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {recorder.events_table_name} WHERE rowid >= ? ORDER BY rowid LIMIT ?",
            (start, limit),
        )
        rows = plain.fetchall()
    prefix = ENTITY_TOPIC_PREFIX
    return [
        (position, uuid_text(hex_id), version, topic, state)
        if topic.startswith(prefix) and len(hex_id) == 32
        else (position, hex_id, version, topic, state)
        for position, hex_id, version, topic, state in rows
    ]


def uuid_text(hex_id: str) -> str:
    """``str(UUID(hex_id))`` for the lower-case hex the SQLite recorder stores."""
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"
