"""The projection: an entity's rows recomputed whenever one of its events arrives, and
catch-up, which pages the log from the tracked position.

When an event of entity E arrives, E's rows are recomputed from E's believed record and
replaced, in the same transaction as the tracking position: corrections and retractions
are handled, and processing a notification twice changes nothing.

SQLite has no subscription: after each successful write (``SanctionsApp.followers``) and
before each read, the projection catches up, so a store written by an older version or by
a crashed process is brought up to date. On PostgreSQL the same catch-up runs, and the
library's ``ProjectionRunner`` can follow the log in a thread as well (``runner``).
``rebuild`` projects the whole log again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    Notification,
    PersistenceError,
    StoredEvent,
    Tracking,
)
from eventsourcing.projection import Projection

from domain.entity import Entity, to_recorded
from domain.record import Recorded
from events_log.app import (
    ENTITY_TOPIC_PREFIX,
    LINK_TOPICS,  # links leave each entity's rows as they are: they go to the stored links
    SanctionsApp,
)
from events_log.compression import readable_states
from events_log.store import StoreConfig, StoreError
from projections.timeline import bulk, links
from projections.timeline.bulk import WORKERS, in_key_order, project_in_key_order
from projections.timeline.decode import Entry, decode_entry, read_page
from projections.timeline.segments import rows_of
from projections.timeline.sqlite_view import SQLiteTimelineView
from projections.timeline.tables import (
    NAME,
    TimelineView,
    postgres_view_class,
    timeline_view,
)

PAGE = 10_000  # notifications per catch-up transaction


class TimelineProjection(Projection[TimelineView]):
    """Recomputes an entity's rows whenever one of its events arrives.

    ``process_event`` is the library's one-event-at-a-time interface (used by the
    ``ProjectionRunner``); ``process`` takes a page of notifications at once and folds each
    entity once per page (used by catch-up and rebuild).
    """

    name = NAME

    def __init__(self, view: TimelineView, app: SanctionsApp | None = None) -> None:
        super().__init__(view)
        self.app = app

    def _app(self) -> SanctionsApp:
        assert self.app is not None, "the projection needs the app to read entity histories"
        return self.app

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        app = self._app()
        if not isinstance(domain_event, Entity.Fact):
            self.view.insert_tracking(tracking)
            return
        entity_id = str(domain_event.originator_id)
        version = domain_event.originator_version
        if isinstance(domain_event, Entity.EntitiesLinked | Entity.EntitiesUnlinked):
            half = to_recorded(domain_event, position=tracking.notification_id)
            self._replace({}, tracking, None, [half])
            return
        events = [to_recorded(e) for e in app.events.get(domain_event.originator_id, lte=version)]  # type: ignore[arg-type]
        firsts = {entity_id: tracking.notification_id} if version == 1 else None
        self._replace({entity_id: events}, tracking, firsts)

    def process(self, notifications: Sequence[Notification]) -> None:
        """Project a page of notifications in one transaction with its last position."""
        self.process_entries(
            [
                (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
                for n in notifications
            ]
        )

    def process_entries(self, entries: Sequence[Entry]) -> None:
        """Project a page of log entries (``read_page``) in one transaction with its last
        position."""
        app = self._app()
        grouped: dict[str, list[Entry]] = {}
        link_events: list[Recorded] = []
        prefix = ENTITY_TOPIC_PREFIX
        for entry in entries:
            if entry[3] in LINK_TOPICS:
                link_events.append(links.link_event(app, *entry))
            elif entry[3].startswith(prefix):
                items = grouped.get(entry[1])
                if items is None:
                    grouped[entry[1]] = [entry]
                else:
                    items.append(entry)
        histories: dict[str, list[Recorded]] = {}
        firsts: dict[str, int] = {}
        fast = readable_states(app.mapper)
        for entity_id, items in grouped.items():
            if items[0][2] == 1:
                # The page holds the entity's whole history up to its last event here.
                firsts[entity_id] = items[0][0]
                stored = [(topic, state, version) for _, _, version, topic, state in items]
            else:
                stored = [
                    (e.topic, e.state, e.originator_version)
                    for e in app.recorder.select_events(UUID(entity_id), lte=items[-1][2])
                ]
            if fast:
                histories[entity_id] = [
                    decode_entry(topic, state, entity_id, version)
                    for topic, state, version in stored
                ]
            else:
                events: Any = [
                    app.mapper.to_domain_event(
                        StoredEvent(
                            originator_id=UUID(entity_id),
                            originator_version=version,
                            topic=topic,
                            state=state,
                        )
                    )
                    for topic, state, version in stored
                ]
                histories[entity_id] = [to_recorded(e) for e in events]
        self._replace(histories, Tracking(app.name, entries[-1][0]), firsts, link_events)

    def _replace(
        self,
        histories: Mapping[str, list[Recorded]],
        tracking: Tracking,
        firsts: Mapping[str, int] | None,
        link_events: Sequence[Recorded] = (),
    ) -> None:
        rows, gone = rows_of(histories)
        known = dict(firsts or {})
        missing = [r.entity_id for r in rows if r.entity_id not in known]
        if missing:
            known.update(self.view.first_positions(missing))
        fresh = set(firsts or ())
        self.view.replace(rows, tracking, known, gone, fresh, link_events)


def catch_up(app: SanctionsApp, page: int = PAGE, workers: int = WORKERS) -> int:
    """Project every notification after the tracked position; returns how many.

    Stops without error when another process advanced the position first: its rows
    already cover what this one would have written, and the next call goes on from there.
    A long backlog on SQLite is projected in key order instead (``project_in_key_order``).
    """
    view = timeline_view(app)
    projection = TimelineProjection(view, app)
    position = view.max_tracking_id(app.name) or 0
    if isinstance(view, SQLiteTimelineView):
        end = app.max_position()
        if in_key_order(end - position, end):
            return project_in_key_order(app, position, end, workers)
    done = 0
    while True:
        entries = read_page(app, position + 1, page)
        if not entries:
            return done
        try:
            projection.process_entries(entries)
        except IntegrityError:
            return done
        done += len(entries)
        position = entries[-1][0]


def rebuild(app: SanctionsApp, page: int = PAGE, workers: int = WORKERS) -> int:
    """Drop the timeline and project the whole log again; returns notifications read.

    A long log on SQLite, with the tables in the current layout, is projected in key order
    over the rows there, each span of entity ids replaced whole: the same rows as after
    dropping the tables, without the cost of dropping them.
    """
    view = timeline_view(app)
    end = app.max_position()
    long_log = end >= bulk.BULK_BACKLOG
    if isinstance(view, SQLiteTimelineView) and long_log and view.layout_is_current():
        view.forget(app.name)
        return project_in_key_order(app, 0, end, workers)
    view.reset(app.name)
    return catch_up(app, page, workers=workers)


# -- a long backlog, in key order (SQLite) ------------------------------------------------
#
# Rows keyed by random entity ids, written page by page of the log, land all over tables
# that soon outgrow the page cache: each entity's rows cost a few page writes. A backlog
# that is a good part of the log (a rebuild, a large import) is instead projected entity
# by entity in key order: the entities with entries in the backlog, each with its whole
# history up to the backlog's end, their rows replaced in key order. The tracked position
# moves once, at the end; until then a crash or a concurrent catch-up leaves rows that a
# later catch-up replaces (every entity's rows are deleted before they are written).
def follow(app: SanctionsApp, workers: int = WORKERS) -> None:
    """Catch up after a write. A failure here loses nothing: the next read catches up."""
    try:
        catch_up(app, workers=workers)
    except PersistenceError:
        return


SanctionsApp.followers.append(follow)


class FollowedApp(SanctionsApp):
    """The app as the library's ProjectionRunner constructs it: from an env mapping."""

    name = SanctionsApp.name  # the same log, the same tracked application name

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        settings = dict(env or {})
        module = settings.get("PERSISTENCE_MODULE", "")
        kind = "postgresql" if module.endswith("postgres") else "sqlite"
        super().__init__(StoreConfig(kind=kind, env=settings, display=f"({kind} store)"))


def runner(store: StoreConfig) -> Any:
    """The library's ``ProjectionRunner`` following a PostgreSQL log (LISTEN/NOTIFY).

    It projects in a thread as events are recorded, into the same tables and tracked
    position as catch-up; use it as a context manager, and ``wait(position)`` to block
    until a position is projected. SQLite has no subscription: there, catch-up does it.
    """
    from eventsourcing.projection import ProjectionRunner

    if store.kind != "postgresql":
        msg = f"the projection runner needs a PostgreSQL store, not {store.kind}"
        raise StoreError(msg)
    reader = FollowedApp(store.env)

    class FollowingProjection(TimelineProjection):
        name = NAME

        def __init__(self, view: TimelineView) -> None:
            super().__init__(view, reader)

    return ProjectionRunner(
        application_class=FollowedApp,
        projection_class=FollowingProjection,
        view_class=postgres_view_class(),
        env=dict(store.env),
    )


# -- reading ------------------------------------------------------------------------------
