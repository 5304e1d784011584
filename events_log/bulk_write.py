"""Stored rows made directly, for imports: the bytes the library's mapper would store,
without an event object per step.

An import session's entities note each step their rules accept (``Entity.noted``: the
event's class and the event as recorded, with its version and record time) instead of
triggering an event. ``Rows`` makes the stored row of such a step, and of any event object
(a registration, a list's snapshot series'), as the library's mapper does: the event's
topic, its originator id and version, and its state (the event's attributes but those
two, in the event class's field order) encoded by the application's own transcoder,
then compressed (and enciphered) as the mapper would. ``LabelRows`` makes a label's rows
the same way, as ``Label.create`` and ``Label.claim`` would. The rows of a batch go in
with one ``executemany`` (``SanctionsApp.insert_rows``).

``tests/events_log/test_bulk_write.py`` holds these rows equal, column for column and in
notification order, to what the library's save of the same events stores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.entity import Entity
from domain.label import Label
from domain.record import Recorded

_ENVELOPE = ("event_id", "effective", "source", "correlation_id")


@dataclasses.dataclass(frozen=True)
class Shape:
    """An event class as stored: its topic, class version and own fields in order."""

    topic: str
    fields: tuple[str, ...]
    class_version: int


class Rows:
    """Stored rows for one application's mapper (its transcodings, compressor, cipher)."""

    def __init__(self, mapper: Any) -> None:
        transcoder = mapper.transcoder
        self.encode = transcoder.encode  # the library's own encoder and transcodings
        self.compressor = mapper.compressor
        self.cipher = mapper.cipher
        self.shapes: dict[type, Shape] = {}

    def shape(self, event_class: type) -> Shape:
        found = self.shapes.get(event_class)
        if found is None:
            skip = {"originator_id", "originator_version", "timestamp", *_ENVELOPE}
            names = tuple(f.name for f in dataclasses.fields(event_class) if f.name not in skip)
            version = getattr(event_class, "class_version", 1)
            found = self.shapes[event_class] = Shape(get_topic(event_class), names, version)
        return found

    def of_event(self, event: Any) -> tuple[datetime, StoredEvent]:
        """The row the mapper makes of an event object, with the event's record time."""
        state = dict(vars(event))
        originator_id = state.pop("originator_id")
        version = state.pop("originator_version")
        shape = self.shape(type(event))
        if shape.class_version > 1:
            state["class_version"] = shape.class_version
        return event.timestamp, self.row(originator_id, version, shape.topic, state)

    def of_step(
        self, entity_id: UUID, event_class: type[Entity.Fact], recorded: Recorded
    ) -> tuple[datetime, StoredEvent]:
        """The row of a noted step: what the mapper makes of the event ``trigger_event``
        would have made of it (its attributes in the same order)."""
        shape = self.shape(event_class)
        fields = recorded.fields
        state: dict[str, Any] = {
            "timestamp": recorded.recorded_at,
            "event_id": recorded.event_id,
            "effective": recorded.effective,
            "source": recorded.source,
            "correlation_id": recorded.correlation_id,
        }
        for name in shape.fields:
            state[name] = fields[name]
        if shape.class_version > 1:
            state["class_version"] = shape.class_version
        assert recorded.version is not None
        return recorded.recorded_at, self.row(entity_id, recorded.version, shape.topic, state)

    def row(self, originator_id: UUID, version: int, topic: str, state: dict[str, Any]) -> Any:
        data = self.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=originator_id, originator_version=version, topic=topic, state=data
        )


class LabelRows:
    """A label's new rows in a batch, as ``Label.create`` and ``Label.claim`` make them
    (the same record times, asked of the same clock at the same points)."""

    def __init__(self, label_id: UUID, version: int, entity_ids: Iterable[str]) -> None:
        self.label_id = label_id
        self.version = version
        self.entity_ids = list(entity_ids)
        self.made: list[StoredEvent] = []

    @classmethod
    def created(cls, rows: Rows, label_id: UUID, text: str) -> LabelRows:
        new = cls(label_id, 0, ())
        timestamp = Label.Created.create_timestamp()
        new.add(
            rows, _LABEL_CREATED, {"timestamp": timestamp, "originator_topic": _LABEL, "text": text}
        )
        return new

    def claim(self, rows: Rows, entity_id: str, text: str) -> None:
        if entity_id in self.entity_ids:
            return
        self.entity_ids.append(entity_id)
        timestamp = Label.Claimed.create_timestamp()
        self.add(
            rows, _LABEL_CLAIMED, {"timestamp": timestamp, "entity_id": entity_id, "text": text}
        )

    def add(self, rows: Rows, topic: str, state: dict[str, Any]) -> None:
        self.version += 1
        self.made.append(rows.row(self.label_id, self.version, topic, state))


_LABEL = get_topic(Label)
_LABEL_CREATED = get_topic(Label.Created)
_LABEL_CLAIMED = get_topic(Label.Claimed)


def entity_rows(rows: Rows, entity: Entity) -> list[tuple[datetime, StoredEvent]]:
    """An entity's new rows in version order: its pending events (a registration), then its
    noted steps; both are taken (the entity holds neither afterwards)."""
    made = [rows.of_event(event) for event in entity.collect_events()]
    if entity.noted:
        made.extend(rows.of_step(entity.id, cls, recorded) for cls, recorded in entity.noted)
        entity.noted.clear()
    return made


def aggregate_rows(rows: Rows, aggregates: Iterable[Any]) -> list[StoredEvent]:
    """The pending events of other aggregates (labels, snapshot series), taken, as rows."""
    return [rows.of_event(event)[1] for a in aggregates for event in a.collect_events()]
