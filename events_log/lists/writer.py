"""Writing one snapshot: the entity commands its differences imply."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any
from uuid import UUID

import attrs

from domain.dates import DateInterval
from domain.entity import Entity
from domain.errors import DomainError
from domain.record import SANCTION_WAIVED, MeasureRecord
from events_log.jsonl import key_to_entity_id, key_to_event_id
from events_log.lists.engine import (
    Ending,
    Entry,
    Measure,
    Reader,
    SnapshotPlan,
    window,
)
from events_log.session import ImportSession


class SnapshotWriter:
    """The entity commands one snapshot implies, as steps (one per entry)."""

    def __init__(self, reader: Reader, session: ImportSession, plan: SnapshotPlan) -> None:
        self.reader = reader
        self.session = session
        self.plan = plan
        self.list = reader.list_name
        self.day = plan.observed.isoformat()
        self.seen = window(reader, plan.previous, plan.observed, seen=True)
        self.absent = window(reader, plan.previous, plan.observed, seen=False)
        self.correlation = key_to_event_id(f"{self.list}:snapshot:{self.day}")
        self.notes: list[str] = []

    def steps(self) -> Iterator[Callable[[], None]]:
        for entry in self.plan.added:
            yield partial(self.listed, entry)
        for entry in self.plan.removed:
            yield partial(self.delisted, entry)
        for new, old in self.plan.changed:
            yield partial(self.changed, new, old)

    def _envelope(
        self,
        key: str,
        what: str,
        quote: str,
        *,
        effective: DateInterval | None = None,
        seen: bool = True,
        cited: Measure | Ending | None = None,
    ) -> dict[str, Any]:
        source = self.reader.copy_source(self.plan.observed, quote)
        if cited is not None:
            source = self.reader.cited_source(
                self.plan.observed, quote, cited.citation, cited.published
            )
        return {
            "event_id": key_to_event_id(f"{self.list}:{key}:{what}:{self.day}"),
            "effective": effective or (self.seen if seen else self.absent),
            "source": source,
            "correlation_id": self.correlation,
        }

    def _entity_id(self, entry: Entry) -> UUID:
        """The entity that carries the entry's identifier, else the one keyed by it."""
        if not entry.identifiers:
            return key_to_entity_id(f"{self.list}:{entry.key}")
        holders = self.session.find_label(entry.identifiers[0])
        if len(holders) == 1:
            return holders[0]
        return key_to_entity_id(entry.identifiers[0])

    def open_measures(self, entity: Entity) -> list[MeasureRecord]:
        """The entity's measures that this list's importer imposed and that have not ended."""
        return [
            m
            for m in entity.record().measures
            if m.ending is None
            and m.authority == self.reader.authority
            and self.reader.is_own(m.imposition.source.title)
        ]

    def _open(self, entity: Entity) -> dict[str, MeasureRecord]:
        found: dict[str, MeasureRecord] = {}
        for m in self.open_measures(entity):
            tag = self.reader.tag_of(m.imposition.get("reason"))
            found.setdefault(f"{m.program}|{tag}" if tag else m.program, m)
        return found

    def listed(self, entry: Entry) -> None:
        key = entry.key
        # Where the list cites notices, the party was public from the earliest of them.
        cited = [m for m in entry.measures if m.published is not None]
        first = min(cited, key=lambda m: (m.published, m.key)) if cited else None
        entity = self.session.register(
            entity_id=self._entity_id(entry),
            name=entry.name,
            kind=entry.kind,
            country=entry.country,
            **self._envelope(key, "registered", entry.raw, cited=first),
        )
        for ident in entry.identifiers:
            entity.add_identifier(ident, **self._envelope(key, "identifier", entry.raw))
        self._add_names(entity, entry, (entry.name, *entry.aliases), first)
        open_now = self._open(entity)
        if self.reader.listing and self.reader.listing not in open_now:
            self._impose(entity, entry, Measure(self.reader.listing))
        for measure in entry.measures:
            if measure.key not in open_now:
                self._impose(entity, entry, measure)

    def delisted(self, old: Entry) -> None:
        entity = self.session.entity(self._entity_id(old))
        if entity is None:
            return
        previous = self.plan.previous.isoformat() if self.plan.previous else "?"
        quote = (
            f"entry {old.key} ({old.name}) absent from snapshot {self.day}; "
            f"listed in snapshot {previous}"
        )
        stated = {m.key: m for m in old.measures}
        for mkey, measure in self._open(entity).items():
            if mkey in stated and self._stated_endings(entity, old, stated[mkey], measure):
                continue
            entity.end_measure(
                "sanction_lifted",
                measure.measure_id,
                **self._envelope(old.key, f"lifted:{mkey}", quote, seen=False),
            )

    def changed(self, new: Entry, old: Entry) -> None:
        entity = self.session.entity(self._entity_id(new))
        if entity is None:
            return
        old_names = {n.casefold() for n in (old.name, *old.aliases)}
        self._add_names(
            entity,
            new,
            [n for n in (new.name, *new.aliases) if n.casefold() not in old_names],
        )
        open_now = self._open(entity)
        new_keys = {m.key for m in new.measures}
        old_keys = {m.key for m in old.measures}
        for mkey in old_keys - new_keys:
            if mkey in open_now:
                entity.end_measure(
                    "sanction_lifted",
                    open_now[mkey].measure_id,
                    **self._envelope(new.key, f"lifted:{mkey}", new.raw, seen=False),
                )
        for measure in new.measures:
            if measure.key not in old_keys and measure.key not in open_now:
                self._impose(entity, new, measure)
            elif measure.key in open_now:
                self._stated_endings(entity, new, measure, open_now[measure.key])

    def _imposed_on(self, measure: Measure) -> DateInterval:
        """The list's own date, unless a copy on record shows the entry absent then."""
        stated, previous = measure.stated, self.plan.previous
        if stated is None or stated.start is None:
            return self.seen
        if stated.start <= self.plan.observed and (previous is None or stated.start > previous):
            return stated
        seen = self.seen
        absent = (
            f"absent from the copy of {previous.isoformat()}"
            if previous is not None and stated.start <= previous
            else f"later than the copy of {self.day}"
        )
        return attrs.evolve(
            seen,
            how=f"{seen.how}; the list states {stated.text!r} ({stated.how}), but the entry "
            f"is {absent}: dated by the copies",
        )

    def _impose(self, entity: Entity, entry: Entry, measure: Measure) -> None:
        envelope = self._envelope(
            entry.key,
            f"imposed:{measure.key}",
            measure.quote or entry.raw,
            effective=self._imposed_on(measure),
            cited=measure,
        )
        measure_id = entity.impose(
            self.reader.authority, measure.program, measure.reason, **envelope
        )
        for ending in measure.endings:
            self._end(entity, entry, measure, ending.kind, measure_id, ending)

    def _stated_endings(
        self, entity: Entity, entry: Entry, measure: Measure, record: MeasureRecord
    ) -> bool:
        """Record the ends the list states that have come; True if the measure ended."""
        results = [
            self._end(entity, entry, measure, ending.kind, record.measure_id, ending)
            for ending in measure.endings
        ]
        return any(results) or any(
            e.kind != SANCTION_WAIVED
            and e.effective.start is not None
            and e.effective.start <= self.plan.observed
            for e in measure.endings
        )

    def _end(
        self,
        entity: Entity,
        entry: Entry,
        measure: Measure,
        kind: str,
        measure_id: str,
        ending: Ending,
    ) -> bool:
        if ending.effective.start is None or ending.effective.start > self.plan.observed:
            return False
        what = f"{kind}:{measure.key}:{ending.effective.text}"
        event_key = key_to_event_id(f"{self.list}:{entry.key}:{what}")
        if entity.has_event(event_key):
            return kind != SANCTION_WAIVED
        envelope = {
            "event_id": event_key,
            "effective": ending.effective,
            "source": self.reader.cited_source(
                self.plan.observed, measure.quote or entry.raw, ending.citation, ending.published
            ),
            "correlation_id": self.correlation,
        }
        try:
            if kind == SANCTION_WAIVED:
                entity.waive(measure_id, **envelope)
            else:
                entity.end_measure(kind, measure_id, **envelope)
        except DomainError as error:
            self.notes.append(f"{entry.name}: {measure.program}: not recorded: {error}")
            return False
        return kind != SANCTION_WAIVED

    def _add_names(
        self, entity: Entity, entry: Entry, names: Sequence[str], cited: Measure | None = None
    ) -> None:
        record_name = entity.record().name.casefold()
        for name in names:
            if name.casefold() != record_name:
                what = f"alias:{name.casefold()}"
                entity.add_alias(name, **self._envelope(entry.key, what, entry.raw, cited=cited))
