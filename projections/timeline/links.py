"""The links in force, as the timeline keeps them: which entities are one party, for the
all-entity answers, without reading and decoding every link event of the log.

``timeline_links`` holds a row per pair of entities linked directly: the link's id, the log
position of the event that made it, its reason, source and record time. The rules are
``domain.party.Parties.add``'s, in SQL: a link event adds its pair unless the pair is
linked already; an unlink event removes the pair's row if it withdraws that very link.
Both halves of a link or unlink come by; the second changes nothing more. The rows are
written in the same transaction as the entities' rows and the tracked position
(``tables.TimelineView.replace``); a backlog projected in key order replays its link
events after its entities (``tables.SQLiteTimelineView.replace_links``).

``stored_parties`` makes the parties of the rows, their links in the order they were made;
``PAIRS`` reads only the pairs, for ``domain.party.pair_groups``: which entities are one
party, what the csv and table answers need.
Property test: they are the parties of the link events
(``tests/projections/test_party_answers.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.entity import to_recorded
from domain.party import Link, Parties, pair
from domain.record import ENTITIES_LINKED, ENTITIES_UNLINKED, Recorded, Source
from events_log.app import SanctionsApp, SourceAsDict
from events_log.bulk_read import recorded_of
from events_log.compression import readable_states

TABLE = "timeline_links"
COLUMNS = (
    "entity_a TEXT NOT NULL, entity_b TEXT NOT NULL, link_id TEXT NOT NULL, "
    "position BIGINT NOT NULL, reason TEXT, source TEXT NOT NULL, recorded_at TEXT NOT NULL, "
    "PRIMARY KEY (entity_a, entity_b)"
)
_SOURCE = SourceAsDict()


def link_event(
    app: SanctionsApp, position: int, entity_id: str, version: int, topic: str, state: bytes
) -> Recorded:
    """A link or unlink half from its log entry, with its position and source."""
    if readable_states(app.mapper):
        return recorded_of(app, entity_id, version, topic, state, position)
    stored = StoredEvent(
        originator_id=UUID(entity_id), originator_version=version, topic=topic, state=state
    )
    event: Any = app.mapper.to_domain_event(stored)
    return to_recorded(event, position=position)


def write(cursor: Any, mark: str, events: Sequence[Recorded]) -> None:
    """Apply these link and unlink halves, in order, to the stored links."""
    m = mark
    for event in events:
        a, b = pair(event.entity_id, str(event.get("other_id")))
        link_id = str(event.get("link_id"))
        if event.type == ENTITIES_LINKED:
            assert event.position is not None, "a stored link keeps its log position"
            cursor.execute(
                f"INSERT INTO {TABLE} VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}) "
                "ON CONFLICT (entity_a, entity_b) DO NOTHING",
                (
                    a,
                    b,
                    link_id,
                    event.position,
                    event.get("reason"),
                    json.dumps(_SOURCE.encode(event.source), ensure_ascii=False),
                    event.recorded_at.isoformat(),
                ),
            )
        elif event.type == ENTITIES_UNLINKED:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE entity_a = {m} AND entity_b = {m} AND link_id = {m}",
                (a, b, link_id),
            )


STORED = (
    f"SELECT entity_a, entity_b, link_id, reason, source, recorded_at FROM {TABLE} "
    "ORDER BY position, entity_a, entity_b"
)


def parties_of(rows: Sequence[tuple[Any, ...]]) -> Parties:
    """The parties of the stored links (``STORED``'s rows); links of one source share it."""
    sources: dict[str, Source] = {}
    links = []
    for a, b, link_id, reason, stored, recorded_at in rows:
        source = sources.get(stored)
        if source is None:
            source = sources[stored] = _SOURCE.decode(json.loads(stored))
        links.append(Link(link_id, (a, b), reason, source, datetime.fromisoformat(recorded_at)))
    return Parties.of_links(links)


PAIRS = f"SELECT entity_a, entity_b FROM {TABLE}"
