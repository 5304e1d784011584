"""The JSON Lines format: one event a line, for hand-written datasets and whole-log exports.

A hand-written line names its entity and gives a ``key``; ids are derived from keys, so
importing the same file twice adds nothing. An exported line also carries the ids, the
exact effective interval and the record time, and imports back unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import IO, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.utils import get_topic

from domain.dates import DateInterval, parse_date, parse_day
from domain.entity import Entity
from domain.errors import DomainError, InvalidDateError, RuleViolationError
from domain.record import (
    ALIAS_ADDED,
    CORRECTABLE_FIELDS,
    DELISTING_DECIDED,
    DELISTING_REQUESTED,
    ENDINGS,
    ENTITIES_LINKED,
    ENTITIES_UNLINKED,
    ENTITY_REGISTERED,
    EVENT_CORRECTED,
    EVENT_RETRACTED,
    IDENTIFIER_ADDED,
    LINK_TYPES,
    NEGOTIATION_MENTIONED,
    SANCTION_IMPOSED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    Recorded,
    Source,
)
from events_log.app import SanctionsApp
from events_log.lists.series import SnapshotSeries, load_series
from events_log.session import ImportSession

KEY_NAMESPACE = uuid5(NAMESPACE_URL, "sanctions-tracker:key")
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")
LIST_SNAPSHOT = "list_snapshot_recorded"
ALL_TYPES = (*CORRECTABLE_FIELDS, EVENT_CORRECTED, EVENT_RETRACTED, *LINK_TYPES, LIST_SNAPSHOT)


class ImportError_(DomainError):
    """A line of an import file is not a valid event."""


def key_to_event_id(key: str) -> str:
    return uuid5(KEY_NAMESPACE, "event:" + key).hex


def key_to_entity_id(key: str) -> UUID:
    return uuid5(KEY_NAMESPACE, "entity:" + key)


def reference(value: str) -> str:
    """An event id as written in a file: a 32-hex id as is, any other text as a key."""
    return value if _HEX_ID.match(value) else key_to_event_id(value)


def interval_from_json(data: Mapping[str, Any]) -> DateInterval:
    return DateInterval(
        text=data["text"],
        start=None if data.get("from") is None else date.fromisoformat(data["from"]),
        until=None if data.get("until") is None else date.fromisoformat(data["until"]),
        how=data.get("how", ""),
    )


def interval_to_json(interval: DateInterval | None) -> dict[str, Any] | None:
    if interval is None:
        return None
    return {**interval.as_json(), "how": interval.how}


def source_from_json(data: Any, where: str) -> Source:
    if not isinstance(data, Mapping) or not str(data.get("title") or "").strip():
        msg = f"{where}: 'source' must be an object with a non-empty 'title'"
        raise ImportError_(msg)
    published = data.get("published")
    return Source(
        title=data["title"],
        publisher=data.get("publisher"),
        published=None if published is None else parse_day(str(published)),
        url=data.get("url"),
        quote=data.get("quote"),
    )


def export_line(event: Recorded) -> dict[str, Any]:
    fields = dict(event.fields)
    if event.type == EVENT_CORRECTED:
        changes = dict(fields["changes"])
        if "effective" in changes:
            changes["effective"] = interval_to_json(changes["effective"])
        fields["changes"] = changes
    return {
        "event_id": event.event_id,
        "entity_id": UUID(event.entity_id).hex,
        "type": event.type,
        "recorded_at": event.recorded_at.isoformat(),
        "effective": interval_to_json(event.effective),
        "source": event.source.as_json(),
        "correlation_id": event.correlation_id,
        **fields,
    }


def export(app: SanctionsApp, out: IO[str]) -> int:
    """Write every entity event in recorded order, then the published-list snapshots on
    record (so that the next snapshot imported after a restore is compared correctly)."""
    count = 0
    lines = itertools.chain((export_line(e) for e in app.iter_recorded()), snapshot_lines(app))
    for line in lines:  # one at a time: the log is not held
        out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def snapshot_lines(app: SanctionsApp) -> Iterator[dict[str, Any]]:
    topic = get_topic(SnapshotSeries.SnapshotRecorded)
    names: dict[UUID, str] = {}
    for notification in app.iter_notifications(topics=[topic]):
        event: Any = app.mapper.to_domain_event(notification)
        series_id = event.originator_id
        if series_id not in names:
            series: Any = app.repository.get(series_id, version=1)
            names[series_id] = series.list_name
        yield {
            "type": LIST_SNAPSHOT,
            "list": names[series_id],
            "recorded_at": event.timestamp.isoformat(),
            "observed": event.observed,
            "sha256": event.sha256,
            "file_name": event.file_name,
            "entry_count": event.entry_count,
            "listed": event.listed,
            "delisted": event.delisted,
        }


def read_lines(lines: Iterable[str], name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            data = json.loads(line, object_pairs_hook=functools.partial(_no_duplicates, where))
        except json.JSONDecodeError as error:
            msg = f"{where}: not valid JSON ({error.msg})"
            raise ImportError_(msg) from None
        if not isinstance(data, dict):
            msg = f"{where}: each line must be a JSON object"
            raise ImportError_(msg)
        yield where, data


def _prefetched(
    session: ImportSession, lines: Iterator[tuple[str, dict[str, Any]]], size: int = 1000
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The lines as they come, a chunk at a time, after asking the store at once which of
    the chunk's entities exist (ids that do not parse are left to the line's own checks)."""
    while chunk := list(itertools.islice(lines, size)):
        ids: list[UUID] = []
        for _, data in chunk:
            try:
                if data.get("entity_id"):
                    ids.append(UUID(str(data["entity_id"])))
                elif data.get("type") == ENTITY_REGISTERED and data.get("key"):
                    ids.append(key_to_entity_id(str(data["key"])))
            except ValueError:
                continue
        session.prefetch(ids)
        yield from chunk


def _no_duplicates(where: str, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) < len(pairs):
        counts = Counter(key for key, _ in pairs)
        twice = next(key for key, count in counts.items() if count > 1)
        msg = f"{where}: the field {twice!r} appears twice in one object: give it once"
        raise ImportError_(msg)
    return data


class JsonlImporter:
    """Applies JSON Lines events through the same aggregate commands users append with."""

    def __init__(self, app: SanctionsApp) -> None:
        self.app = app
        self.session = ImportSession(app)
        self.names: dict[str, UUID] = {}
        self.snapshots: dict[str, Any] = {}
        self.seen = 0
        self.keys: dict[str, tuple[str, bytes]] = {}  # key: where first given, content hash

    def import_lines(
        self,
        lines: Iterable[str],
        name: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Apply every line, then save them all in one transaction. Returns events added."""
        self.apply_lines(lines, name, progress)
        return self.flush()

    def apply_lines(
        self,
        lines: Iterable[str],
        name: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Check and apply every line, saving nothing yet (``flush`` saves).

        Lines are read a thousand at a time, and the store asked once which of the
        entities they name exist, so that a new entity costs no read of its own.
        """
        for where, data in _prefetched(self.session, read_lines(lines, name)):
            if self._seen_before(data, where):
                continue
            try:
                self.apply(data, where)
            except DomainError as error:
                if isinstance(error, ImportError_) or str(error).startswith(where):
                    raise
                raise type(error)(f"{where}: {error}") from None
            self.seen += 1
            if progress is not None and self.seen % 1000 == 0:
                progress(self.seen, self.session.pending())

    def _seen_before(self, data: Mapping[str, Any], where: str) -> bool:
        """True for a repeat of an event given earlier in this import; refuses a key (or
        event id) given earlier for a different event."""
        ident = data.get("key") or data.get("event_id")
        if not isinstance(ident, str | int) or data.get("type") == LIST_SNAPSHOT:
            return False
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).digest()
        first = self.keys.setdefault(str(ident), (where, digest))
        if first[1] != digest:
            msg = (
                f"{where}: key {ident!r} is already used by {first[0]} for a different "
                "event: each key names one event"
            )
            raise ImportError_(msg)
        if first[0] != where:
            self.seen += 1
            return True
        return False

    def flush(self) -> int:
        """Save what the lines applied so far made, in one transaction; returns events added."""
        added = self.session.flush()
        pending = [s for s in self.snapshots.values() if s.pending_events]
        if pending:
            self.app.save(*pending)
        return added

    def _snapshot(self, data: Mapping[str, Any], where: str) -> None:
        """A published-list snapshot on record in an exported store: record it unless known."""
        name = _text(data, "list", where)
        series = self.snapshots.get(name) or load_series(self.app, name)
        self.snapshots[name] = series
        observed = date.fromisoformat(_text(data, "observed", where))
        if series.on_record(observed) is not None:
            return
        series.trigger_event(
            SnapshotSeries.SnapshotRecorded,
            timestamp=datetime.fromisoformat(_text(data, "recorded_at", where)),
            observed=observed.isoformat(),
            sha256=data["sha256"],
            file_name=data["file_name"],
            entry_count=data["entry_count"],
            listed=data["listed"],
            delisted=data["delisted"],
        )

    def _entity_for(self, data: Mapping[str, Any], where: str) -> Entity:
        if data.get("entity_id"):
            entity_id = UUID(str(data["entity_id"]))
        else:
            ref = data.get("entity")
            if not isinstance(ref, str) or not ref.strip():
                msg = f"{where}: 'entity' (a name, alias or identifier) is required"
                raise ImportError_(msg)
            found = self.names.get(ref.casefold())
            if found is None:
                matches = self.session.find_label(ref)
                if not matches:
                    found = self.app.find(ref)
                elif len(matches) > 1:
                    msg = f"{where}: entity {ref!r} is ambiguous; use 'entity_id'"
                    raise ImportError_(msg)
                else:
                    found = matches[0]
            entity_id = found
        entity = self.session.entity(entity_id)
        if entity is None:
            msg = f"{where}: entity {str(data.get('entity') or entity_id)!r} is not on record"
            raise ImportError_(msg)
        return entity

    def apply(self, data: Mapping[str, Any], where: str) -> None:
        event_type = data.get("type")
        if event_type == LIST_SNAPSHOT:
            self._snapshot(data, where)
            return
        if event_type not in ALL_TYPES:
            msg = f"{where}: type {event_type!r} is not one of {', '.join(ALL_TYPES)}"
            raise ImportError_(msg)
        if not data.get("event_id") and not data.get("key"):
            msg = f"{where}: each line needs a 'key' (or the 'event_id' of an export)"
            raise ImportError_(msg)
        event_id = str(data.get("event_id") or key_to_event_id(str(data["key"])))
        source = source_from_json(data.get("source"), where)
        effective = self._effective(data, source, where)
        recorded_at = (
            datetime.fromisoformat(data["recorded_at"]) if data.get("recorded_at") else None
        )
        envelope: dict[str, Any] = {
            "event_id": event_id,
            "effective": effective,
            "source": source,
            "correlation_id": data.get("correlation_id") or data.get("correlation"),
            "recorded_at": recorded_at,
        }
        if event_type == ENTITY_REGISTERED:
            entity_id = (
                UUID(str(data["entity_id"]))
                if data.get("entity_id")
                else key_to_entity_id(str(data["key"]))
            )
            entity = self.session.register(
                entity_id=entity_id,
                name=_text(data, "name", where) if "name" in data else _text(data, "entity", where),
                kind=_text(data, "kind", where),
                country=data.get("country"),
                **envelope,
            )
            record_name = entity.record().name
            self.names[record_name.casefold()] = entity.id
            return
        entity = self._entity_for(data, where)
        if self.session.has_event(entity, event_id):
            return
        self._command(entity, str(event_type), data, envelope, where)
        if event_type == ALIAS_ADDED:
            self.names[str(data["alias"]).casefold()] = entity.id

    def _effective(
        self, data: Mapping[str, Any], source: Source, where: str
    ) -> DateInterval | None:
        if "effective" in data:  # an exported line: the interval exactly as stored
            effective = data["effective"]
            return interval_from_json(effective) if isinstance(effective, Mapping) else None
        if data.get("type") in (EVENT_CORRECTED, EVENT_RETRACTED) and "date" not in data:
            return None
        text = data.get("date")
        if not isinstance(text, str):
            msg = (
                f"{where}: 'date' (text such as '2013', 'early 2000s' or 'in the past') is required"
            )
            raise ImportError_(msg)
        try:
            return parse_date(text, published=source.published)
        except InvalidDateError as error:
            msg = f"{where}: {error}"
            raise InvalidDateError(msg) from None

    def _command(
        self,
        entity: Entity,
        event_type: str,
        data: Mapping[str, Any],
        envelope: dict[str, Any],
        where: str,
    ) -> None:
        if event_type == ALIAS_ADDED:
            entity.add_alias(_text(data, "alias", where), **envelope)
        elif event_type == IDENTIFIER_ADDED:
            entity.add_identifier(_text(data, "identifier", where), **envelope)
        elif event_type == SANCTION_IMPOSED:
            entity.impose(
                _text(data, "authority", where),
                _text(data, "program", where),
                data.get("reason"),
                **envelope,
            )
        elif event_type in ENDINGS:
            entity.end_measure(event_type, self._measure(entity, data, where), **envelope)
        elif event_type == SANCTION_WAIVED:
            entity.waive(self._measure(entity, data, where), **envelope)
        elif event_type == WAIVER_ENDED:
            entity.end_waiver(self._measure(entity, data, where), **envelope)
        elif event_type == DELISTING_REQUESTED:
            entity.request_delisting(
                _text(data, "requested_by", where), data.get("forum"), **envelope
            )
        elif event_type == DELISTING_DECIDED:
            request = data.get("request_id")
            entity.decide_delisting(
                reference(str(request)) if request else None,
                _text(data, "outcome", where),
                **envelope,
            )
        elif event_type == NEGOTIATION_MENTIONED:
            entity.mention_negotiation(_text(data, "forum", where), data.get("summary"), **envelope)
        elif event_type == EVENT_CORRECTED:
            changes = dict(data.get("changes") or {})
            if isinstance(changes.get("effective"), Mapping):
                changes["effective"] = interval_from_json(changes["effective"])
            elif isinstance(changes.get("effective"), str):
                changes["effective"] = parse_date(
                    changes["effective"], published=envelope["source"].published
                )
            entity.correct(reference(_text(data, "target", where)), changes, **envelope)
        elif event_type == ENTITIES_LINKED:  # an exported half of a link, as recorded
            link = _text(data, "link_id", where)
            entity.record_link(_text(data, "other_id", where), link, data.get("reason"), **envelope)
        elif event_type == ENTITIES_UNLINKED:
            link = _text(data, "link_id", where)
            entity.record_unlink(_text(data, "other_id", where), link, **envelope)
        elif event_type == EVENT_RETRACTED:
            entity.retract(
                reference(_text(data, "target", where)), _text(data, "reason", where), **envelope
            )
        else:
            entity.report_activity(_text(data, "summary", where), **envelope)

    def _measure(self, entity: Entity, data: Mapping[str, Any], where: str) -> str:
        measure = data.get("measure_id")
        if measure:
            return reference(str(measure))
        try:
            return entity.infer_measure(str(data["type"]))
        except RuleViolationError as error:
            msg = f"{where}: {error}"
            raise RuleViolationError(msg) from None


def _text(data: Mapping[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        msg = f"{where}: {name!r} is required and must be non-empty text"
        raise ImportError_(msg)
    return value
