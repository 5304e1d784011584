"""Labels: names, aliases and identifiers that point at entities.

A label is its own small aggregate, keyed by the case-folded text, so that a look-up is
one read and two writers claiming a label at once conflict instead of both winning.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

LABEL_NAMESPACE = uuid5(NAMESPACE_URL, "sanctions-tracker:label")


def label_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def label_id(text: str) -> UUID:
    return uuid5(LABEL_NAMESPACE, label_key(text))


class Label(Aggregate):
    """Which entities a name, alias or identifier points at."""

    class Created(Aggregate.Created):
        text: str

    class Claimed(Aggregate.Event):
        entity_id: str
        text: str

        def apply(self, aggregate: Any) -> None:
            if self.entity_id not in aggregate.entity_ids:
                aggregate.entity_ids.append(self.entity_id)

    def __init__(self, *, text: str) -> None:
        self.text = text
        self.entity_ids: list[str] = []

    @classmethod
    def create(cls, text: str) -> Label:
        return cls._create(cls.Created, id=label_id(text), text=text)

    def claim(self, entity_id: str, text: str) -> None:
        if entity_id not in self.entity_ids:
            self.trigger_event(self.Claimed, entity_id=entity_id, text=text)
