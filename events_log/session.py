"""A write session for imports: many commands over many entities, saved together."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.dates import DateInterval
from domain.entity import Entity, register
from domain.label import Label, label_id, label_key
from domain.record import Source
from events_log.app import SanctionsApp
from events_log.bulk_write import LabelRows, Rows, aggregate_rows, entity_rows


class ImportSession:
    """Pending aggregates for a batch of commands; ``flush`` saves them in one transaction.

    Ids found absent from the store (entities and labels) are remembered until the next
    flush, so that a new entity or label costs one store read at most; ``prefetch`` asks
    about a batch's entities at once, and ``flush`` about the labels of its names. An id
    the session makes is forgotten as absent at once, so a subclass's own ``flush`` that
    keeps the memory can miss only what another writer adds meanwhile (then the save
    conflicts, as it would have anyway).
    """

    def __init__(self, app: SanctionsApp, *, direct: bool = True) -> None:
        self.app = app
        # Direct rows (events_log/bulk_write.py): each entity's steps are noted, not
        # triggered, and ``flush`` makes the stored rows itself. Without (or with an
        # aggregate cache, which the library's save keeps), the library's save.
        self.rows = Rows(app.mapper) if direct and app.repository.cache is None else None
        self.entities: dict[UUID, Entity] = {}
        self.labels: dict[UUID, Label] = {}
        self.claims: dict[UUID, LabelRows] = {}  # direct rows: the batch's labels claimed
        self.order: dict[UUID, None] = {}  # labels in the order first read or made
        self.absent: set[UUID] = set()  # not in the store, nor made in this session
        self.label_ids: dict[str, UUID] = {}  # label_id(text), once per text
        self.events_added = 0

    def prefetch(self, entity_ids: Iterable[UUID]) -> None:
        """Ask the store at once which of these entities exist (before a batch uses them)."""
        unknown = [i for i in entity_ids if i not in self.entities and i not in self.absent]
        if unknown:
            self.absent.update(set(unknown) - self.app.existing(unknown))

    def entity(self, entity_id: UUID) -> Entity | None:
        entity = self.entities.get(entity_id)
        if entity is not None:
            return entity
        if entity_id in self.absent:
            return None
        try:
            loaded: Any = self.app.repository.get(entity_id)
        except AggregateNotFoundError:
            self.absent.add(entity_id)
            return None
        assert isinstance(loaded, Entity)
        self._hold(loaded)
        return loaded

    def _hold(self, entity: Entity) -> None:
        if self.rows is not None:
            entity.noted = []
        self.entities[entity.id] = entity

    def register(
        self,
        *,
        entity_id: UUID,
        name: str,
        kind: str,
        country: str | None,
        effective: DateInterval | None,
        source: Source,
        event_id: str | None = None,
        correlation_id: str | None = None,
        recorded_at: datetime | None = None,
    ) -> Entity:
        """The entity with this id, registered now unless it already is."""
        existing = self.entity(entity_id)
        if existing is not None:
            return existing
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
        self._hold(entity)
        self.absent.discard(entity_id)
        return entity

    def has_event(self, entity: Entity, event_id: str) -> bool:
        return entity.has_event(event_id)

    def find_label(self, text: str) -> list[UUID]:
        label = self._label(text)
        return [] if label is None else [UUID(e) for e in label.entity_ids]

    def _label_id(self, text: str) -> UUID:
        found = self.label_ids.get(text)
        if found is None:
            found = self.label_ids[text] = label_id(text)
        return found

    def _label(self, text: str) -> Label | None:
        key = self._label_id(text)
        label = self.labels.get(key)
        if label is not None:
            return label
        if key in self.absent:
            return None
        try:
            loaded: Any = self.app.repository.get(key)
        except AggregateNotFoundError:
            self.absent.add(key)
            return None
        assert isinstance(loaded, Label)
        self.labels[key] = loaded
        self.order[key] = None
        return loaded

    def _claim(self, entity: Entity, texts: list[str] | None = None) -> None:
        texts = _label_texts(entity) if texts is None else texts
        if self.rows is not None:
            self._claim_rows(self.rows, entity, texts)
            return
        for text in texts:
            label = self._label(text)
            if label is None:
                label = Label.create(text)
                self.labels[label.id] = label
                self.absent.discard(label.id)
            label.claim(str(entity.id), text)

    def _claim_rows(self, rows: Rows, entity: Entity, texts: list[str]) -> None:
        """As ``_claim``, the labels' rows made directly."""
        for text in texts:
            key = self._label_id(text)
            claims = self.claims.get(key)
            if claims is None:
                label = self._label(text)
                if label is None:
                    claims = LabelRows.created(rows, key, text)
                    self.order[key] = None
                    self.absent.discard(key)
                else:
                    claims = LabelRows(key, label.version, label.entity_ids)
                self.claims[key] = claims
            claims.claim(rows, str(entity.id), text)

    def pending(self) -> int:
        return sum(len(e.pending_events) + len(e.noted or ()) for e in self.entities.values())

    def flush(self, *extra_aggregates: Any) -> int:
        """Save every pending event in one transaction; returns how many entity events.

        ``extra_aggregates`` (a list's snapshot series) are saved in the same transaction.
        """
        dirty = [e for e in self.entities.values() if e.pending_events or e.noted]
        texts = [_label_texts(e) for e in dirty]  # each entity's record folded once
        wanted = {self._label_id(t) for found in texts for t in found}
        unknown = [i for i in wanted if i not in self.labels and i not in self.absent]
        if unknown:  # one query for the batch's names, not a read per name
            self.absent.update(set(unknown) - self.app.existing(unknown))
        for entity, found in zip(dirty, texts, strict=True):
            self._claim(entity, found)
        extra = [x for x in extra_aggregates if x.pending_events]
        if self.rows is None:
            labels = [x for x in self.labels.values() if x.pending_events]
            events = in_recorded_order([e.collect_events() for e in dirty])
            added = len(events)
            wrote = bool(events or labels or extra)
            if wrote:
                self.app.save_events(events, [*labels, *extra])
        else:
            made = in_recorded_order([entity_rows(self.rows, e) for e in dirty], at=_TIME)
            added = len(made)
            rows = [row for _, row in made]
            claims = (self.claims[key] for key in self.order if key in self.claims)
            rows.extend(row for label in claims for row in label.made)
            rows.extend(aggregate_rows(self.rows, extra))
            wrote = bool(rows)
            self.app.insert_rows(rows)
        if wrote:
            self.app.saved()
        self.events_added += added
        self.entities.clear()
        self.labels.clear()
        self.claims.clear()
        self.order.clear()
        self.absent.clear()
        self.label_ids.clear()
        return added


def _label_texts(entity: Entity) -> list[str]:
    """The entity's name, aliases and identifiers, one text per label."""
    record = entity.record()
    texts = {label_key(t): t for t in (record.name, *record.aliases, *record.identifiers)}
    return list(texts.values())


def in_recorded_order(
    streams: Sequence[Sequence[Any]], at: Callable[[Any], Any] = attrgetter("timestamp")
) -> list[Any]:
    """Merge each aggregate's new events into one sequence ordered by record time.

    Each stream stays in version order; across aggregates the earlier timestamp goes first,
    so the log keeps the order in which the events were made (or, for an imported export,
    the order in which the original store recorded them).
    """
    return list(heapq.merge(*streams, key=at))


_TIME = itemgetter(0)  # a made row's record time (events_log.bulk_write)
