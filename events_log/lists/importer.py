"""Importing a list's copies: plan them all, then write each in its own transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date

import attrs
from eventsourcing.persistence import IntegrityError, OperationalError

from events_log.app import ConflictError, SanctionsApp
from events_log.lists.engine import MAX_REMOVAL_SHARE, Reader, Skipped, SnapshotPlan, Version
from events_log.lists.planner import Planner
from events_log.lists.series import SnapshotSeries, load_series
from events_log.lists.writer import SnapshotWriter
from events_log.session import ImportSession

_PROGRESS_EVERY = 500


@attrs.frozen
class SnapshotResult:
    """What importing one snapshot did."""

    label: str
    short: str
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
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        head = f"imported {self.file_name} ({self.label} snapshot {self.observed.isoformat()})"
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


class ListImporter:
    """Imports the copies of one list into the log, in date order, one transaction each."""

    def __init__(
        self,
        app: SanctionsApp,
        reader: Reader,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.app = app
        self.reader = reader
        self.progress = progress
        self.started = time.monotonic()
        self.entries_seen = 0
        self.events_written = 0

    def series(self) -> SnapshotSeries:
        return load_series(self.app, self.reader.list_name)

    def import_versions(
        self,
        versions: Sequence[Version],
        *,
        allow_mass_removal: bool = False,
        max_removal_share: float = MAX_REMOVAL_SHARE,
        skip_faulty: bool = False,
        series: SnapshotSeries | None = None,
    ) -> list[SnapshotResult | Skipped]:
        """Check every version, then write each snapshot. One result per version.

        Without ``skip_faulty`` a faulty version raises before anything is written.
        """
        series = series or self.series()
        planner = Planner(
            self.reader,
            series,
            allow_mass_removal=allow_mass_removal,
            max_removal_share=max_removal_share,
            skip_faulty=skip_faulty,
        )
        count = len(versions)
        followers, self.app.after_save = self.app.after_save, []  # once at the end, not per copy
        try:
            return self._import(planner, series, versions, count)
        finally:
            self.app.after_save = followers
            if self.events_written:
                self.app.saved()

    def _import(
        self,
        planner: Planner,
        series: SnapshotSeries,
        versions: Sequence[Version],
        count: int,
    ) -> list[SnapshotResult | Skipped]:
        plans: list[SnapshotPlan | Skipped] = []
        for index, version in enumerate(versions):
            self._report("reading", index, count, version.name, entries=planner.entries_read)
            plans.append(planner.plan_one(version))
        results: list[SnapshotResult | Skipped] = []
        for index, plan in enumerate(plans):
            if isinstance(plan, Skipped):
                results.append(plan)
            else:
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
        if plan.already_on_record:
            return SnapshotResult(
                self.reader.label,
                self.reader.short,
                plan.file_name,
                plan.observed,
                True,
                *(0,) * 6,
                0.0,
            )
        session = ImportSession(self.app)
        writer = SnapshotWriter(self.reader, session, plan)
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
            listed=dict(plan.listed),
            delisted=[entry.key for entry in plan.removed],
        )
        try:
            events = session.flush(series)
        except (IntegrityError, OperationalError):
            msg = (
                f"another writer changed the store during the import of {self.reader.label} "
                f"snapshot {plan.observed.isoformat()}; nothing of it was saved: "
                "run the import again"
            )
            raise ConflictError(msg) from None
        self.entries_seen += plan.entry_count
        self.events_written += events
        self._report(
            "written", index, count, plan.file_name, entries=self.entries_seen, events=events
        )
        return SnapshotResult(
            label=self.reader.label,
            short=self.reader.short,
            file_name=plan.file_name,
            observed=plan.observed,
            already_on_record=False,
            entries=plan.entry_count,
            events=events,
            seconds=time.monotonic() - started,
            notes=(*plan.notes, *writer.notes),
            **plan.counts(),
        )
