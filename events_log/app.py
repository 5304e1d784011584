"""The event log: an eventsourcing Application whose methods are the tracker's verbs."""

from __future__ import annotations

import difflib
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    OperationalError,
    PersistenceError,
    Transcoding,
)
from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from domain.dates import DateInterval
from domain.entity import Entity, register, to_recorded
from domain.errors import DomainError, NotFoundError, RuleViolationError
from domain.label import Label, label_id, label_key
from domain.record import Recorded, Source
from events_log.compression import COMPRESSOR_TOPIC, compresses, mark_compressed
from events_log.schema import create_tables
from events_log.store import StoreConfig, is_read_only, store_failure, writer_turn

ENTITY_TOPIC_PREFIX = get_topic(Entity) + "."
LABEL_TOPICS = [get_topic(Label.Created), get_topic(Label.Claimed)]
LINK_TOPICS = [get_topic(Entity.EntitiesLinked), get_topic(Entity.EntitiesUnlinked)]
# The link topics as SQL literals: a partial index is used only by a query that names its
# terms as they are written in it (bound parameters do not match).
LINK_TOPICS_SQL = ", ".join(f"'{topic}'" for topic in LINK_TOPICS)
RETRIES = 50


class ConflictError(DomainError):
    """A write kept conflicting with other writers and was not saved."""


class DateIntervalAsDict(Transcoding):
    type = DateInterval
    name = "date_interval"

    def encode(self, obj: DateInterval) -> dict[str, Any]:
        return {
            "text": obj.text,
            "from": None if obj.start is None else obj.start.isoformat(),
            "until": None if obj.until is None else obj.until.isoformat(),
            "how": obj.how,
        }

    def decode(self, data: dict[str, Any]) -> DateInterval:
        return DateInterval(
            text=data["text"],
            start=None if data["from"] is None else date.fromisoformat(data["from"]),
            until=None if data["until"] is None else date.fromisoformat(data["until"]),
            how=data.get("how", ""),
        )


class SourceAsDict(Transcoding):
    type = Source
    name = "source"

    def encode(self, obj: Source) -> dict[str, Any]:
        return obj.as_json()

    def decode(self, data: dict[str, Any]) -> Source:
        published = data.get("published")
        return Source(
            title=data["title"],
            publisher=data.get("publisher"),
            published=None if published is None else date.fromisoformat(published),
            url=data.get("url"),
            quote=data.get("quote"),
        )


class SanctionsApp(Application[UUID]):
    """Every sanction action about every entity, appended and never edited."""

    name = "Sanctions"

    # Called with the app after each successful save of a write command or an import
    # batch (projections/timeline.py registers its catch-up here). A follower must not
    # raise for a failure it can recover from later: the events are already saved.
    followers: ClassVar[list[Callable[[SanctionsApp], None]]] = []

    def __init__(self, store: StoreConfig) -> None:
        self.store = store
        env = dict(store.env)
        if store.kind == "postgresql":
            env["CREATE_TABLE"] = "no"  # made once per store, under a lock (events_log.schema)
        self.compressed = compresses(store)  # events_log.compression: stores written
        if self.compressed:  # before compression was made are read and written as they were
            env["COMPRESSOR_TOPIC"] = COMPRESSOR_TOPIC
        super().__init__(env=env)
        create_tables(self.factory, "events", self.recorder)
        if self.compressed:  # after the events table is there, before any event
            mark_compressed(store)
        if store.kind == "sqlite":
            self._index_links()
        self.after_save: list[Callable[[SanctionsApp], None]] = list(type(self).followers)
        recorder: Any = self.recorder
        self._appender: SQLiteAggregateRecorder | None = None
        if type(recorder) is SQLiteApplicationRecorder:
            self._appender = SQLiteAggregateRecorder(
                recorder.datastore, events_table_name=recorder.events_table_name
            )

    def _index_links(self) -> None:
        """A partial index of the link events (a few rows of the log), so that reading the
        parties does not scan the whole log (``events_log.links.link_events``). Made on
        the first open of a store, old ones too; a read-only store goes without (the
        query then scans)."""
        recorder: Any = self.recorder
        table = recorder.events_table_name
        statement = (
            f"CREATE INDEX IF NOT EXISTS {table}_links ON {table} (topic) "
            f"WHERE topic IN ({LINK_TOPICS_SQL})"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (f"{table}_links",)
            )
            if cursor.fetchall():
                return  # made before: no write, no lock
        try:
            with recorder.datastore.transaction(commit=True) as cursor:
                cursor.execute(statement)
        except PersistenceError as error:
            if not is_read_only(error):
                raise

    def saved(self) -> None:
        """Run the followers after a successful save (never inside a write's retry loop)."""
        for follower in self.after_save:
            follower(self)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateIntervalAsDict())
        transcoder.register(SourceAsDict())

    # -- writing ------------------------------------------------------------------------

    def save_events(self, events: Sequence[Any], aggregates: Sequence[Any] = ()) -> None:
        """Save new events of aggregates, then the aggregates' pending events, in this
        order, in one transaction.

        What ``save(*events, *aggregates)`` does, less its per-object ``runtime_checkable``
        Protocol checks (costly at import volumes): the mapper, then the recorder, as the
        library's event store ``put`` does. On SQLite the rows go in with the library's
        aggregate recorder for the same table (one ``executemany``; the application
        recorder inserts row by row to learn each row's position, which is not needed
        here). With an aggregate cache configured, ``save`` itself is used, to keep the
        cache up to date.
        """
        if self.repository.cache is not None:
            self.save(*events, *aggregates)
            return
        pending = [*events, *(e for a in aggregates for e in a.collect_events())]
        if not pending:
            return
        if self._appender is None:
            self.events.put(pending)
            return
        self._appender.insert_events([self.mapper.to_stored_event(e) for e in pending])

    def insert_rows(self, rows: Sequence[Any]) -> None:
        """Insert stored rows made beforehand (``events_log.bulk_write``), in this order, in
        one transaction: on SQLite with one ``executemany``, elsewhere with the recorder."""
        if not rows:
            return
        if self._appender is None:
            self.recorder.insert_events(list(rows))
            return
        self._appender.insert_events(rows)

    def write(self, command: Callable[[], Sequence[Any]]) -> None:
        """Run a command that returns aggregates to save, retrying on a write conflict.

        The command re-reads what it needs on each try, so a retry decides afresh.
        """
        with writer_turn(self.store, self.factory):
            for attempt in range(RETRIES):
                aggregates = command()
                try:
                    self.save(*aggregates)
                except (IntegrityError, OperationalError) as error:
                    if is_read_only(error):
                        raise store_failure(self.store, error) from None
                    # Jittered, so that two writers that collided do not collide again.
                    time.sleep(random.uniform(0, min(0.005 * (attempt + 1), 0.1)))
                    continue
                break
            else:
                msg = f"the write conflicted with other writers {RETRIES} times and was not saved"
                raise ConflictError(msg)
        self.saved()

    def register_entity(
        self,
        *,
        name: str,
        kind: str,
        country: str | None,
        effective: DateInterval | None,
        source: Source,
        aliases: Sequence[str] = (),
        identifiers: Sequence[str] = (),
        entity_id: UUID | None = None,
        event_id: str | None = None,
        correlation_id: str | None = None,
        recorded_at: datetime | None = None,
        allow_same_name: bool = False,
    ) -> UUID:
        """Register a new entity with its aliases and identifiers, in one atomic save."""
        created: list[UUID] = []

        def command() -> list[Any]:
            if not allow_same_name:
                clash = self.lookup(name)
                if clash:
                    msg = (
                        f"entity {name!r} is already registered ({clash[0].hex[:8]}); "
                        "add an alias or identifier to it instead"
                    )
                    raise RuleViolationError(msg)
            entity = register(
                name=name,
                kind=kind,
                country=country,
                source=source,
                effective=effective,
                entity_id=entity_id,
                event_id=event_id,
                correlation_id=correlation_id,
                recorded_at=recorded_at,
            )
            for alias in aliases:
                entity.add_alias(alias, effective=effective, source=source)
            for identifier in identifiers:
                entity.add_identifier(identifier, effective=effective, source=source)
            created[:] = [entity.id]
            return [entity, *self.claim_labels(entity)]

        self.write(command)
        return created[0]

    def act(
        self,
        entity_ids: Sequence[UUID],
        action: Callable[[Entity], str],
    ) -> list[str]:
        """Apply one action to each entity and save all of them in one transaction."""
        event_ids: list[str] = []

        def command() -> list[Any]:
            entities = [self.entity(entity_id) for entity_id in entity_ids]
            event_ids[:] = [action(entity) for entity in entities]
            labels = [label for entity in entities for label in self.claim_labels(entity)]
            return [*entities, *labels]

        self.write(command)
        return event_ids

    def move_event(
        self, target: str, to_entity: UUID, reason: str, **envelope: Any
    ) -> tuple[str, str]:
        """Correct an event's entity: retract it where it is and restate the fact, as now
        believed, on the other entity, in one transaction with a shared correlation id."""
        from_entity, original = self.find_event(target)
        if from_entity == to_entity:
            msg = f"event {original.event_id[:8]} already belongs to that entity"
            raise RuleViolationError(msg)
        correlation = envelope.pop("correlation_id", None) or uuid4().hex
        made: list[str] = []

        def command() -> list[Any]:
            source, destination = self.entity(from_entity), self.entity(to_entity)
            fact = source.believed(original.event_id)
            retraction = source.retract(
                original.event_id, reason, correlation_id=correlation, **envelope
            )
            copy = destination.restate(fact, correlation)
            made[:] = [retraction, copy]
            return [source, destination, *self.claim_labels(destination)]

        self.write(command)
        return made[0], made[1]

    def claim_labels(self, entity: Entity) -> list[Label]:
        """Label aggregates for the entity's names, aliases and identifiers not yet claimed."""
        labels: list[Label] = []
        record = entity.record()
        entity_id = str(entity.id)
        for text in {
            label_key(t): t for t in (record.name, *record.aliases, *record.identifiers)
        }.values():
            label = self._label(text)
            if label is None:
                label = Label.create(text)
            if entity_id not in label.entity_ids:
                label.claim(entity_id, text)
                labels.append(label)
        return labels

    # -- reading ------------------------------------------------------------------------

    def entity(self, entity_id: UUID) -> Entity:
        try:
            entity: Any = self.repository.get(entity_id)
        except AggregateNotFoundError:
            msg = f"entity {entity_id.hex} is not on record"
            raise NotFoundError(msg) from None
        if not isinstance(entity, Entity):
            msg = f"{entity_id.hex} is not an entity"
            raise NotFoundError(msg)
        return entity

    def _label(self, text: str) -> Label | None:
        try:
            label: Any = self.repository.get(label_id(text))
        except AggregateNotFoundError:
            return None
        assert isinstance(label, Label)
        return label

    def existing(self, ids: Iterable[UUID]) -> set[UUID]:
        """Those of these aggregates that have events on record.

        On SQLite one indexed query per 500 ids (the log is read, never written, here);
        elsewhere the recorder's ``select_events``, one id at a time.
        """
        wanted = list(dict.fromkeys(ids))
        recorder: Any = self.recorder
        if not isinstance(recorder, SQLiteAggregateRecorder):
            return {i for i in wanted if recorder.select_events(i, limit=1)}
        found: set[UUID] = set()
        table = recorder.events_table_name
        with recorder.datastore.transaction(commit=False) as cursor:
            plain = cursor.sqlite_cursor
            for start in range(0, len(wanted), 500):
                chunk = [i.hex for i in wanted[start : start + 500]]
                plain.execute(
                    f"SELECT DISTINCT originator_id FROM {table} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                found.update(UUID(row[0]) for row in plain.fetchall())
        return found

    def _one_party(self, entity_ids: list[UUID]) -> bool:
        """True when links make all these entities one party (a name their members share)."""
        from events_log.links import parties  # links builds on this module

        members = parties(self).members(str(entity_ids[0]))
        return all(str(e) in members for e in entity_ids)

    def lookup(self, text: str) -> list[UUID]:
        label = self._label(text)
        return [] if label is None else [UUID(e) for e in label.entity_ids]

    def find(self, ref: str) -> UUID:
        """The entity a name, alias, identifier or id (or unique id prefix) refers to."""
        found = self.lookup(ref)
        if len(found) == 1:
            return found[0]
        if len(found) > 1 and self._one_party(found):
            return found[0]  # the party's name: its first member named so, as reads take it
        if len(found) > 1:
            names = ", ".join(f"{self.entity(e).record().name} ({e.hex[:8]})" for e in found[:5])
            msg = (
                f"entity {ref!r} is ambiguous: it names {len(found)} entities ({names}); "
                "use an identifier or an id"
            )
            raise RuleViolationError(msg)
        by_id = self._find_by_id(ref)
        if by_id is not None:
            return by_id
        suggestions = difflib.get_close_matches(
            label_key(ref), list(self.all_labels()), n=3, cutoff=0.6
        )
        hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        msg = f"entity {ref!r} is not on record (no name, alias or identifier matches){hint}"
        raise NotFoundError(msg)

    def _find_by_id(self, ref: str) -> UUID | None:
        text = ref.replace("-", "").lower()
        if len(text) < 6 or any(c not in "0123456789abcdef" for c in text):
            return None
        if len(text) == 32:
            entity_id = UUID(text)
            try:
                self.entity(entity_id)
            except NotFoundError:
                return None
            return entity_id
        matches = [e for e in self.entity_ids() if e.hex.startswith(text)]
        return matches[0] if len(matches) == 1 else None

    def all_labels(self) -> Iterator[str]:
        seen: set[str] = set()
        for notification in self.iter_notifications(topics=[get_topic(Label.Created)]):
            label = self.mapper.to_domain_event(notification)
            text = label_key(label.text)  # type: ignore[attr-defined]
            if text not in seen:
                seen.add(text)
                yield text

    def entity_ids(self) -> list[UUID]:
        topic = get_topic(Entity.Registered)
        return [UUID(str(n.originator_id)) for n in self.iter_notifications(topics=[topic])]

    def entity_events(self, entity_id: UUID) -> list[Recorded]:
        """One entity's events in recorded order (positions are not filled in)."""
        return [to_recorded(e) for e in self.events.get(entity_id)]  # type: ignore[arg-type]

    def iter_notifications(
        self, start: int = 1, topics: Sequence[str] = (), page: int = 2000
    ) -> Iterator[Any]:
        position = start
        while True:
            notifications = self.recorder.select_notifications(
                start=position, limit=page, topics=topics
            )
            if not notifications:
                return
            yield from notifications
            position = notifications[-1].id + 1

    def iter_recorded(self, start: int = 1) -> Iterator[Recorded]:
        """Every entity event in the log, in recorded order, with its position."""
        for notification in self.iter_notifications(start=start):
            if not notification.topic.startswith(ENTITY_TOPIC_PREFIX):
                continue
            event = self.mapper.to_domain_event(notification)
            yield to_recorded(event, position=notification.id)  # type: ignore[arg-type]

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def find_event(self, event_id: str) -> tuple[UUID, Recorded]:
        """The entity and event an event id (or unique prefix of at least 6 characters) names."""
        needle = event_id.lower()
        if len(needle) < 6:
            msg = f"event id {event_id!r} is too short: give at least 6 characters"
            raise RuleViolationError(msg)
        matches = [r for r in self.iter_recorded() if r.event_id.startswith(needle)]
        if not matches:
            msg = f"event {event_id!r} is not on record"
            raise NotFoundError(msg)
        if len({m.event_id for m in matches}) > 1:
            msg = f"event id {event_id!r} is ambiguous: give more characters"
            raise RuleViolationError(msg)
        return UUID(matches[0].entity_id), matches[0]
