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
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import attrs

from domain.dates import DateInterval
from domain.errors import DomainError
from domain.record import Source

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
    title: str = ""  # a copy's source title: "TITLE, copy of DAY"
    listing: str | None = None  # a measure in force while the entry is on the list at all
    dated_by_content = False  # the copy's day is inside the file (``ListCopy.observed``)

    def parse(self, data: bytes, name: str, observed: date | None = None) -> ListCopy:
        """The copy's entries; ``observed`` (the copy's day, if known) bounds its dates."""
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
        """The source of a fact read from the copy of this day (its row as the quote)."""
        return Source(
            title=f"{self.title}, copy of {observed.isoformat()}",
            publisher=self.publisher,
            published=observed,
            url=None,
            quote=quote or None,
        )

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
        return title.startswith(self.title)

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
