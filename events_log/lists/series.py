"""The snapshots of one published list on record: a small aggregate per list.

One event per snapshot (its day, content hash, and the entries that changed), so the
aggregate's state is the latest snapshot's entries. It is saved in the same transaction
as the entity events the snapshot implies.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from events_log.app import SanctionsApp

_SERIES_NAMESPACE = uuid5(NAMESPACE_URL, "sanctions-tracker:list")


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
            for key in self.delisted:
                aggregate.entries.pop(key, None)

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
        for snapshot in reversed(self.snapshots):
            if snapshot["observed"] == observed.isoformat():
                found: dict[str, Any] = snapshot
                return found
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


# Stores written before the list readers became a package name the series by its old module.
OLD_TOPICS = {
    "events_log.ofac:SnapshotSeries": SnapshotSeries,
    "events_log.ofac:SnapshotSeries.Started": SnapshotSeries.Started,
    "events_log.ofac:SnapshotSeries.SnapshotRecorded": SnapshotSeries.SnapshotRecorded,
}
for _topic, _cls in OLD_TOPICS.items():
    register_topic(_topic, _cls)


def series_id(list_name: str) -> UUID:
    return uuid5(_SERIES_NAMESPACE, list_name)


def load_series(app: SanctionsApp, list_name: str) -> SnapshotSeries:
    """The list's series as on record, or a new empty one."""
    try:
        series: Any = app.repository.get(series_id(list_name))
    except AggregateNotFoundError:
        return SnapshotSeries.start(list_name)
    assert isinstance(series, SnapshotSeries)
    return series
