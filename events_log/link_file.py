"""Reviewed links in bulk: a JSON Lines file of pairs, checked in order, saved together.

One object a line: ``{"a": NAME, "b": NAME, "reason": TEXT, "source": TEXT or {"title",
"published", ...}}`` (``source`` may be left out when the command gives one; an optional
``key`` makes the link's id the same in every store, as an event's key does in an import).
Each pair is checked against the links on record and those on the lines before it; a pair
already linked directly is skipped, so a file can be given again; any other refusal names
its line and nothing is written.

Made for thousands of pairs: the names are resolved and the entities' versions read with one
query per 500 (on SQLite), and each link's two events are made without replaying the two
entities (a link reads nothing of an entity's record but its name, on refusal).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import attrs
from eventsourcing.utils import get_topic

from domain.dates import parse_day
from domain.entity import Entity, new_event_id, to_recorded
from domain.errors import DomainError, NotFoundError, RuleViolationError
from domain.label import Label, label_id, label_key
from domain.party import pair
from domain.record import Source
from events_log.app import SanctionsApp
from events_log.bulk_read import select_rows, sqlite_recorder
from events_log.compression import plain_state
from events_log.jsonl import key_to_event_id
from events_log.links import names_of, parties
from events_log.store import writer_turn

_CLAIMED = get_topic(Label.Claimed)


@attrs.frozen
class LinkFileResult:
    lines: int
    linked: int
    already: int


@attrs.frozen
class _Line:
    where: str
    a: str
    b: str
    source: Source
    reason: str | None
    key: str | None = None


def link_file(app: SanctionsApp, path: Path, default: Source | None = None) -> LinkFileResult:
    if not path.is_file():
        msg = f"links file {str(path)!r} does not exist"
        raise RuleViolationError(msg)
    with path.open(encoding="utf-8") as lines:
        return link_lines(app, lines, path.name, default)


def link_lines(
    app: SanctionsApp, lines: Iterable[str], name: str, default: Source | None = None
) -> LinkFileResult:
    """Check every line, then save every link in one transaction."""
    parsed = [_parse(text, f"{name}:{number}", default) for number, text in _numbered(lines)]
    with writer_turn(app.store, app.factory):
        result, events = _plan(app, parsed)
        if events:
            app.save_events(events)
    if events:
        app.saved()
    return result


def _numbered(lines: Iterable[str]) -> Iterable[tuple[int, str]]:
    return ((n, t) for n, t in enumerate(lines, start=1) if t.strip())


def _parse(text: str, where: str, default: Source | None) -> _Line:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        msg = f"{where}: not valid JSON ({error.msg})"
        raise RuleViolationError(msg) from None
    if not isinstance(data, Mapping):
        msg = f"{where}: each line must be a JSON object with 'a', 'b' and 'source'"
        raise RuleViolationError(msg)
    for side in ("a", "b"):
        value = data.get(side)
        if not isinstance(value, str) or not value.strip():
            msg = f"{where}: {side!r} (a name, alias, identifier or id) is required"
            raise RuleViolationError(msg)
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        msg = f"{where}: 'reason' must be text, not {reason!r}"
        raise RuleViolationError(msg)
    key = data.get("key")
    if key is not None and (not isinstance(key, str) or not key.strip()):
        msg = f"{where}: 'key' must be non-empty text, not {key!r}"
        raise RuleViolationError(msg)
    try:
        source = _source(data.get("source"), default)
    except DomainError as error:
        raise type(error)(f"{where}: {error}") from None
    return _Line(where, data["a"], data["b"], source, reason, key)


def _plan(app: SanctionsApp, lines: Sequence[_Line]) -> tuple[LinkFileResult, list[Any]]:
    owners = _Owners(app, {ref for line in lines for ref in (line.a, line.b)})
    pairs = []
    for line in lines:
        try:
            pairs.append((owners.of(line.a), owners.of(line.b)))
        except DomainError as error:
            raise type(error)(f"{line.where}: {error}") from None
    versions = _versions(app, {e for p in pairs for e in p})
    known = parties(app)
    events: list[Any] = []
    linked = already = 0
    made: Any = Entity.EntitiesLinked  # its fields come from the class body
    for line, (first, second) in zip(lines, pairs, strict=True):
        try:
            if first != second and pair(str(first), str(second)) in known.links:
                already += 1
                continue
            if first == second or known.same_party(str(first), str(second)):
                known.check_link(str(first), str(second), names_of(app, first, second))
        except DomainError as error:
            raise type(error)(f"{line.where}: {error}") from None
        link_id = uuid4().hex if line.key is None else key_to_event_id("link:" + line.key)
        for this, other in ((first, second), (second, first)):
            versions[this] += 1
            event = made(
                originator_id=this,
                originator_version=versions[this],
                timestamp=datetime.now(UTC),
                event_id=new_event_id(),
                effective=None,
                source=line.source,
                correlation_id=link_id,
                other_id=str(other),
                link_id=link_id,
                reason=line.reason,
            )
            known.add(to_recorded(event))
            events.append(event)
        linked += 1
    return LinkFileResult(len(lines), linked, already), events


class _Owners:
    """The one entity each text names, read for all texts at once; a text that names none
    or several goes through ``find`` (which says why, or finds an id)."""

    def __init__(self, app: SanctionsApp, refs: set[str]) -> None:
        self.app = app
        self.claims = _claims(app, {label_id(r): r for r in refs})

    def of(self, ref: str) -> UUID:
        owners = self.claims.get(label_key(ref), [])
        return owners[0] if len(owners) == 1 else self.app.find(ref)


def _claims(app: SanctionsApp, labels: dict[UUID, str]) -> dict[str, list[UUID]]:
    """Which entities each label names (by label key)."""
    recorder = sqlite_recorder(app)
    if recorder is None:
        return {label_key(text): app.lookup(text) for text in labels.values()}
    claims: dict[str, list[UUID]] = {}
    rows = select_rows(
        recorder, "originator_id, topic, state", list(labels), f"AND topic = '{_CLAIMED}'"
    )
    for originator, topic, state in rows:
        if topic != _CLAIMED:
            continue
        text = labels[UUID(originator)]
        owners = claims.setdefault(label_key(text), [])
        owner = UUID(json.loads(plain_state(state))["entity_id"])
        if owner not in owners:
            owners.append(owner)
    return claims


def _versions(app: SanctionsApp, entity_ids: set[UUID]) -> dict[UUID, int]:
    recorder = sqlite_recorder(app)
    if recorder is None:
        found = {}
        for entity_id in entity_ids:
            (last,) = app.recorder.select_events(entity_id, desc=True, limit=1)
            found[entity_id] = last.originator_version
        return found
    rows = select_rows(
        recorder,
        "originator_id, MAX(originator_version)",
        sorted(entity_ids),
        "GROUP BY originator_id",
    )
    found = {UUID(originator): int(version) for originator, version in rows}
    missing = entity_ids - set(found)
    if missing:
        msg = f"entity {min(missing).hex} is not on record"
        raise NotFoundError(msg)
    return found


def _source(data: Any, default: Source | None) -> Source:
    if data is None and default is not None:
        return default
    if isinstance(data, str) and data.strip():
        return Source(title=data.strip())
    if isinstance(data, Mapping) and str(data.get("title") or "").strip():
        published = data.get("published")
        return Source(
            title=str(data["title"]).strip(),
            publisher=data.get("publisher"),
            published=parse_day(published) if published else None,
            url=data.get("url"),
            quote=data.get("quote"),
        )
    msg = "'source' is required: a title, or an object with a non-empty 'title'"
    raise RuleViolationError(msg)
