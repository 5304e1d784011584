"""Reading many aggregates' stored events at once: one query per 500 ids on SQLite.

The library reads one aggregate per query; answers that need hundreds of entities (a
party's members across a store, a file of links) read them in chunks instead. Elsewhere
(PostgreSQL) the library's reads, one aggregate at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteAggregateRecorder
from eventsourcing.utils import resolve_topic

from domain.entity import to_recorded
from domain.record import Recorded
from events_log.app import SanctionsApp
from events_log.compression import plain_state, readable_states

CHUNK = 500


def sqlite_recorder(app: SanctionsApp) -> SQLiteAggregateRecorder | None:
    recorder: Any = app.recorder
    return recorder if isinstance(recorder, SQLiteAggregateRecorder) else None


def select_rows(
    recorder: SQLiteAggregateRecorder, columns: str, ids: Sequence[UUID], rest: str = ""
) -> list[Any]:
    """``SELECT columns`` of the events of these aggregates (plus ``rest``), in chunks."""
    rows: list[Any] = []
    table = recorder.events_table_name
    with recorder.datastore.transaction(commit=False) as cursor:
        plain = cursor.sqlite_cursor
        for start in range(0, len(ids), CHUNK):
            chunk = [i.hex for i in ids[start : start + CHUNK]]
            plain.execute(
                f"SELECT {columns} FROM {table} "
                f"WHERE originator_id IN ({','.join('?' * len(chunk))}) {rest}",
                chunk,
            )
            rows += plain.fetchall()
    return rows


def histories(app: SanctionsApp, entity_ids: Iterable[str]) -> dict[str, list[Recorded]]:
    """Each entity's events in version order, as ``app.entity_events`` gives them."""
    wanted = [UUID(e) for e in dict.fromkeys(entity_ids)]
    recorder = sqlite_recorder(app)
    if recorder is None:
        return {str(e): app.entity_events(e) for e in wanted}
    found: dict[str, list[Recorded]] = {str(e): [] for e in wanted}
    rows = select_rows(
        recorder,
        "originator_id, originator_version, topic, state",
        wanted,
        "ORDER BY originator_id, originator_version",
    )
    plain = readable_states(app.mapper)
    for originator, version, topic, state in rows:
        entity_id = str(UUID(originator))
        if plain:
            recorded = recorded_of(app, entity_id, version, topic, state)
        else:
            stored = StoredEvent(
                originator_id=UUID(originator), originator_version=version, topic=topic, state=state
            )
            event: Any = app.mapper.to_domain_event(stored)
            recorded = to_recorded(event)
        found[entity_id].append(recorded)
    return found


_TYPES: dict[str, str] = {}
_ENVELOPE = ("event_id", "effective", "source", "correlation_id", "timestamp")


def recorded_of(
    app: SanctionsApp,
    entity_id: str,
    version: int,
    topic: str,
    state: bytes,
    position: int | None = None,
) -> Recorded:
    """What ``to_recorded`` makes of the event, from its decoded state (the transcoder's
    values: sources, intervals, times), without making the event object."""
    kind = _TYPES.get(topic)
    if kind is None:
        kind = _TYPES[topic] = resolve_topic(topic).TYPE
    fields = app.mapper.transcoder.decode(plain_state(state))
    event_id, effective, source, correlation, timestamp = (fields.pop(k) for k in _ENVELOPE)
    fields.pop("originator_topic", None)  # the aggregate's class, on a creation event
    return Recorded(
        type=kind,
        event_id=event_id,
        entity_id=entity_id,
        effective=effective,
        source=source,
        recorded_at=timestamp,
        fields=fields,
        correlation_id=correlation,
        position=position,
        version=version,
    )
