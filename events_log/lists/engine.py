"""The snapshot engine: list entries, the readers' contract, and the comparison of copies.

Each copy of a list is compared with the latest earlier copy on record (DESIGN.md §9). An
entry first seen in copy S2 and absent from S1 was listed within (S1, S2]; one that
vanishes was delisted within (S1, S2]; a measure that appears or goes is one measure
imposed or lifted within (S1, S2]. Entries of the first copy on record were listed at an
unknown date before it, unless the list itself dates them.

Order. Copies are imported in date order. One older than the latest on record is
refused: placing it would narrow the dates of events already recorded, which the log
cannot do without corrections. Re-importing a copy already on record adds nothing.

Faulty copies (empty, cut short, not the format, or delisting more than a set share of
the list at once) are refused before anything is written; in a git history they are
skipped with a note instead (``skip_faulty``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import attrs

from domain.dates import DateInterval
from domain.errors import DomainError
from domain.record import Source
from events_log.lists.series import SnapshotSeries

MAX_REMOVAL_SHARE = 0.10
ONE_DAY = timedelta(days=1)


class SnapshotError(DomainError):
    """A list snapshot was refused: faulty, unreadable, or not placeable in the series."""


class FaultySnapshotError(SnapshotError):
    """A snapshot file is empty, cut short, unreadable or not in the list's format."""


class SnapshotOrderError(SnapshotError):
    """A snapshot does not fit after the latest snapshot of its list on record."""


class MassRemovalError(SnapshotError):
    """A snapshot would delist more than the allowed share of the list at once."""


# -- entries ----------------------------------------------------------------------------


@attrs.frozen
class Ending:
    """An ending the list itself states: lifted, lapsed or waived, with its date."""

    kind: str
    effective: DateInterval
    citation: str | None = None  # the legal basis the list cites, e.g. a Federal Register notice
    published: date | None = None  # when that basis was published


@attrs.frozen
class Measure:
    """One measure an entry carries: its program, and what the list says of its dates.

    ``tag`` tells apart two measures of one program on one entry (ISN: the effective day);
    ``reason`` is written into the imposition and starts with the tag.
    """

    program: str
    tag: str = ""
    stated: DateInterval | None = None
    citation: str | None = None
    published: date | None = None
    reason: str | None = None
    endings: tuple[Ending, ...] = ()
    quote: str = ""  # the row that gives the measure, where an entry has several

    @property
    def key(self) -> str:
        return f"{self.program}|{self.tag}" if self.tag else self.program


@attrs.frozen
class Entry:
    """One entry of a list copy: what the tracker keeps of it, and the entry as written."""

    key: str
    name: str
    kind: str
    measures: tuple[Measure, ...]
    raw: str
    aliases: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    country: str | None = None


@attrs.frozen
class ListCopy:
    """A parsed copy: its entries by key, the day it gives itself, and reading notes."""

    entries: dict[str, Entry]
    observed: date | None = None
    notes: tuple[str, ...] = ()
    layout: str = ""  # the copy's columns, where the list's layout changed over time


class Reader:
    """One list format: how to read a copy, and how to keep its entries in the series.

    ``compact`` is what the series keeps of an entry (lists only: events hold no tuples);
    two compact forms that differ mean the entry changed. ``restore`` turns a compact form
    back into an entry, enough to end its measures.
    """

    format: str = ""
    list_name: str = ""
    label: str = ""  # "OFAC SDN", in messages and summaries
    short: str = ""  # "OFAC", in the readings of dates and in totals
    authority: str = ""
    publisher: str = ""
    listing: str | None = None  # a measure in force while the entry is on the list at all
    dated_by_content = False  # the copy's day is inside the file (``ListCopy.observed``)

    def parse(self, data: bytes, name: str) -> ListCopy:
        raise NotImplementedError

    def observed_in(self, data: bytes, name: str) -> date | None:
        """The day a copy gives itself (``dated_by_content``), read without parsing it all."""
        return None

    def compact(self, entry: Entry) -> list[Any]:
        raise NotImplementedError

    def restore(self, key: str, compact: Sequence[Any]) -> Entry:
        raise NotImplementedError

    def rekey(self, copy: ListCopy, previous: Mapping[str, Entry]) -> ListCopy:
        """Entries keyed as in the previous copy where the list gives no identifiers."""
        return copy

    def copy_source(self, observed: date, quote: str) -> Source:
        raise NotImplementedError

    def cited_source(
        self, observed: date, quote: str, citation: str | None, published: date | None
    ) -> Source:
        """The source of a fact a row gives with its legal basis: the copy and the citation."""
        source = self.copy_source(observed, quote)
        if citation is None:
            return source
        return attrs.evolve(source, title=f"{source.title}; {citation}", published=published)

    def is_own(self, title: str) -> bool:
        """Whether an imposition's source title is one this reader writes."""
        raise NotImplementedError

    def tag_of(self, reason: str | None) -> str:
        """The tag of a measure on record, from the reason its imposition carries."""
        return ""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- planning: every copy read and checked before anything is written ------------------


@attrs.frozen
class Version:
    """One copy to import: its name, its day (if known before reading), its bytes."""

    name: str
    observed: date | None
    load: Callable[[], bytes]
    deleted: bool = False


@attrs.frozen
class SnapshotPlan:
    """What one snapshot adds to the record, computed against the previous snapshot."""

    file_name: str
    observed: date
    sha256: str
    entry_count: int
    previous: date | None
    already_on_record: bool = False
    added: tuple[Entry, ...] = ()
    removed: tuple[Entry, ...] = ()
    changed: tuple[tuple[Entry, Entry], ...] = ()  # (new, old)
    listed: tuple[tuple[str, list[Any]], ...] = ()
    notes: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        programs = sum(
            1
            for new, old in self.changed
            if {m.key for m in new.measures} != {m.key for m in old.measures}
        )
        renamed = sum(1 for new, old in self.changed if new.name != old.name)
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "programs_changed": programs,
            "renamed": renamed,
        }


@attrs.frozen
class Skipped:
    """A version of a git history that was not imported, and why."""

    file_name: str
    observed: date
    reason: str

    def summary(self) -> str:
        return f"skipped {self.file_name} ({self.observed.isoformat()}): {self.reason}"


class Planner:
    """Reads copies in date order and compares each with the one before it."""

    def __init__(
        self,
        reader: Reader,
        series: SnapshotSeries,
        *,
        allow_mass_removal: bool = False,
        max_removal_share: float = MAX_REMOVAL_SHARE,
        skip_faulty: bool = False,
    ) -> None:
        self.reader = reader
        self.series = series
        self.allow_mass_removal = allow_mass_removal
        self.share = max_removal_share
        self.skip_faulty = skip_faulty
        self._previous: dict[str, Entry] | None = None  # the last copy's entries
        self._layout: str | None = None  # the last copy's layout, if read in this import
        self.latest = series.latest()
        self.seen: dict[date, str] = {}
        self.entries_read = 0

    def plan(self, versions: Iterable[Version]) -> list[SnapshotPlan | Skipped]:
        """Raises on the first faulty or misplaced copy unless ``skip_faulty``."""
        return [self.plan_one(version) for version in versions]

    def plan_one(self, version: Version) -> SnapshotPlan | Skipped:
        day = version.observed
        if version.deleted:
            assert day is not None
            return Skipped(version.name, day, "the file was deleted in this commit")
        try:
            data = version.load()
        except FaultySnapshotError as error:
            if not self.skip_faulty or day is None:
                raise
            return Skipped(version.name, day, _reason(error, version.name))
        day = day or self.reader.observed_in(data, version.name)
        if day is None:
            msg = (
                f"{version.name}: cannot tell when this {self.reader.label} copy was "
                "observed: give --observed YYYY-MM-DD or put the day in the file name"
            )
            raise SnapshotOrderError(msg)
        sha256 = sha256_of(data)
        known = self.seen.get(day)
        on_record = self.series.on_record(day)
        if known is None and on_record is not None:
            known = on_record["sha256"]
        if known is not None:
            if known == sha256:
                return SnapshotPlan(version.name, day, sha256, 0, None, already_on_record=True)
            msg = (
                f"{version.name}: a different {self.reader.label} snapshot observed on "
                f"{day.isoformat()} is already on record or in this import "
                f"(sha256 {known[:12]}, this file {sha256[:12]}): one snapshot per day; "
                "nothing was imported"
            )
            if self.skip_faulty:
                return Skipped(version.name, day, _reason(SnapshotOrderError(msg), version.name))
            raise SnapshotOrderError(msg)
        if self.latest is not None and day < self.latest:
            msg = (
                f"{version.name}: snapshot observed {day.isoformat()} is older than the "
                f"latest {self.reader.label} snapshot on record ({self.latest.isoformat()}): "
                "snapshots are imported in date order, and placing an older one would change "
                "the dates of events already recorded; nothing was imported"
            )
            raise SnapshotOrderError(msg)
        try:
            copy = self.reader.parse(data, version.name)
        except FaultySnapshotError as error:
            if not self.skip_faulty:
                raise
            return Skipped(version.name, day, _reason(error, version.name))
        copy = self.reader.rekey(copy, self.previous)
        if self._layout is not None and copy.layout != self._layout:
            copy = attrs.evolve(
                copy,
                notes=(
                    *copy.notes,
                    f"{version.name}: the list's layout changed ({self._layout} to "
                    f"{copy.layout}): the share of entries it may drop at once is not checked",
                ),
            )
        plan = self._compare(version.name, day, sha256, copy)
        relaid = self._layout is not None and copy.layout != self._layout
        try:
            if not relaid:
                self._check_removals(plan)
        except MassRemovalError as error:
            if not self.skip_faulty:
                raise
            return Skipped(version.name, day, _reason(error, version.name))
        self._layout = copy.layout
        self.entries_read += len(copy.entries)
        self._previous = copy.entries
        self.latest = day
        self.seen[day] = sha256
        return plan

    @property
    def previous(self) -> Mapping[str, Entry]:
        """The entries of the latest copy: read in this import, else restored from record."""
        if self._previous is None:
            restore = self.reader.restore
            self._previous = {key: restore(key, c) for key, c in self.series.entries.items()}
        return self._previous

    def _compare(self, name: str, day: date, sha256: str, copy: ListCopy) -> SnapshotPlan:
        compact, previous = self.reader.compact, self.previous
        added, changed, listed = [], [], []
        for key, entry in copy.entries.items():
            old = previous.get(key)
            if old is None:
                added.append(entry)
                listed.append((key, compact(entry)))
            elif old is not entry:  # a reader may hand back the same entry for the same row
                new_form = compact(entry)
                if new_form != compact(old):
                    changed.append((entry, old))
                    listed.append((key, new_form))
        removed = [old for key, old in previous.items() if key not in copy.entries]
        return SnapshotPlan(
            file_name=name,
            observed=day,
            sha256=sha256,
            entry_count=len(copy.entries),
            previous=self.latest,
            added=tuple(added),
            removed=tuple(removed),
            changed=tuple(changed),
            listed=tuple(listed),
            notes=copy.notes,
        )

    def _check_removals(self, plan: SnapshotPlan) -> None:
        before = len(self.previous)
        gone = sum(1 for entry in plan.removed if _in_force(entry, plan.observed))
        if self.latest is None or not before or self.allow_mass_removal:
            return
        if gone <= self.share * before:
            return
        assert plan.previous is not None
        msg = (
            f"{plan.file_name}: {gone} of the {before} entries of the snapshot of "
            f"{plan.previous.isoformat()} are missing ({gone / before:.1%}), more than the "
            f"{self.share:.0%} that may be delisted at once: this looks like a faulty "
            f"download; nothing was imported (pass --allow-mass-removal if "
            f"{self.reader.short} really delisted them)"
        )
        raise MassRemovalError(msg)


def _in_force(entry: Entry, day: date) -> bool:
    """Whether an entry leaving the list was still in force by what the list said of it."""
    if not entry.measures:
        return True
    return any(not ended_by(measure, day) for measure in entry.measures)


def ended_by(measure: Measure, day: date) -> bool:
    """Whether the list's own stated end (lifted or lapsed) of a measure falls by ``day``."""
    return any(
        e.kind != "sanction_waived" and e.effective.start is not None and e.effective.start <= day
        for e in measure.endings
    )


def _reason(error: DomainError, name: str) -> str:
    text = str(error).removeprefix(f"{name}: ")
    return text.removesuffix("; nothing was imported").split(": nothing was imported")[0]


def window(reader: Reader, previous: date | None, day: date, *, seen: bool) -> DateInterval:
    """When a change a snapshot shows happened: within (previous, day].

    ``seen`` says what the snapshot shows: something first seen in it (a listing, a
    program, a name), or something absent from it (a delisting, a program dropped).
    """
    label = reader.short
    if previous is None:
        return DateInterval(
            text=f"..{day.isoformat()}",
            start=None,
            until=day + ONE_DAY,
            how=f"in {label} snapshot {day.isoformat()} (first on record)",
        )
    first = previous + ONE_DAY
    text = day.isoformat() if first == day else f"{first.isoformat()}/{day.isoformat()}"
    return DateInterval(
        text=text,
        start=first,
        until=day + ONE_DAY,
        how=(
            f"first seen in {label} snapshot {day.isoformat()}, absent from {previous.isoformat()}"
            if seen
            else f"absent from {label} snapshot {day.isoformat()}, "
            f"present in {previous.isoformat()}"
        ),
    )
