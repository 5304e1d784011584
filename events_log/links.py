"""Links and unlinks: two entities are one party, said by a source (DESIGN.md §10).

Each link or unlink is one event on each of the two entities, sharing a ``link_id`` (and a
correlation id), saved in one transaction. The party rules (domain/party.py) are checked
against every link on record, read again on each try of the write.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

from domain.entity import to_recorded
from domain.errors import RuleViolationError
from domain.party import Parties
from domain.record import Recorded, Source
from events_log.app import LINK_TOPICS, LINK_TOPICS_SQL, SanctionsApp
from events_log.bulk_read import recorded_of, sqlite_recorder
from events_log.compression import readable_states


def link_events(app: SanctionsApp, after: int = 0, until: int | None = None) -> Iterator[Recorded]:
    """Every half of every link and unlink (at log positions after ``after``, up to
    ``until``), in recorded order, with positions: on SQLite one query of the link topics
    (through their partial index: ``SanctionsApp._index_links``), decoded without the event
    classes (``recorded_of``)."""
    recorder = sqlite_recorder(app)
    if recorder is not None and readable_states(app.mapper):
        with recorder.datastore.transaction(commit=False) as cursor:
            plain = cursor.sqlite_cursor
            plain.row_factory = None
            plain.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {recorder.events_table_name} WHERE topic IN ({LINK_TOPICS_SQL}) "
                "AND rowid > ? AND rowid <= ? ORDER BY rowid",
                (after, _LAST if until is None else until),
            )
            rows = plain.fetchall()
        for position, originator, version, topic, state in rows:
            yield recorded_of(app, str(UUID(originator)), version, topic, state, position)
        return
    for notification in app.iter_notifications(start=after + 1, topics=LINK_TOPICS):
        if until is not None and notification.id > until:
            return
        event: Any = app.mapper.to_domain_event(notification)
        yield to_recorded(event, position=notification.id)


_LAST = 2**63 - 1  # past every log position


def parties(app: SanctionsApp) -> Parties:
    return Parties(link_events(app))


def require_source(source: Source) -> None:
    if not source.title.strip():
        msg = "a link or unlink needs --source: who judged that the two are one party"
        raise RuleViolationError(msg)


def names_of(app: SanctionsApp, *ids: UUID) -> dict[str, str]:
    return {str(i): app.entity(i).record().name for i in ids}


def link(app: SanctionsApp, a: str, b: str, source: Source, reason: str | None) -> str:
    """Link the entities two names refer to; returns the link id."""
    require_source(source)
    first, second = app.find(a), app.find(b)
    link_id = uuid4().hex

    def command() -> list[Any]:
        names = names_of(app, first, second)
        parties(app).check_link(str(first), str(second), names)
        entities = [app.entity(first), app.entity(second)]
        envelope = {"effective": None, "source": source, "correlation_id": link_id}
        entities[0].record_link(str(second), link_id, reason, **envelope)
        entities[1].record_link(str(first), link_id, reason, **envelope)
        return entities

    app.write(command)
    return link_id


def unlink(app: SanctionsApp, a: str, b: str, source: Source) -> str:
    """Withdraw the link between the entities two names refer to; returns its link id."""
    require_source(source)
    first, second = app.find(a), app.find(b)
    withdrawn: list[str] = []

    def command() -> list[Any]:
        names = names_of(app, first, second)
        found = parties(app).check_unlink(str(first), str(second), names)
        entities = [app.entity(first), app.entity(second)]
        envelope = {"effective": None, "source": source, "correlation_id": uuid4().hex}
        entities[0].record_unlink(str(second), found.link_id, **envelope)
        entities[1].record_unlink(str(first), found.link_id, **envelope)
        withdrawn[:] = [found.link_id]
        return entities

    app.write(command)
    return withdrawn[0]
