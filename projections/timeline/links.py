"""The links in force, as the timeline keeps them: which entities are one party, for the
all-entity answers, without reading and decoding every link event of the log.

``timeline_links`` holds a row per pair of entities linked directly: the link's id, the log
position of the event that made it, its reason, source and record time. The rules are
``domain.party.Parties.add``'s, in SQL: a link event adds its pair unless the pair is
linked already; an unlink event removes the pair's row if it withdraws that very link.
Both halves of a link or unlink come by; the second changes nothing more. The rows are
written in the same transaction as the entities' rows and the tracked position
(``tables.TimelineView.replace``); a backlog projected in key order replays its link
events after its entities (``sqlite_view.SQLiteTimelineView.replace_links``).

Each entity's row in ``timeline_entities`` says whether a row here names it (``linked``):
every write of an entity's row computes it (``is_linked``), and every write here recomputes
it for the pair's entities (``write``, ``unlink_all``), so the all-entity answers tell the
entities of a party from the others by a column, in the same read as the rest.

``parties_of`` makes the parties of the rows, their links in the order they were made
(``party_answers.stored_parties``); ``party_rows`` keeps each party's rows of them.
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


INDEX = f"CREATE INDEX IF NOT EXISTS {TABLE}_b ON {TABLE} (entity_b)"  # for ``is_linked``


def is_linked(mark: str) -> str:
    """Whether a row names the entity (its id as the two parameters), as SQL."""
    return (
        f"(EXISTS (SELECT 1 FROM {TABLE} WHERE entity_a = {mark}) "
        f"OR EXISTS (SELECT 1 FROM {TABLE} WHERE entity_b = {mark}))"
    )


def pair_of(event: Recorded) -> tuple[str, str]:
    """The pair of entities a link or unlink half names, in the stored order."""
    return pair(event.entity_id, str(event.get("other_id")))


def write(cursor: Any, mark: str, events: Sequence[Recorded]) -> None:
    """Apply these link and unlink halves, in order, to the stored links, and mark their
    entities' rows as linked or not."""
    m = mark
    named: set[str] = set()  # named by a link of these events
    unnamed: set[str] = set()  # of a pair unlinked: named by another link, or not
    for event in events:
        a, b = pair_of(event)
        link_id = str(event.get("link_id"))
        if event.type == ENTITIES_LINKED:
            named.update((a, b))
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
            unnamed.update((a, b))
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE entity_a = {m} AND entity_b = {m} AND link_id = {m}",
                (a, b, link_id),
            )
    # each entity once, its row written only where the mark changes
    if named - unnamed:
        cursor.executemany(
            f"UPDATE timeline_entities SET linked = TRUE WHERE entity_id = {m} AND NOT linked",
            [(e,) for e in sorted(named - unnamed)],
        )
    if unnamed:
        linked = is_linked(m)
        cursor.executemany(
            f"UPDATE timeline_entities SET linked = {linked} "
            f"WHERE entity_id = {m} AND linked <> {linked}",
            [(e, e, e, e, e) for e in sorted(unnamed)],
        )


def unlink_all(cursor: Any) -> None:
    """Remove every stored link, and every entity's linked mark."""
    cursor.execute(f"DELETE FROM {TABLE}")
    cursor.execute("UPDATE timeline_entities SET linked = FALSE WHERE linked")


STORED = (
    f"SELECT entity_a, entity_b, link_id, reason, source, recorded_at FROM {TABLE} "
    "ORDER BY position, entity_a, entity_b"
)


def source_of(stored: str) -> Source:
    """A link's source from its stored text."""
    source: Source = _SOURCE.decode(json.loads(stored))
    return source


def parties_of(rows: Sequence[tuple[Any, ...]]) -> Parties:
    """The parties of the stored links (``STORED``'s rows); links of one source share it."""
    sources: dict[str, Source] = {}
    links = []
    for a, b, link_id, reason, stored, recorded_at in rows:
        source = sources.get(stored)
        if source is None:
            source = sources[stored] = source_of(stored)
        links.append(Link(link_id, (a, b), reason, source, datetime.fromisoformat(recorded_at)))
    return Parties.of_links(links)
