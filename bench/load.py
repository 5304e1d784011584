"""Load a synthetic record through the normal import path: ImportSession, the Entity
aggregate's commands (each checks its rules), the library's save, batched."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

import attrs

from bench.generate import Step, SyntheticEntity
from domain.dates import DateInterval
from domain.entity import Entity
from domain.errors import DomainError
from domain.record import Source
from events_log.app import SanctionsApp
from events_log.session import ImportSession

BATCH = 500  # entities per saved batch (about 5,000 events): memory stays flat


@attrs.define
class Loaded:
    entities: int = 0
    events: int = 0
    refused: int = 0


def load(app: SanctionsApp, items: Iterable[SyntheticEntity], batch: int = BATCH) -> Loaded:
    """Apply every entity's steps; save every ``batch`` entities in one transaction."""
    session = ImportSession(app)
    loaded = Loaded()
    for chunk in _chunks(items, batch):
        session.prefetch(item.entity_id for item in chunk)
        for item in chunk:
            _load_one(session, item, loaded)
        loaded.events += session.flush()
    return loaded


def _chunks(items: Iterable[SyntheticEntity], size: int) -> Iterator[list[SyntheticEntity]]:
    chunk: list[SyntheticEntity] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _load_one(session: ImportSession, item: SyntheticEntity, loaded: Loaded) -> None:
    """Register the entity and apply its steps; a step its rules refuse is counted."""
    first = item.steps[0] if item.steps else None
    entity = session.register(
        entity_id=item.entity_id,
        name=item.name,
        kind=item.kind,
        country=item.country,
        effective=None,
        source=first.source if first else _DEFAULT_SOURCE,
    )
    ids: list[str | None] = []
    measures: list[str] = []
    last_request: str | None = None
    for step in item.steps:
        try:
            made = _apply(entity, step, ids, measures, last_request)
        except DomainError:
            loaded.refused += 1
            made = None
        if step.kind == "impose" and made is not None:
            measures.append(made)
        if step.kind == "request":
            last_request = made
        ids.append(made)
    loaded.entities += 1


def _apply(
    entity: Entity,
    step: Step,
    ids: list[str | None],
    measures: list[str],
    last_request: str | None,
) -> str | None:
    envelope: dict[str, Any] = {"effective": step.effective, "source": step.source}
    fields = step.fields
    kind = step.kind
    if kind == "alias":
        entity.add_alias(fields["alias"], **envelope)
        return entity.events[-1].event_id
    if kind == "identifier":
        entity.add_identifier(fields["identifier"], **envelope)
        return entity.events[-1].event_id
    if kind == "impose":
        return entity.impose(fields["authority"], fields["program"], None, **envelope)
    if kind in ("end", "waive", "end-waiver"):
        if fields["measure"] >= len(measures):
            return None
        measure = measures[fields["measure"]]
        if kind == "end":
            return entity.end_measure(fields["ending"], measure, **envelope)
        if kind == "waive":
            return entity.waive(measure, **envelope)
        return entity.end_waiver(measure, **envelope)
    if kind == "request":
        return entity.request_delisting(fields["requested_by"], None, **envelope)
    if kind == "decide":
        if last_request is None:
            return None
        return entity.decide_delisting(last_request, fields["outcome"], **envelope)
    if kind == "negotiation":
        return entity.mention_negotiation(fields["forum"], None, **envelope)
    if kind == "activity":
        return entity.report_activity(fields["summary"], **envelope)
    target = ids[fields["target"]] if fields["target"] < len(ids) else None
    if target is None:
        return None
    if kind == "correct":
        original = entity.find_event(target)
        if original.effective is None or original.effective.start is None:
            return None
        shifted = _shift(original.effective, fields["shift"])
        return entity.correct(target, {"effective": shifted}, effective=None, source=step.source)
    return entity.retract(target, "withdrawn by a later source", effective=None, source=step.source)


def _shift(interval: DateInterval, days: int) -> DateInterval:
    assert interval.start is not None
    start = interval.start + timedelta(days=days)
    until = None if interval.until is None else interval.until + timedelta(days=days)
    return DateInterval(f"{interval.text} (corrected)", start, until, "corrected")


_DEFAULT_SOURCE = Source(title="Synthetic registry")
