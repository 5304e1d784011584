"""Planning an import: every copy read and compared with the one before it, and checked,
before anything is written (DESIGN.md §9)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import attrs

from domain.errors import DomainError
from events_log.lists.engine import (
    MAX_REMOVAL_SHARE,
    Entry,
    FaultySnapshotError,
    ListCopy,
    MassRemovalError,
    Measure,
    Reader,
    Skipped,
    SnapshotOrderError,
    SnapshotPlan,
    Version,
    sha256_of,
)
from events_log.lists.series import SnapshotSeries


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

    def plan_one(self, version: Version) -> SnapshotPlan | Skipped:
        """The plan of one copy; raises if it is faulty or misplaced, unless ``skip_faulty``
        (then a faulty copy is skipped, and the state stays the previous copy's)."""
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
            copy = self.reader.parse(data, version.name, day)
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
