"""Reading an OpenSanctions delta feed as a snapshot series.

``delta.json`` lists the feed's versions (``{"versions": {id: url}}``); each version's
operations are in ``<id>/entities.delta.json`` beside it, one ``{"op": "ADD"|"MOD"|"DEL",
"entity": {...}}`` a line. A version id starts with its UTC instant
(``20240527134702-zbn`` is 2024-05-27 13:47:02). Applying the operations in version order
gives each version's whole copy of the collection: a snapshot, dated by its version id.
A version with no operations is a real copy, equal to the one before it; it still dates
what the next version shows (a change is within (previous version, this one]).

Parties and ``Sanction`` entities are the entries of the copies; other entities in a feed
(addresses, ...) are read and checked, but not compared. Every file is read and checked before
anything is written: a missing version file, a line that is not JSON, an unknown op or an
ADD/MOD without a valid FtM entity refuses the whole feed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from events_log.ftm.reader import (
    FtmError,
    Line,
    Party,
    SanctionFacts,
    is_party,
    party_of,
    read_entity,
    sanction_of,
)

OPS = ("ADD", "MOD", "DEL")
DELTA_FILE = "entities.delta.json"
_VERSION = re.compile(r"^(\d{14})(?:-[0-9a-z]+)?$")


@attrs.frozen
class Operation:
    op: str
    ftm_id: str
    where: str
    line: Line | None  # the entity, for ADD and MOD
    text: str  # the line as written, for the source's quote


@attrs.frozen
class Version:
    version_id: str
    instant: datetime
    url: str | None
    operations: tuple[Operation, ...]


@attrs.frozen
class Snapshot:
    """One version's whole copy of the parties, and what changed since the one before."""

    version: Version
    previous: Version | None
    entries: Mapping[str, Party]
    added: tuple[str, ...]  # ids absent from the previous copy
    removed: tuple[str, ...]  # ids gone since the previous copy
    changed: tuple[str, ...]  # ids in both, whose party facts differ
    listed_before: frozenset[str]  # ids first met in a MOD: on the list before the feed
    unknown_deletions: tuple[str, ...]  # DELs of ids no copy of this feed holds
    sanctions: Mapping[str, SanctionFacts] = attrs.field(factory=dict)
    sanctions_added: tuple[str, ...] = ()
    sanctions_removed: tuple[SanctionFacts, ...] = ()
    sanctions_changed: tuple[str, ...] = ()


def version_instant(version_id: str, where: str) -> datetime:
    match = _VERSION.match(version_id)
    if match is None:
        msg = f"{where}: version {version_id!r} does not start with its UTC instant YYYYMMDDhhmmss"
        raise FtmError(msg)
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        msg = f"{where}: version {version_id!r} does not start with a real instant"
        raise FtmError(msg) from None


def read_feed(path: Path) -> list[Version]:
    """Every version of the feed, oldest first, each with its operations."""
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        msg = f"{path.name}: not valid JSON ({error.msg})"
        raise FtmError(msg) from None
    listed = index.get("versions") if isinstance(index, dict) else None
    if not isinstance(listed, dict):
        msg = f"{path.name}: a delta feed index needs 'versions', an object of version ids"
        raise FtmError(msg)
    versions = []
    for version_id, url in listed.items():
        instant = version_instant(str(version_id), path.name)
        folder = path.parent / str(version_id)
        file = folder / DELTA_FILE
        if not file.is_file():
            msg = f"{path.name}: version {version_id} has no {DELTA_FILE} in {str(folder)!r}"
            raise FtmError(msg)
        operations = read_operations(file, f"{version_id}/{DELTA_FILE}")
        versions.append(
            Version(str(version_id), instant, str(url) if url else None, tuple(operations))
        )
    return sorted(versions, key=lambda v: (v.instant, v.version_id))


def read_operations(file: Path, name: str) -> list[Operation]:
    found = []
    for number, text in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        where = f"{name}:{number}"
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as error:
            msg = f"{where}: not valid JSON ({error.msg})"
            raise FtmError(msg) from None
        op = data.get("op") if isinstance(data, dict) else None
        if op not in OPS:
            msg = f"{where}: op {op!r} is not one of {', '.join(OPS)}"
            raise FtmError(msg)
        entity = data.get("entity")
        ftm_id = entity.get("id") if isinstance(entity, dict) else None
        if not isinstance(ftm_id, str) or not ftm_id:
            msg = f"{where}: {op} needs an 'entity' with an 'id'"
            raise FtmError(msg)
        line = None if op == "DEL" else read_entity(entity, where)
        found.append(Operation(op, ftm_id, where, line, text.strip()))
    return found


def snapshots(versions: Sequence[Version]) -> list[Snapshot]:
    """Each version's copy, compared with the one before it."""
    state: dict[str, Party] = {}
    sanctions: dict[str, SanctionFacts] = {}
    listed_before: set[str] = set()
    result = []
    previous: Version | None = None
    for version in versions:
        before = dict(state)
        sanctions_before = dict(sanctions)
        unknown = []
        for operation in version.operations:
            if operation.op == "DEL":
                gone = state.pop(operation.ftm_id, None) or sanctions.pop(operation.ftm_id, None)
                if gone is None:
                    unknown.append(operation.ftm_id)
                continue
            assert operation.line is not None
            if operation.line.proxy.schema.name == "Sanction":
                sanctions[operation.ftm_id] = sanction_of(operation.line)
                continue
            if not is_party(operation.line.proxy):
                continue
            if operation.op == "MOD" and operation.ftm_id not in state:
                listed_before.add(operation.ftm_id)
            state[operation.ftm_id] = party_of(operation.line)
        result.append(
            Snapshot(
                version=version,
                previous=previous,
                entries=dict(state),
                added=tuple(k for k in state if k not in before),
                removed=tuple(k for k in before if k not in state),
                changed=tuple(k for k in state if k in before and state[k] != before[k]),
                listed_before=frozenset(listed_before),
                unknown_deletions=tuple(unknown),
                sanctions=dict(sanctions),
                sanctions_added=tuple(k for k in sanctions if k not in sanctions_before),
                sanctions_removed=tuple(
                    v for k, v in sanctions_before.items() if k not in sanctions
                ),
                sanctions_changed=tuple(
                    k
                    for k in sanctions
                    if k in sanctions_before and sanctions[k] != sanctions_before[k]
                ),
            )
        )
        previous = version
    return result
