"""The status timeline: every entity's status over effective time, materialised in tables.

The fold (``projections.views``) is the reference: it reads one entity's events and
computes its status at a cut. The timeline stores the same answers ahead of time, so that
"every entity as of D" is a few SQL look-ups instead of a pass over the whole log.

Status is piecewise constant in effective time: the rules of ``domain.status`` compare a
cut ``c`` only with ``x < c`` or ``x >= c`` for the earliest and latest days ``x`` of the
record's transitions, so the answer can change only at cuts ``x + 1``. For each entity the
projection folds its believed record, evaluates the fold's own functions once per segment
between those cuts, and stores the segments:

``timeline_entities``  name, first log position, and what the status output shows
                       besides states, as JSON (kind, country, aliases, identifiers,
                       measures' authority, program and dates, requests, negotiations,
                       activities and changes, each with its date)
``timeline_status``    entity status: ``[cut_from, cut_until)``, status, possible statuses
``timeline_states``    each measure's state: ``[cut_from, cut_until)``, state (or
                       ``uncertain``), possible states; segments where the measure surely
                       is not imposed yet are left out

"Every entity as of D" reads one status row per entity (``cut_from <= c < cut_until``)
and the state rows of the measures that may be imposed at ``c``; the annotations are
picked from the JSON by the same functions the fold uses.

A projection follows the event log with a tracked position (the library's tracking
recorders: ``SQLiteTrackingRecorder``, ``PostgresTrackingRecorder``). When an event of
entity E arrives, E's rows are recomputed from E's believed record and replaced, in the
same transaction as the tracking position: corrections and retractions are handled, and
processing a notification twice changes nothing. The tracking upsert refuses to go
backwards, so of two processes catching up at once only one commits a page.

SQLite has no subscription: after each successful write (``SanctionsApp.followers``) and
before each read, the projection pages the log from its tracked position ("catch-up"), so
a store written by an older version or by a crashed process is brought up to date. On
PostgreSQL the same catch-up runs, and the library's ``ProjectionRunner`` can follow the
log in a thread as well (``runner``). ``rebuild`` drops the rows and the position and
catches up from the start.

Views that filter the log (``--recorded-by``, ``--reported-by``) are not materialised:
they keep using the fold.
"""

from __future__ import annotations

import json
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast

import attrs
from eventsourcing.persistence import (
    IntegrityError,
    Notification,
    PersistenceError,
    StoredEvent,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteCursor, SQLiteFactory, SQLiteTrackingRecorder
from eventsourcing.utils import resolve_topic

from domain.dates import DateInterval
from domain.entity import Entity, to_recorded
from domain.record import (
    ACTIVITY_REPORTED,
    DELISTING_REQUESTED,
    NEGOTIATION_MENTIONED,
    SANCTION_IMPOSED,
    EntityRecord,
    MeasureRecord,
    Recorded,
    RequestRecord,
    Source,
)
from domain.status import (
    ALWAYS,
    NEVER,
    Chain,
    MeasureAt,
    MeasureState,
    Status,
    StatusAt,
    entity_statuses,
    first_day,
    happened_by,
    headline,
    last_day,
    measure_at,
    pending_requests,
)
from events_log.app import ENTITY_TOPIC_PREFIX, SanctionsApp
from events_log.store import StoreConfig, StoreError
from projections.views import CHANGES, EntityView, Horizon, as_of_bounds, effective_key, record_of

NAME = "Timeline"
PAGE = 10_000  # notifications per catch-up transaction
FIRST_CUT = ALWAYS + 1  # stands for every cut before the first breakpoint
LAST_CUT = NEVER + 1  # exclusive end of the last segment
SEPARATOR = "|"

# What the timeline does not store: the status output never shows it.
_NOT_STORED = Source(title="(not stored in the timeline: see history)")
_NO_TIME = datetime.min.replace(tzinfo=UTC)
_NOT_IMPOSED = frozenset({MeasureState.NOT_IMPOSED})
_NO_CHAIN = Chain(events=(), states=(), earliest=(), latest=())  # rows read back have none


# -- rows ---------------------------------------------------------------------------------


@attrs.frozen
class EntityRows:
    """Everything the timeline holds for one entity, computed from its believed record."""

    entity_id: str
    name: str
    display: str  # JSON: what the status output shows besides states (see ``_display``)
    status: list[tuple[Any, ...]]  # cut_from, cut_until, status, possible
    states: list[tuple[Any, ...]]  # measure_id, cut_from, cut_until, state, possible


def _cuts(values: Iterable[int]) -> list[int]:
    """The cuts at which a comparison with one of these day ordinals can change."""
    return sorted({v + 1 for v in values if ALWAYS < v < NEVER})


def _segments(breaks: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """``(cut_from, cut_until, representative cut)`` for each segment between breaks."""
    starts = [ALWAYS, *breaks]
    ends = [*breaks, LAST_CUT]
    for start, end in zip(starts, ends, strict=True):
        yield start, end, max(start, FIRST_CUT)


def _merge(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Join neighbouring segments ``(from, until, *answer)`` with the same answer."""
    merged: list[tuple[Any, ...]] = []
    for row in rows:
        if merged and merged[-1][2:] == row[2:] and merged[-1][1] == row[0]:
            merged[-1] = (merged[-1][0], row[1], *row[2:])
        else:
            merged.append(row)
    return merged


def _date_json(interval: DateInterval | None) -> list[Any] | None:
    if interval is None:
        return None
    return [
        interval.text,
        None if interval.start is None else interval.start.isoformat(),
        None if interval.until is None else interval.until.isoformat(),
        interval.how,
    ]


def _date_from_json(data: Sequence[Any] | None) -> DateInterval | None:
    if data is None:
        return None
    text, start, until, how = data
    return DateInterval(
        text=text,
        start=None if start is None else date.fromisoformat(start),
        until=None if until is None else date.fromisoformat(until),
        how=how,
    )


def _display(record: EntityRecord) -> str:
    """The entity's head, measures and annotations, as the status output shows them."""
    return json.dumps(
        {
            "kind": record.kind,
            "country": record.country,
            "aliases": record.aliases,
            "identifiers": record.identifiers,
            "measures": [
                [
                    m.measure_id,
                    m.authority,
                    m.program,
                    _date_json(m.imposition.effective),
                    _date_json(m.ending.effective) if m.ending else None,
                ]
                for m in record.measures
            ],
            "requests": [
                [
                    r.request.event_id,
                    _date_json(r.request.effective),
                    r.request.get("requested_by"),
                    r.request.get("forum"),
                    None if r.decision is None else [_date_json(r.decision.effective)],
                ]
                for r in record.requests
            ],
            "negotiations": [
                [e.event_id, _date_json(e.effective), e.get("forum"), e.get("summary")]
                for e in record.negotiations
            ],
            "activities": [
                [e.event_id, _date_json(e.effective), e.get("summary")] for e in record.activities
            ],
            "changes": [
                [e.event_id, e.type, _date_json(e.effective), e.get("measure_id"), e.version]
                for e in record.facts
                if e.type in CHANGES
            ],
        },
        separators=(",", ":"),
    )


def entity_rows(record: EntityRecord) -> EntityRows:
    """The timeline rows of one entity: the fold's answers, once per segment of cuts."""
    chains = [Chain.of(m.chain()) for m in record.measures]
    states: list[tuple[Any, ...]] = []
    # Each measure's state per segment of its own breakpoints, kept for the entity status.
    per_measure: list[list[tuple[int, MeasureAt]]] = []
    for measure, chain in zip(record.measures, chains, strict=True):
        segments: list[tuple[int, MeasureAt]] = []
        rows: list[tuple[Any, ...]] = []
        for start, end, cut in _segments(_cuts((*chain.earliest, *chain.latest))):
            state = measure_at(measure, cut, chain)
            segments.append((end, state))
            if state.possible == _NOT_IMPOSED:
                continue
            rows.append((start, end, state.state, SEPARATOR.join(state.sorted_possible())))
        per_measure.append(segments)
        states += [(measure.measure_id, *row) for row in _merge(rows)]
    status_rows: list[tuple[Any, ...]] = []
    breaks = _cuts(v for c in chains for v in (*c.earliest, *c.latest))
    pointers = [0] * len(per_measure)
    for start, end, cut in _segments(breaks):
        at = []
        for number, segments in enumerate(per_measure):
            while segments[pointers[number]][0] <= cut:
                pointers[number] += 1
            at.append(segments[pointers[number]][1])
        status, possible = headline(entity_statuses(at, cut))
        status_rows.append((start, end, status.value, SEPARATOR.join(possible)))
    return EntityRows(record.entity_id, record.name, _display(record), _merge(status_rows), states)


# -- decoding stored events ---------------------------------------------------------------

_ENVELOPE = frozenset(
    {"timestamp", "originator_topic", "event_id", "effective", "source", "correlation_id"}
)
_TYPES: dict[str, str] = {}
_INTERVALS: dict[tuple[Any, ...], DateInterval] = {}


def _event_type(topic: str) -> str:
    found = _TYPES.get(topic)
    if found is None:
        found = _TYPES[topic] = resolve_topic(topic).TYPE
    return found


def _interval(data: Mapping[str, Any] | None) -> DateInterval | None:
    if data is None:
        return None
    inner = data["_data_"]
    key = (inner["text"], inner["from"], inner["until"], inner.get("how", ""))
    found = _INTERVALS.get(key)
    if found is None:
        if len(_INTERVALS) > 10_000:
            _INTERVALS.clear()
        found = _INTERVALS[key] = DateInterval(
            text=key[0],
            start=None if key[1] is None else date.fromisoformat(key[1]),
            until=None if key[2] is None else date.fromisoformat(key[2]),
            how=key[3],
        )
    return found


def decode_stored(stored: StoredEvent, position: int | None = None) -> Recorded:
    """What the status rules read of a stored entity event, without the event class.

    The source and the record time are not decoded (the status rules do not read them):
    this is the projection's fast path; the property tests hold it to the fold's answers.
    """
    data = json.loads(stored.state)
    fields = {k: v for k, v in data.items() if k not in _ENVELOPE}
    changes = fields.get("changes")
    if changes and "effective" in changes:
        fields["changes"] = {**changes, "effective": _interval(changes["effective"])}
    return Recorded(
        type=_event_type(stored.topic),
        event_id=data["event_id"],
        entity_id=str(stored.originator_id),
        effective=_interval(data["effective"]),
        source=_NOT_STORED,
        recorded_at=_NO_TIME,
        fields=fields,
        correlation_id=data["correlation_id"],
        position=position,
        version=stored.originator_version,
    )


# -- the view: tables with a tracked position ---------------------------------------------

_TABLES = ("timeline_entities", "timeline_status", "timeline_states")
_COLUMNS = {
    "timeline_entities": (
        "entity_id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, "
        "first_position BIGINT NOT NULL, display TEXT NOT NULL"
    ),
    "timeline_status": (
        "entity_id TEXT NOT NULL, cut_from BIGINT NOT NULL, cut_until BIGINT NOT NULL, "
        "status TEXT NOT NULL, possible TEXT NOT NULL, PRIMARY KEY (entity_id, cut_from)"
    ),
    "timeline_states": (
        "entity_id TEXT NOT NULL, measure_id TEXT NOT NULL, cut_from BIGINT NOT NULL, "
        "cut_until BIGINT NOT NULL, state TEXT NOT NULL, possible TEXT NOT NULL, "
        "PRIMARY KEY (entity_id, measure_id, cut_from)"
    ),
}


class TimelineView(TrackingRecorder, ABC):
    """The timeline tables, written in the same transaction as the tracked position."""

    mark: ClassVar[str] = "?"  # the driver's parameter placeholder
    without_rowid: ClassVar[str] = ""

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ({columns}){self.without_rowid}"
            for table, columns in _COLUMNS.items()
        ]

    @abstractmethod
    def create_table(self) -> None:
        """Create the tracking table and the timeline tables if they do not exist."""

    @abstractmethod
    def _transaction(self, *, commit: bool) -> Any:
        """A context manager giving a cursor in one transaction."""

    @abstractmethod
    def _write_tracking(self, cursor: Any, tracking: Tracking) -> None:
        """Advance the tracked position; raise IntegrityError if it would not advance."""

    @abstractmethod
    def _delete_tracking(self, cursor: Any, application_name: str) -> None:
        """Forget the tracked position."""

    def replace(
        self,
        rows: Sequence[EntityRows],
        tracking: Tracking,
        first_positions: Mapping[str, int],
        gone: Sequence[str] = (),
        fresh: Set[str] = frozenset(),
    ) -> None:
        """Replace the rows of these entities and advance the position, in one transaction.

        ``fresh`` entities have their first event in this transaction: no rows to delete.
        """
        m = self.mark
        with self._transaction(commit=True) as cursor:
            ids = [(r.entity_id,) for r in rows if r.entity_id not in fresh]
            ids += [(g,) for g in gone]
            for table in _TABLES:
                if ids:
                    cursor.executemany(f"DELETE FROM {table} WHERE entity_id = {m}", ids)
            cursor.executemany(
                f"INSERT INTO timeline_entities VALUES ({m}, {m}, {m}, {m})",
                [
                    (r.entity_id, r.name, first_positions.get(r.entity_id, 0), r.display)
                    for r in rows
                ],
            )
            cursor.executemany(
                f"INSERT INTO timeline_status VALUES ({m}, {m}, {m}, {m}, {m})",
                [(r.entity_id, *row) for r in rows for row in r.status],
            )
            cursor.executemany(
                f"INSERT INTO timeline_states VALUES ({m}, {m}, {m}, {m}, {m}, {m})",
                [(r.entity_id, *row) for r in rows for row in r.states],
            )
            self._write_tracking(cursor, tracking)

    def first_positions(self, entity_ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._transaction(commit=False) as cursor:
            for entity_id in entity_ids:
                cursor.execute(
                    f"SELECT first_position FROM timeline_entities WHERE entity_id = {self.mark}",
                    (entity_id,),
                )
                row = cursor.fetchone()
                if row is not None:
                    found[entity_id] = row["first_position"]
        return found

    def reset(self, application_name: str) -> None:
        """Drop the tables (so a new layout takes effect) and the tracked position."""
        with self._transaction(commit=True) as cursor:
            for table in _TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in self.create_statements():
                cursor.execute(statement)
            self._delete_tracking(cursor, application_name)

    def select(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows as tuples (``?`` marks the parameters, whatever the driver)."""
        with self._transaction(commit=False) as cursor:
            return self._fetch(cursor, statement.replace("?", self.mark), params)

    def _fetch(self, cursor: Any, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor.execute(statement, params)
        return [tuple(row.values()) for row in cursor.fetchall()]


class SQLiteTimelineView(SQLiteTrackingRecorder, TimelineView):
    without_rowid = " WITHOUT ROWID"

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.create_statements()]

    def _transaction(self, *, commit: bool) -> Any:
        return self.datastore.transaction(commit=commit)

    def _write_tracking(self, cursor: Any, tracking: Tracking) -> None:
        self._insert_tracking(cast(SQLiteCursor, cursor), tracking)

    def _delete_tracking(self, cursor: Any, application_name: str) -> None:
        cursor.execute("DELETE FROM tracking WHERE application_name = ?", (application_name,))

    def _fetch(self, cursor: Any, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        plain = cast(SQLiteCursor, cursor).sqlite_cursor
        plain.row_factory = None  # tuples: the library's sqlite3.Row costs here
        plain.execute(statement, params)
        return plain.fetchall()


def _postgres_view_class() -> type[TimelineView]:
    """The PostgreSQL view (imported only when a PostgreSQL store is used)."""
    from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
    from psycopg.sql import SQL, Identifier

    class PostgresTimelineView(PostgresTrackingRecorder, TimelineView):
        mark = "%s"

        def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
            super().__init__(datastore, **kwargs)
            for statement in self.create_statements():
                self.sql_create_statements.append(SQL(statement))  # type: ignore[arg-type]

        def _transaction(self, *, commit: bool) -> Any:
            return self.datastore.transaction(commit=commit)

        def _write_tracking(self, cursor: Any, tracking: Tracking) -> None:
            self._insert_tracking(cursor, tracking)

        def _delete_tracking(self, cursor: Any, application_name: str) -> None:
            cursor.execute(
                SQL("DELETE FROM {0}.{1} WHERE application_name = %s").format(
                    Identifier(self.datastore.schema), Identifier(self.tracking_table_name)
                ),
                (application_name,),
            )

    return PostgresTimelineView


_VIEWS: weakref.WeakKeyDictionary[SanctionsApp, TimelineView] = weakref.WeakKeyDictionary()


def timeline_view(app: SanctionsApp) -> TimelineView:
    """The app's timeline view, on the app's own datastore (created on first use)."""
    view = _VIEWS.get(app)
    if view is not None:
        return view
    factory: Any = app.factory
    if isinstance(factory, SQLiteFactory):
        view = SQLiteTimelineView(datastore=factory.datastore)
    else:
        view_class: Any = _postgres_view_class()
        view = cast(
            TimelineView,
            view_class(datastore=factory.datastore, tracking_table_name=f"{NAME.lower()}_tracking"),
        )
    view.create_table()
    _VIEWS[app] = view
    return view


# -- the projection -----------------------------------------------------------------------


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
        events = [to_recorded(e) for e in app.events.get(domain_event.originator_id, lte=version)]  # type: ignore[arg-type]
        firsts = {entity_id: tracking.notification_id} if version == 1 else None
        self._replace({entity_id: events}, tracking, firsts)

    def process(self, notifications: Sequence[Notification]) -> None:
        """Project a page of notifications in one transaction with its last position."""
        app = self._app()
        grouped: dict[str, list[Notification]] = {}
        for notification in notifications:
            if notification.topic.startswith(ENTITY_TOPIC_PREFIX):
                grouped.setdefault(str(notification.originator_id), []).append(notification)
        histories: dict[str, list[Recorded]] = {}
        firsts: dict[str, int] = {}
        fast = app.mapper.cipher is None and app.mapper.compressor is None
        for entity_id, items in grouped.items():
            if items[0].originator_version == 1:
                # The page holds the entity's whole history up to its last event here.
                firsts[entity_id] = items[0].id
                stored: Sequence[StoredEvent] = items
            else:
                stored = app.recorder.select_events(
                    items[0].originator_id, lte=items[-1].originator_version
                )
            if fast:
                histories[entity_id] = [decode_stored(e) for e in stored]
            else:
                events: Any = [app.mapper.to_domain_event(e) for e in stored]
                histories[entity_id] = [to_recorded(e) for e in events]
        self._replace(histories, Tracking(app.name, notifications[-1].id), firsts)

    def _replace(
        self,
        histories: Mapping[str, list[Recorded]],
        tracking: Tracking,
        firsts: Mapping[str, int] | None,
    ) -> None:
        rows = []
        gone = []
        for entity_id, events in histories.items():
            record = record_of(entity_id, events, Horizon())
            if record.name:
                rows.append(entity_rows(record))
            else:
                gone.append(entity_id)
        known = dict(firsts or {})
        missing = [r.entity_id for r in rows if r.entity_id not in known]
        if missing:
            known.update(self.view.first_positions(missing))
        self.view.replace(rows, tracking, known, gone, fresh=set(firsts or ()))


def catch_up(app: SanctionsApp, page: int = PAGE) -> int:
    """Project every notification after the tracked position; returns how many.

    Stops without error when another process advanced the position first: its rows
    already cover what this one would have written, and the next call goes on from there.
    """
    view = timeline_view(app)
    projection = TimelineProjection(view, app)
    position = view.max_tracking_id(app.name) or 0
    done = 0
    while True:
        notifications = app.recorder.select_notifications(start=position + 1, limit=page)
        if not notifications:
            return done
        try:
            projection.process(notifications)
        except IntegrityError:
            return done
        done += len(notifications)
        position = notifications[-1].id


def rebuild(app: SanctionsApp, page: int = PAGE) -> int:
    """Drop the timeline and project the whole log again; returns notifications read."""
    timeline_view(app).reset(app.name)
    return catch_up(app, page)


def follow(app: SanctionsApp) -> None:
    """Catch up after a write. A failure here loses nothing: the next read catches up."""
    try:
        catch_up(app)
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
        view_class=_postgres_view_class(),
        env=dict(store.env),
    )


# -- reading ------------------------------------------------------------------------------


@attrs.frozen
class EntityStatus:
    """One entity's headline status at the end and at the start of an as-of period."""

    entity_id: str
    status: str
    possible_statuses: list[str]
    status_at_start: str
    possible_statuses_at_start: list[str]


def statuses(app: SanctionsApp, as_of: DateInterval) -> dict[str, EntityStatus]:
    """Every entity's status over an as-of period, from two look-ups of the timeline."""
    catch_up(app)
    start, end = as_of_bounds(as_of)
    return _statuses(timeline_view(app), start, end)


def _statuses(view: TimelineView, start: int, end: int) -> dict[str, EntityStatus]:
    """One scan: the segments that meet ``[start, end]`` hold both answers."""
    rows = view.select(
        "SELECT entity_id, cut_from, cut_until, status, possible FROM timeline_status "
        "WHERE cut_from <= ? AND cut_until > ?",
        (end, start),
    )
    at_start: dict[str, tuple[str, str]] = {}
    at_end: dict[str, tuple[str, str]] = {}
    for entity_id, cut_from, cut_until, status, possible in rows:
        if cut_from <= start:
            at_start[entity_id] = (status, possible)
        if cut_until > end:
            at_end[entity_id] = (status, possible)
    found = {}
    for entity_id, (status, possible) in at_end.items():
        before, before_possible = at_start[entity_id]
        found[entity_id] = EntityStatus(
            entity_id,
            status,
            possible.split(SEPARATOR),
            before,
            before_possible.split(SEPARATOR),
        )
    return found


def views(app: SanctionsApp, as_of: DateInterval) -> list[EntityView]:
    """Every entity's view over an as-of period, sorted by name, as the fold gives it."""
    catch_up(app)
    view = timeline_view(app)
    start, end = as_of_bounds(as_of)
    heads = sorted(
        view.select("SELECT entity_id, name, first_position, display FROM timeline_entities"),
        key=lambda h: (h[1].casefold(), h[2]),
    )
    status = {cut: _status_rows(view, cut) for cut in (start, end)}
    states = {cut: _state_rows(view, cut) for cut in (start, end)}
    result = []
    for entity_id, name, _, display in heads:
        shown = json.loads(display)
        record = EntityRecord(
            entity_id=entity_id,
            name=name,
            kind=shown["kind"],
            country=shown["country"],
            aliases=tuple(shown["aliases"]),
            identifiers=tuple(shown["identifiers"]),
            measures=(),
            requests=(),
            negotiations=(),
            activities=(),
            facts=(),
        )
        measures = {
            m[0]: MeasureRecord(
                _recorded(
                    SANCTION_IMPOSED,
                    m[0],
                    entity_id,
                    _date_from_json(m[3]),
                    {"authority": m[1], "program": m[2]},
                ),
                (),
                None if m[4] is None else _recorded("", "", entity_id, _date_from_json(m[4]), {}),
            )
            for m in shown["measures"]
        }
        order = list(measures)
        requests = [
            RequestRecord(
                _recorded(
                    DELISTING_REQUESTED,
                    r[0],
                    entity_id,
                    _date_from_json(r[1]),
                    {"requested_by": r[2], "forum": r[3]},
                ),
                None
                if r[4] is None
                else _recorded("", "", entity_id, _date_from_json(r[4][0]), {}),
            )
            for r in shown["requests"]
        ]
        negotiations = [
            _recorded(
                NEGOTIATION_MENTIONED,
                n[0],
                entity_id,
                _date_from_json(n[1]),
                {"forum": n[2], "summary": n[3]},
            )
            for n in shown["negotiations"]
        ]
        activities = [
            _recorded(ACTIVITY_REPORTED, a[0], entity_id, _date_from_json(a[1]), {"summary": a[2]})
            for a in shown["activities"]
        ]
        at = {}
        for cut in (start, end):
            value, possible = status[cut][entity_id]
            found = states[cut].get(entity_id, {})
            at[cut] = StatusAt(
                record=record,
                cut=cut,
                status=Status(value),
                possible_statuses=possible,
                measures=[
                    MeasureAt(measure=measures[i], possible=found[i], chain=_NO_CHAIN)
                    for i in order
                    if i in found
                ],
                pending_requests=pending_requests(requests, cut),
                negotiations=happened_by(negotiations, cut),
                activities=happened_by(activities, cut),
            )
        changes = []
        for event_id, type_, effective, measure_id, version in shown["changes"]:
            interval = _date_from_json(effective)
            if first_day(interval) < end and last_day(interval) >= start:
                fields = {} if measure_id is None else {"measure_id": measure_id}
                changes.append(_recorded(type_, event_id, entity_id, interval, fields, version))
        result.append(EntityView(record, at[end], at[start], sorted(changes, key=effective_key)))
    return result


def _status_rows(view: TimelineView, cut: int) -> dict[str, tuple[str, list[str]]]:
    rows = view.select(
        "SELECT entity_id, status, possible FROM timeline_status "
        "WHERE cut_from <= ? AND cut_until > ?",
        (cut, cut),
    )
    return {r[0]: (r[1], r[2].split(SEPARATOR)) for r in rows}


def _state_rows(view: TimelineView, cut: int) -> dict[str, dict[str, frozenset[MeasureState]]]:
    rows = view.select(
        "SELECT entity_id, measure_id, possible FROM timeline_states "
        "WHERE cut_from <= ? AND cut_until > ?",
        (cut, cut),
    )
    found: dict[str, dict[str, frozenset[MeasureState]]] = {}
    for entity_id, measure_id, possible in rows:
        found.setdefault(entity_id, {})[measure_id] = frozenset(
            MeasureState(s) for s in possible.split(SEPARATOR)
        )
    return found


def _recorded(
    type_: str,
    event_id: str,
    entity_id: str,
    effective: DateInterval | None,
    fields: dict[str, Any],
    version: int | None = None,
) -> Recorded:
    return Recorded(
        type=type_,
        event_id=event_id,
        entity_id=entity_id,
        effective=effective,
        source=_NOT_STORED,
        recorded_at=_NO_TIME,
        fields=fields,
        version=version,
    )


__all__ = [
    "EntityStatus",
    "TimelineProjection",
    "TimelineView",
    "catch_up",
    "rebuild",
    "statuses",
    "views",
]
