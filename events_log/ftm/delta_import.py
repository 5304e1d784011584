"""``import --format ftm-delta``: a delta feed's snapshots turned into the events they imply.

Per version (DESIGN.md §9, read as a snapshot series by :mod:`events_log.ftm.delta`):

- a party first in this copy was listed within (previous version, this one]: registered,
  with ``ftm:<id>``, its names, and one measure ``OpenSanctions / <collection>
  collection`` imposed in that window (in the first version: on or before it; a party
  first met in a MOD was on the list before the feed began, so on or before its version);
- a party gone from this copy was lifted within the window; so was one that a DEL names
  though no copy of this feed held it, when the store has it listed (its ADD came in an
  earlier feed, or in versions this copy of the feed no longer lists);
- a party whose facts changed (MOD: renamed, aliases, identifiers) gets the new names as
  aliases and new identifiers; its measure is unchanged (our record keeps the name it was
  registered under; the new one is an alias);
- a ``Sanction`` in the feed is a measure of its own, dated as ``import --format ftm``
  dates it (the dates the list gives win over the window), with the same event ids, so a
  file import and a feed agree; a later copy that adds an end date or an ending status
  ends it; a DEL lifts it within the window, unless it has ended already. A Sanction of a
  party that is neither in the feed nor on record is counted and left out.

Versions are instants, not days: a change after version 13:47 and by version 19:47 of
the same day is dated that day. Event ids derive from (feed, party, version), so
importing the feed again, or a longer copy of it, adds only what is new. The whole feed
is read and checked first, then saved in one transaction: a refused command (an end date
before its start, say) writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from domain.dates import DateInterval
from domain.entity import Entity
from domain.errors import DomainError
from domain.record import SANCTION_LIFTED, MeasureRecord, Source
from events_log.app import SanctionsApp
from events_log.ftm.delta import Operation, Snapshot, read_feed, snapshots
from events_log.ftm.importer import FtmWriter, event_key
from events_log.ftm.reader import QUOTE_LIMIT, Party, SanctionFacts
from events_log.jsonl import key_to_event_id
from events_log.session import ImportSession

AUTHORITY = "OpenSanctions"
ONE_DAY = timedelta(days=1)


def collection_of(path: Path, snapshot_urls: Sequence[str | None]) -> str:
    """The collection the feed publishes: from its artifact URLs, else its folder."""
    for url in snapshot_urls:
        parts = (url or "").split("/artifacts/")
        if len(parts) == 2 and "/" in parts[1]:
            return parts[1].split("/")[0]
    return path.parent.name


def window(snapshot: Snapshot, *, seen: bool, before_feed: bool = False) -> DateInterval:
    """Within (previous version, this one], in days; on or before it for the first."""
    version = snapshot.version
    day = version.instant.date()
    stamp = f"{version.version_id} ({version.instant.isoformat()})"
    previous = None if before_feed else snapshot.previous
    if previous is None:
        how = f"in delta version {stamp}" + (
            ", first met in a MOD: listed before the feed" if before_feed else ", the first"
        )
        return DateInterval(text=f"..{day.isoformat()}", start=None, until=day + ONE_DAY, how=how)
    first = previous.instant.date()
    text = day.isoformat() if first == day else f"{first.isoformat()}/{day.isoformat()}"
    verb = "first in" if seen else "gone from"
    return DateInterval(
        text=text,
        start=first,
        until=day + ONE_DAY,
        how=f"{verb} delta version {stamp}, after version {previous.version_id}",
    )


class DeltaWriter:
    """The entity commands of one version's changes."""

    def __init__(self, session: ImportSession, snapshot: Snapshot, collection: str) -> None:
        self.session = session
        self.snapshot = snapshot
        self.collection = collection
        self.program = f"{collection} collection"
        self.writer = FtmWriter(session)
        self.texts = {o.ftm_id: o for o in snapshot.version.operations}

    def key(self, ftm_id: str, what: str) -> str:
        return key_to_event_id(
            f"ftm-delta:{self.collection}:{ftm_id}:{what}:{self.snapshot.version.version_id}"
        )

    def source(self, ftm_id: str) -> Source:
        version = self.snapshot.version
        operation: Operation | None = self.texts.get(ftm_id)
        return Source(
            title=f"OpenSanctions delta feed {self.collection}, version {version.version_id}",
            publisher=None,
            published=version.instant.date(),
            url=version.url,
            quote=None if operation is None else _cut(operation.text),
        )

    def open_listing(self, entity: Entity) -> MeasureRecord | None:
        for measure in entity.record().measures:
            if (
                measure.ending is None
                and measure.authority == AUTHORITY
                and measure.program == self.program
            ):
                return measure
        return None

    def listed(self, party: Party) -> None:
        entity = self.writer.party(party)
        imposed = self.key(party.ftm_id, "listed")
        if self.session.has_event(entity, imposed) or self.open_listing(entity):
            return
        before = party.ftm_id in self.snapshot.listed_before
        entity.impose(
            AUTHORITY,
            self.program,
            None,
            event_id=imposed,
            effective=window(self.snapshot, seen=True, before_feed=before),
            source=self.source(party.ftm_id),
            correlation_id=None,
        )

    def lifted(self, ftm_id: str) -> None:
        entity = self.session.entity(self.writer.entity_id(ftm_id))
        lifted = self.key(ftm_id, "lifted")
        if entity is None or self.session.has_event(entity, lifted):
            return
        measure = self.open_listing(entity)
        if measure is None:
            return
        entity.end_measure(
            SANCTION_LIFTED,
            measure.measure_id,
            event_id=lifted,
            effective=window(self.snapshot, seen=False),
            source=self.source(ftm_id),
            correlation_id=None,
        )

    def sanction(self, facts: SanctionFacts) -> bool:
        """Impose (or end) the Sanction's measure; False when its party is not on record."""
        entity = self.session.entity(self.writer.entity_id(facts.entity))
        if entity is None:
            return False
        try:
            self.writer.sanction(entity, facts)
        except DomainError as error:
            version = self.snapshot.version.version_id
            msg = f"delta version {version}: Sanction {facts.ftm_id} of {facts.entity}: {error}"
            raise type(error)(msg) from None
        return True

    def sanction_removed(self, facts: SanctionFacts) -> None:
        entity = self.session.entity(self.writer.entity_id(facts.entity))
        lifted = self.key(facts.ftm_id, "lifted")
        if entity is None or self.session.has_event(entity, lifted):
            return
        measure = entity.record().measure(event_key(facts.ftm_id, "imposed"))
        if measure is None or measure.ending is not None:
            return
        entity.end_measure(
            SANCTION_LIFTED,
            measure.measure_id,
            event_id=lifted,
            effective=window(self.snapshot, seen=False),
            source=self.source(facts.ftm_id),
            correlation_id=None,
        )

    def changed(self, party: Party) -> None:
        self.writer.party(party)  # new names become aliases, new identifiers are added
        entity = self.session.entity(self.writer.entity_id(party.ftm_id))
        if entity is not None and party.name.casefold() != entity.record().name.casefold():
            self.writer.names(entity, party, [party.name], None)


def _cut(text: str) -> str:
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 2] + " …"


def summary(snapshot: Snapshot, events: int, orphans: int = 0) -> str:
    version = snapshot.version
    ops = [o.op for o in version.operations]
    head = f"imported delta version {version.version_id} ({version.instant.isoformat()})"
    if not ops:
        return f"{head}: no operations, a copy equal to the one before; {events} new events"
    counts = ", ".join(f"{ops.count(op)} {op}" for op in ("ADD", "MOD", "DEL") if op in ops)
    unknown = (
        f", {len(snapshot.unknown_deletions)} DEL of parties not in the feed"
        if snapshot.unknown_deletions
        else ""
    )
    sanctions = ""
    if snapshot.sanctions or snapshot.sanctions_removed:
        sanctions = (
            f"; {len(snapshot.sanctions)} Sanctions, {len(snapshot.sanctions_added)} added, "
            f"{len(snapshot.sanctions_removed)} removed, {len(snapshot.sanctions_changed)} changed"
        )
        if orphans:
            sanctions += f", {orphans} of parties not on record left out"
    return (
        f"{head}: {counts}; {len(snapshot.entries)} parties listed, "
        f"{len(snapshot.added)} added, {len(snapshot.removed)} removed, "
        f"{len(snapshot.changed)} changed{unknown}{sanctions}; {events} new events"
    )


def import_feeds(app: SanctionsApp, paths: Sequence[Path]) -> list[str]:
    """Read and check every feed, then write every version in one transaction (none when
    a command is refused). One line per version."""
    feeds = [(path, snapshots(read_feed(path))) for path in paths]
    session = ImportSession(app)
    done: list[tuple[Snapshot, int, int]] = []
    for path, series in feeds:
        collection = collection_of(path, [s.version.url for s in series])
        for snapshot in series:
            before = session.pending()
            writer = DeltaWriter(session, snapshot, collection)
            for ftm_id in snapshot.added:
                writer.listed(snapshot.entries[ftm_id])
            for ftm_id in (*snapshot.removed, *snapshot.unknown_deletions):
                writer.lifted(ftm_id)  # a DEL of a party listed before the feed: on record
            for ftm_id in snapshot.changed:
                writer.changed(snapshot.entries[ftm_id])
            orphans = 0
            for ftm_id in (*snapshot.sanctions_added, *snapshot.sanctions_changed):
                orphans += not writer.sanction(snapshot.sanctions[ftm_id])
            for facts in snapshot.sanctions_removed:
                writer.sanction_removed(facts)
            done.append((snapshot, session.pending() - before, orphans))
    session.flush()
    return [summary(snapshot, events, orphans) for snapshot, events, orphans in done]
