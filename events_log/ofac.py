"""OFAC SDN snapshots: periodic copies of ``sdn.csv`` turned into the events they imply.

Each snapshot is compared with the latest earlier snapshot of the list on record
(DESIGN.md §9). An entry first seen in snapshot S2 and absent from S1 was listed within
(S1, S2]; one that vanishes was delisted within (S1, S2]; a program that appears or goes
is one measure imposed or lifted within (S1, S2]. Entries of the first snapshot on record
were listed at an unknown date before it.

Measures. Every entry has one measure per (OFAC, program), as DESIGN.md says, and also one
``OFAC / SDN listing`` measure, in force while the entry is on the list at all. The listing
is what a snapshot shows for certain: an entry present in two snapshots was on the list
between them, even when its programs changed (program X lifted and program Y imposed, each
somewhere in the interval, would otherwise leave a gap the record cannot rule out).

Order. Snapshots are imported in date order. One older than the latest on record is
refused: placing it would narrow the dates of events already recorded, which the log
cannot do without corrections. Re-importing a snapshot already on record adds nothing.

Faulty downloads (empty, cut short, not ``sdn.csv``, or delisting more than a set share of
the list at once) are refused before anything is written.

The list's own bookkeeping is a small aggregate, :class:`SnapshotSeries`: one event per
snapshot (its day, content hash, and the entries that changed), so its state is the
latest snapshot's entries. It is saved in the same transaction as the entity events.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import attrs
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, OperationalError

from domain.dates import DateInterval, parse_day
from domain.entity import Entity
from domain.errors import DomainError
from domain.record import SANCTION_LIFTED, MeasureRecord, Source
from events_log.app import ConflictError, SanctionsApp
from events_log.jsonl import key_to_entity_id, key_to_event_id
from events_log.session import ImportSession

FORMAT = "ofac-sdn-csv"
JSONL = "jsonl"
FORMATS = (JSONL, FORMAT)

LIST_NAME = "ofac-sdn"
AUTHORITY = "OFAC"
LISTING = "SDN listing"
SOURCE_TITLE = "OFAC SDN list (sdn.csv) snapshot"
PUBLISHER = "U.S. Treasury OFAC"
MAX_REMOVAL_SHARE = 0.10

COLUMNS = (
    "ent_num",
    "name",
    "type",
    "programs",
    "title",
    "call sign",
    "vessel type",
    "tonnage",
    "GRT",
    "vessel flag",
    "vessel owner",
    "remarks",
)
EMPTY = "-0-"
EOF_BYTE = b"\x1a"
KINDS = {"": "organisation", "individual": "person", "vessel": "vessel", "aircraft": "aircraft"}

_ONE_DAY = timedelta(days=1)
_ALIAS = re.compile(r"(?<![\w.])[afn]\.k\.a\.\s+'(.+?)'(?=\s*;|\.?\s*$)")
_DAY_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
_OFAC_ROW = re.compile(rb'^\s*\d+,"')
_SERIES_NAMESPACE = uuid5(NAMESPACE_URL, "sanctions-tracker:list")
_PROGRESS_EVERY = 500


class SnapshotError(DomainError):
    """A list snapshot was refused: faulty, unreadable, or not placeable in the series."""


class FaultySnapshotError(SnapshotError):
    """A snapshot file is empty, cut short or not an OFAC ``sdn.csv`` file."""


class SnapshotOrderError(SnapshotError):
    """A snapshot does not fit after the latest snapshot of its list on record."""


class MassRemovalError(SnapshotError):
    """A snapshot would delist more than the allowed share of the list at once."""


# -- reading ----------------------------------------------------------------------------


@attrs.frozen
class SdnEntry:
    """One row of ``sdn.csv``: what the tracker keeps of it, and the row as written."""

    ent_num: str
    name: str
    kind: str
    programs: tuple[str, ...]
    aliases: tuple[str, ...]
    raw: str

    def compact(self) -> list[Any]:
        """What the series aggregate keeps of the entry (lists only: events hold no tuples)."""
        return [self.name, self.kind, list(self.programs), list(self.aliases)]


def detect_format(path: Path) -> str:
    """``ofac-sdn-csv`` or ``jsonl``, from the file name, else from the first bytes.

    A ``.csv`` (or ``.csv.gz``) is an OFAC snapshot, the one CSV format known; a
    ``.jsonl``/``.json``/``.ndjson`` is JSON Lines. Any other name is an OFAC snapshot if
    its first row looks like one, else JSON Lines (the format before snapshots existed).
    """
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return JSONL
    if name.endswith(".csv"):
        return FORMAT
    try:
        head = _read_head(path)
    except (OSError, EOFError, zlib.error):
        return JSONL
    return FORMAT if _OFAC_ROW.match(head) else JSONL


def _read_head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as raw:
        head = raw.read(size)
    if head.startswith(b"\x1f\x8b"):
        with gzip.open(path, "rb") as unzipped:
            head = unzipped.read(size)
    return head


def observed_from_name(name: str) -> date | None:
    """The one ``YYYY-MM-DD`` day written in a file name, or None if there is none."""
    days = set(_DAY_IN_NAME.findall(name))
    if not days:
        return None
    if len(days) > 1:
        listed = ", ".join(sorted(days))
        msg = (
            f"{name}: the file name holds several days ({listed}): "
            "give the day the snapshot was observed with --observed"
        )
        raise SnapshotOrderError(msg)
    return parse_day(days.pop())


def read_bytes(path: Path) -> bytes:
    """The file's content, decompressed if it is gzip."""
    data = path.read_bytes()
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as error:
        msg = (
            f"{path.name}: the gzip data is damaged or cut short ({error}): "
            "the download looks faulty; nothing was imported"
        )
        raise FaultySnapshotError(msg) from None


def parse_sdn(data: bytes, name: str) -> dict[str, SdnEntry]:
    """Every entry of an ``sdn.csv`` file, by ent_num; refuses a file that looks faulty."""
    if not data.strip():
        msg = (
            f"{name}: the file is empty ({len(data)} bytes): an OFAC SDN snapshot lists "
            "thousands of entries, so this looks like a faulty download; nothing was imported"
        )
        raise FaultySnapshotError(msg)
    if not _OFAC_ROW.match(data):
        first = data.lstrip().split(b"\n", 1)[0][:40].decode("latin-1")
        msg = (
            f"{name}: the first line ({first!r}) does not start with an ent_num and a quoted "
            "name: the file is not OFAC's sdn.csv (a faulty download?); nothing was imported"
        )
        raise FaultySnapshotError(msg)
    if not data.endswith(EOF_BYTE):
        msg = (
            f"{name}: the file does not end with OFAC's end-of-file byte (\\x1a) after its "
            "last row: the download looks cut short; nothing was imported"
        )
        raise FaultySnapshotError(msg)
    text = data[: -len(EOF_BYTE)].decode("latin-1")
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), strict=True)
    entries: dict[str, SdnEntry] = {}
    while True:
        consumed.clear()
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            msg = (
                f"{name}: line {reader.line_num} cannot be read as CSV ({error}): the file "
                "looks cut short or is not OFAC's sdn.csv; nothing was imported"
            )
            raise FaultySnapshotError(msg) from None
        if not row:
            continue
        entry = _entry(row, "".join(consumed).rstrip("\r\n"), name, reader.line_num)
        if entry.ent_num in entries:
            msg = (
                f"{name}: line {reader.line_num}: ent_num {entry.ent_num} appears twice: "
                "each entry of sdn.csv has its own number; nothing was imported"
            )
            raise FaultySnapshotError(msg)
        entries[entry.ent_num] = entry
    if not entries:
        msg = f"{name}: the file holds no entries: not an OFAC SDN snapshot; nothing was imported"
        raise FaultySnapshotError(msg)
    return entries


def _entry(row: Sequence[str], raw: str, file_name: str, line: int) -> SdnEntry:
    if len(row) != len(COLUMNS):
        msg = (
            f"{file_name}: line {line} has {len(row)} columns, an sdn.csv row has "
            f"{len(COLUMNS)}: the file looks cut short or is not OFAC's sdn.csv; "
            "nothing was imported"
        )
        raise FaultySnapshotError(msg)
    ent_num, name, kind, programs = (_value(v) for v in row[:4])
    if not ent_num.isdigit():
        msg = (
            f"{file_name}: line {line}: ent_num {ent_num!r} is not a number: "
            "the file is not OFAC's sdn.csv; nothing was imported"
        )
        raise FaultySnapshotError(msg)
    if not name:
        msg = f"{file_name}: line {line}: entry {ent_num} has no name; nothing was imported"
        raise FaultySnapshotError(msg)
    kind = kind.lower()
    return SdnEntry(
        ent_num=ent_num.lstrip("0") or "0",
        name=name,
        kind=KINDS.get(kind, kind),
        programs=split_programs(programs),
        aliases=aliases_in(row[11], name),
        raw=raw,
    )


def _value(text: str) -> str:
    value = text.strip()
    return "" if value == EMPTY else value


def split_programs(text: str) -> tuple[str, ...]:
    """``NPWMD] [IFSR`` (outer brackets stripped by OFAC) as ``('NPWMD', 'IFSR')``."""
    inner = text.strip().removeprefix("[").removesuffix("]")
    programs = [p.strip() for p in inner.split("] [")]
    return tuple(dict.fromkeys(p for p in programs if p))


def aliases_in(remarks: str, name: str) -> tuple[str, ...]:
    """The ``a.k.a.``, ``f.k.a.`` and ``n.k.a.`` names in the remarks, other than the name.

    OFAC cuts remarks at 1,000 characters; a name cut off with them (no closing quote)
    is not taken.
    """
    if ".k.a." not in remarks:
        return ()
    found: dict[str, str] = {name.casefold(): name}
    for match in _ALIAS.finditer(remarks):
        alias = " ".join(match.group(1).split())
        if alias:
            found.setdefault(alias.casefold(), alias)
    return tuple(list(found.values())[1:])


# -- the series of snapshots on record --------------------------------------------------


class SnapshotSeries(Aggregate):
    """The snapshots of one published list on record, and the latest one's entries."""

    class Started(Aggregate.Created):
        list_name: str

    class SnapshotRecorded(Aggregate.Event):
        observed: str
        sha256: str
        file_name: str
        entry_count: int
        listed: dict[str, list[Any]]
        delisted: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.snapshots.append(
                {
                    "observed": self.observed,
                    "sha256": self.sha256,
                    "file_name": self.file_name,
                    "entry_count": self.entry_count,
                }
            )
            aggregate.entries.update(self.listed)
            for ent_num in self.delisted:
                aggregate.entries.pop(ent_num, None)

    def __init__(self, *, list_name: str) -> None:
        self.list_name = list_name
        self.snapshots: list[dict[str, Any]] = []
        self.entries: dict[str, list[Any]] = {}

    @classmethod
    def start(cls, list_name: str) -> SnapshotSeries:
        return cls._create(cls.Started, id=series_id(list_name), list_name=list_name)

    def latest(self) -> date | None:
        return date.fromisoformat(self.snapshots[-1]["observed"]) if self.snapshots else None

    def on_record(self, observed: date) -> dict[str, Any] | None:
        for snapshot in self.snapshots:
            if snapshot["observed"] == observed.isoformat():
                return snapshot
        return None

    def record(
        self,
        *,
        observed: date,
        sha256: str,
        file_name: str,
        entry_count: int,
        listed: dict[str, list[Any]],
        delisted: list[str],
    ) -> None:
        self.trigger_event(
            self.SnapshotRecorded,
            observed=observed.isoformat(),
            sha256=sha256,
            file_name=file_name,
            entry_count=entry_count,
            listed=listed,
            delisted=delisted,
        )


def series_id(list_name: str) -> UUID:
    return uuid5(_SERIES_NAMESPACE, list_name)


def load_series(app: SanctionsApp, list_name: str = LIST_NAME) -> SnapshotSeries:
    """The list's series as on record, or a new empty one."""
    try:
        series: Any = app.repository.get(series_id(list_name))
    except AggregateNotFoundError:
        return SnapshotSeries.start(list_name)
    assert isinstance(series, SnapshotSeries)
    return series


# -- planning: every file read and checked before anything is written ------------------


@attrs.frozen
class SnapshotPlan:
    """What one snapshot adds to the record, computed against the previous snapshot."""

    file_name: str
    observed: date
    sha256: str
    entry_count: int
    previous: date | None
    already_on_record: bool = False
    added: tuple[SdnEntry, ...] = ()
    removed: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    changed: tuple[tuple[SdnEntry, tuple[Any, ...]], ...] = ()

    def window(self, *, seen: bool = True) -> DateInterval:
        """When a change this snapshot shows happened: within (previous, observed].

        ``seen`` says what the snapshot shows: something first seen in it (a listing, a
        program, a name), or something absent from it (a delisting, a program dropped).
        """
        day = self.observed
        if self.previous is None:
            return DateInterval(
                text=f"..{day.isoformat()}",
                start=None,
                until=day + _ONE_DAY,
                how=f"in OFAC snapshot {day.isoformat()} (first on record)",
            )
        first = self.previous + _ONE_DAY
        text = day.isoformat() if first == day else f"{first.isoformat()}/{day.isoformat()}"
        return DateInterval(
            text=text,
            start=first,
            until=day + _ONE_DAY,
            how=(
                f"first seen in OFAC snapshot {day.isoformat()}, "
                f"absent from {self.previous.isoformat()}"
                if seen
                else f"absent from OFAC snapshot {day.isoformat()}, "
                f"present in {self.previous.isoformat()}"
            ),
        )

    def counts(self) -> dict[str, int]:
        programs = sum(1 for entry, old in self.changed if set(entry.programs) != set(old[2]))
        renamed = sum(1 for entry, old in self.changed if entry.name != old[0])
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "programs_changed": programs,
            "renamed": renamed,
        }


def plan_snapshots(
    series: SnapshotSeries,
    files: Sequence[tuple[Path, date]],
    *,
    allow_mass_removal: bool = False,
    max_removal_share: float = MAX_REMOVAL_SHARE,
    progress: Callable[[int, str, int], None] | None = None,
) -> list[SnapshotPlan]:
    """Read every file in date order and compare each with the one before it.

    Raises on the first faulty or misplaced snapshot, so a refused file means nothing of
    the whole batch is written.
    """
    state: Mapping[str, Sequence[Any]] = series.entries
    latest = series.latest()
    seen: dict[date, str] = {}
    plans: list[SnapshotPlan] = []
    entries_read = 0
    for index, (path, observed) in enumerate(sorted(files, key=lambda f: (f[1], f[0].name))):
        if progress is not None:
            progress(index, path.name, entries_read)
        data = read_bytes(path)
        sha256 = hashlib.sha256(data).hexdigest()
        known = seen.get(observed)
        on_record = series.on_record(observed)
        if known is None and on_record is not None:
            known = on_record["sha256"]
        if known is not None:
            if known != sha256:
                msg = (
                    f"{path.name}: a different OFAC SDN snapshot observed on "
                    f"{observed.isoformat()} is already on record or in this import "
                    f"(sha256 {known[:12]}, this file {sha256[:12]}): one snapshot per day; "
                    "nothing was imported"
                )
                raise SnapshotOrderError(msg)
            plans.append(
                SnapshotPlan(
                    file_name=path.name,
                    observed=observed,
                    sha256=sha256,
                    entry_count=0,
                    previous=None,
                    already_on_record=True,
                )
            )
            continue
        if latest is not None and observed < latest:
            msg = (
                f"{path.name}: snapshot observed {observed.isoformat()} is older than the "
                f"latest OFAC SDN snapshot on record ({latest.isoformat()}): snapshots are "
                "imported in date order, and placing an older one would change the dates of "
                "events already recorded; nothing was imported"
            )
            raise SnapshotOrderError(msg)
        entries = parse_sdn(data, path.name)
        entries_read += len(entries)
        plan = _compare(path.name, observed, sha256, entries, state, latest)
        if latest is not None and state:
            _check_removals(plan, len(state), allow_mass_removal, max_removal_share)
        plans.append(plan)
        state = {ent_num: entry.compact() for ent_num, entry in entries.items()}
        latest = observed
        seen[observed] = sha256
    return plans


def _compare(
    file_name: str,
    observed: date,
    sha256: str,
    entries: Mapping[str, SdnEntry],
    state: Mapping[str, Sequence[Any]],
    previous: date | None,
) -> SnapshotPlan:
    added = [entry for ent_num, entry in entries.items() if ent_num not in state]
    removed = [(ent_num, tuple(old)) for ent_num, old in state.items() if ent_num not in entries]
    changed = [
        (entry, tuple(state[ent_num]))
        for ent_num, entry in entries.items()
        if ent_num in state and entry.compact() != list(state[ent_num])
    ]
    return SnapshotPlan(
        file_name=file_name,
        observed=observed,
        sha256=sha256,
        entry_count=len(entries),
        previous=previous,
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
    )


def _check_removals(plan: SnapshotPlan, before: int, allowed: bool, share: float) -> None:
    gone = len(plan.removed)
    if allowed or gone <= share * before:
        return
    assert plan.previous is not None
    msg = (
        f"{plan.file_name}: {gone} of the {before} entries of the snapshot of "
        f"{plan.previous.isoformat()} are missing ({gone / before:.1%}), more than the "
        f"{share:.0%} that may be delisted at once: this looks like a faulty download; "
        "nothing was imported (pass --allow-mass-removal if OFAC really delisted them)"
    )
    raise MassRemovalError(msg)


# -- writing ----------------------------------------------------------------------------


@attrs.frozen
class SnapshotResult:
    """What importing one snapshot did."""

    file_name: str
    observed: date
    already_on_record: bool
    entries: int
    added: int
    removed: int
    programs_changed: int
    renamed: int
    events: int
    seconds: float

    def summary(self) -> str:
        head = f"imported {self.file_name} (OFAC SDN snapshot {self.observed.isoformat()})"
        if self.already_on_record:
            return f"{head}: already on record, 0 new events"
        return (
            f"{head}: {self.entries} entries, {self.added} added, {self.removed} removed, "
            f"{self.programs_changed} with program changes, {self.renamed} renamed; "
            f"{self.events} new events"
        )


@attrs.frozen
class Progress:
    """Where a running import is: files, entries and events so far, and the rate."""

    stage: str
    file_index: int
    file_count: int
    file_name: str
    entries: int
    events: int
    seconds: float

    def line(self) -> str:
        seconds = max(self.seconds, 1e-9)
        rate = (
            f"{self.events / seconds:,.0f} events/s"
            if self.events
            else f"{self.entries / seconds:,.0f} entries/s"
        )
        return (
            f"{self.stage} file {self.file_index + 1}/{self.file_count} ({self.file_name}): "
            f"{self.entries:,} entries, {self.events:,} events, {rate}"
        )


class _SnapshotSession(ImportSession):
    """An import session that also saves the list's series, in the same transaction."""

    def __init__(self, app: SanctionsApp, series: SnapshotSeries) -> None:
        super().__init__(app)
        self.series = series

    def flush(self) -> int:
        dirty = [e for e in self.entities.values() if e.pending_events]
        for entity in dirty:
            self._claim(entity)
        added = sum(len(e.pending_events) for e in dirty)
        labels = [label for label in self.labels.values() if label.pending_events]
        try:
            self.app.save(*dirty, *labels, self.series)
        except (IntegrityError, OperationalError):
            msg = (
                f"another writer changed the store during the import of OFAC snapshot "
                f"{self.series.snapshots[-1]['observed']}; nothing of it was saved: "
                "run the import again"
            )
            raise ConflictError(msg) from None
        self.app.saved()  # the followers (status timeline, hash chain) catch up
        self.events_added += added
        self.entities.clear()
        self.labels.clear()
        return added


class OfacImporter:
    """Imports OFAC SDN snapshots into the log, in date order, one transaction each."""

    def __init__(
        self,
        app: SanctionsApp,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.app = app
        self.progress = progress
        self.started = time.monotonic()
        self.entries_seen = 0
        self.events_written = 0

    def import_files(
        self,
        paths: Sequence[Path],
        *,
        observed: date | None = None,
        allow_mass_removal: bool = False,
        max_removal_share: float = MAX_REMOVAL_SHARE,
    ) -> list[SnapshotResult]:
        """Check every file, then write each snapshot. Returns one result per file."""
        files = dated_files(paths, observed)
        series = load_series(self.app)
        count = len(files)

        def reading(index: int, name: str, entries: int) -> None:
            self._report("reading", index, count, name, entries=entries)

        plans = plan_snapshots(
            series,
            files,
            allow_mass_removal=allow_mass_removal,
            max_removal_share=max_removal_share,
            progress=reading,
        )
        results = []
        for index, plan in enumerate(plans):
            results.append(self._write(series, plan, index, count))
        return results

    def _report(
        self, stage: str, index: int, count: int, name: str, *, entries: int, events: int = 0
    ) -> None:
        if self.progress is None:
            return
        self.progress(
            Progress(
                stage=stage,
                file_index=index,
                file_count=count,
                file_name=name,
                entries=entries,
                events=events,
                seconds=time.monotonic() - self.started,
            )
        )

    def _write(
        self, series: SnapshotSeries, plan: SnapshotPlan, index: int, count: int
    ) -> SnapshotResult:
        started = time.monotonic()
        counts = plan.counts()
        if plan.already_on_record:
            return SnapshotResult(
                file_name=plan.file_name,
                observed=plan.observed,
                already_on_record=True,
                entries=0,
                added=0,
                removed=0,
                programs_changed=0,
                renamed=0,
                events=0,
                seconds=time.monotonic() - started,
            )
        session = _SnapshotSession(self.app, series)
        writer = _SnapshotWriter(session, plan)
        for done, step in enumerate(writer.steps(), start=1):
            step()
            if done % _PROGRESS_EVERY == 0:
                self._report(
                    "writing",
                    index,
                    count,
                    plan.file_name,
                    entries=self.entries_seen + done,
                    events=self.events_written + session.pending(),
                )
        series.record(
            observed=plan.observed,
            sha256=plan.sha256,
            file_name=plan.file_name,
            entry_count=plan.entry_count,
            listed={entry.ent_num: entry.compact() for entry in plan.added}
            | {entry.ent_num: entry.compact() for entry, _ in plan.changed},
            delisted=[ent_num for ent_num, _ in plan.removed],
        )
        events = session.flush()
        self.entries_seen += plan.entry_count
        self.events_written += events
        self._report(
            "written",
            index,
            count,
            plan.file_name,
            entries=self.entries_seen,
            events=self.events_written,
        )
        return SnapshotResult(
            file_name=plan.file_name,
            observed=plan.observed,
            already_on_record=False,
            entries=plan.entry_count,
            events=events,
            seconds=time.monotonic() - started,
            **counts,
        )


def dated_files(paths: Sequence[Path], observed: date | None) -> list[tuple[Path, date]]:
    """Each file with the day its snapshot was observed: ``--observed``, else its name."""
    if observed is not None and len(paths) > 1:
        msg = (
            f"--observed {observed.isoformat()} names one day but {len(paths)} snapshot files "
            "were given: import them one at a time, or put each day in its file name"
        )
        raise SnapshotOrderError(msg)
    files = []
    for path in paths:
        day = observed or observed_from_name(path.name)
        if day is None:
            msg = (
                f"{path.name}: cannot tell when this snapshot was observed: give "
                "--observed YYYY-MM-DD or put the day in the file name (sdn-2024-05-01.csv)"
            )
            raise SnapshotOrderError(msg)
        files.append((path, day))
    return files


class _SnapshotWriter:
    """The entity commands one snapshot implies, as steps (one per entry)."""

    def __init__(self, session: _SnapshotSession, plan: SnapshotPlan) -> None:
        self.session = session
        self.plan = plan
        self.day = plan.observed.isoformat()
        self.seen = plan.window(seen=True)
        self.absent = plan.window(seen=False)
        self.correlation = key_to_event_id(f"{LIST_NAME}:snapshot:{self.day}")

    def steps(self) -> Iterator[Callable[[], None]]:
        for entry in self.plan.added:
            yield partial(self.listed, entry)
        for ent_num, old in self.plan.removed:
            yield partial(self.delisted, ent_num, old)
        for entry, old in self.plan.changed:
            yield partial(self.changed, entry, old)

    def _envelope(
        self, ent_num: str, what: str, quote: str, *, seen: bool = True
    ) -> dict[str, Any]:
        return {
            "event_id": key_to_event_id(f"{LIST_NAME}:{ent_num}:{what}:{self.day}"),
            "effective": self.seen if seen else self.absent,
            "source": Source(
                title=SOURCE_TITLE,
                publisher=PUBLISHER,
                published=self.plan.observed,
                url=None,
                quote=quote,
            ),
            "correlation_id": self.correlation,
        }

    def _entity_id(self, ent_num: str) -> UUID:
        """The entity that carries ``ofac-sdn:N``, else the one keyed by it."""
        holders = self.session.find_label(identifier(ent_num))
        if len(holders) == 1:
            return holders[0]
        return key_to_entity_id(identifier(ent_num))

    def listed(self, entry: SdnEntry) -> None:
        ent_num = entry.ent_num
        entity = self.session.register(
            entity_id=self._entity_id(ent_num),
            name=entry.name,
            kind=entry.kind,
            country=None,
            **self._envelope(ent_num, "registered", entry.raw),
        )
        entity.add_identifier(
            identifier(ent_num), **self._envelope(ent_num, "identifier", entry.raw)
        )
        self._add_names(entity, entry, (entry.name, *entry.aliases))
        open_programs = {m.program for m in open_measures(entity)}
        for program in (LISTING, *entry.programs):
            if program not in open_programs:
                entity.impose(
                    AUTHORITY,
                    program,
                    None,
                    **self._envelope(ent_num, f"imposed:{program}", entry.raw),
                )

    def delisted(self, ent_num: str, old: Sequence[Any]) -> None:
        entity = self.session.entity(self._entity_id(ent_num))
        if entity is None:
            return
        previous = self.plan.previous.isoformat() if self.plan.previous else "?"
        quote = (
            f"entry {ent_num} ({old[0]}) absent from snapshot {self.day}; "
            f"listed in snapshot {previous}"
        )
        for measure in open_measures(entity):
            entity.end_measure(
                SANCTION_LIFTED,
                measure.measure_id,
                **self._envelope(ent_num, f"lifted:{measure.program}", quote, seen=False),
            )

    def changed(self, entry: SdnEntry, old: Sequence[Any]) -> None:
        ent_num = entry.ent_num
        entity = self.session.entity(self._entity_id(ent_num))
        if entity is None:
            return
        old_names = {n.casefold() for n in (old[0], *old[3])}
        self._add_names(
            entity,
            entry,
            [n for n in (entry.name, *entry.aliases) if n.casefold() not in old_names],
        )
        measures = {m.program: m for m in open_measures(entity)}
        for program in old[2]:
            if program not in entry.programs and program in measures:
                entity.end_measure(
                    SANCTION_LIFTED,
                    measures[program].measure_id,
                    **self._envelope(ent_num, f"lifted:{program}", entry.raw, seen=False),
                )
        for program in entry.programs:
            if program not in old[2] and program not in measures:
                entity.impose(
                    AUTHORITY,
                    program,
                    None,
                    **self._envelope(ent_num, f"imposed:{program}", entry.raw),
                )

    def _add_names(self, entity: Entity, entry: SdnEntry, names: Sequence[str]) -> None:
        record_name = entity.record().name.casefold()
        for name in names:
            if name.casefold() != record_name:
                entity.add_alias(
                    name, **self._envelope(entry.ent_num, f"alias:{name.casefold()}", entry.raw)
                )


def identifier(ent_num: str) -> str:
    return f"{LIST_NAME}:{ent_num}"


def open_measures(entity: Entity) -> list[MeasureRecord]:
    """The entity's OFAC measures that this importer imposed and that have not ended."""
    return [
        m
        for m in entity.record().measures
        if m.ending is None
        and m.authority == AUTHORITY
        and m.imposition.source.title == SOURCE_TITLE
    ]
