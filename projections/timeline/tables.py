"""The timeline's tables and their SQL, written in one transaction with a tracked position.

``timeline_entities``  name, first log position, what the status output shows besides
                       states (``display``, compressed: ``display.encode_display``),
                       whether a stored link names the entity (``linked``), and the name
                       casefolded (``sort_key``); indexed in the all-entity answers' order,
                       the linked apart (``ORDER``)
``timeline_status``    entity status: ``[cut_from, cut_until)``, status, possible statuses
``timeline_states``    each measure's state: ``[cut_from, cut_until)``, state (or
                       ``uncertain``), possible states; segments where the measure surely
                       is not imposed yet are left out
``timeline_links``     the links in force, a row per pair linked directly (``links``)
                       (indexed by its second entity too)
``timeline_parties``, ``timeline_party_members``, ``timeline_party_status``
                       each linked party's members, sources, links and status, made of
                       the rows above (``party_rows``); kept in SQLite alone, where the
                       all-entity answers read them (``keeps_parties``)

The SQLite view and the PostgreSQL view each have a module of their own
(``sqlite_view``, ``postgres_view``).

The library's tracking recorders keep the position (``SQLiteTrackingRecorder``,
``PostgresTrackingRecorder``); its upsert refuses to go backwards, so of two processes
catching up at once only one commits a page.
"""

from __future__ import annotations

import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence, Set
from typing import Any, ClassVar, cast

from eventsourcing.persistence import PersistenceError, Tracking, TrackingRecorder
from eventsourcing.sqlite import SQLiteFactory

from domain.record import Recorded
from events_log.app import SanctionsApp
from events_log.schema import create_tables, version_of
from events_log.store import META_TABLE, StoreError, is_read_only
from projections.timeline import links, party_rows
from projections.timeline.display import DISPLAY_FORMAT, FIELDS
from projections.timeline.segments import EntityRows

NAME = "Timeline"
LAYOUT_MARKER = "timeline_layout"  # in the store's meta table: the tables' version

ROWS = ("timeline_entities", "timeline_status", "timeline_states")  # by entity
# the all-entity answers' order (``all_rows``): the linked entities apart, then by name
ORDER = (
    "CREATE INDEX IF NOT EXISTS timeline_entities_order "
    "ON timeline_entities (linked, sort_key, first_position)"
)
TABLES = (*ROWS, links.TABLE, *party_rows.COLUMNS)
_COLUMNS = {
    "timeline_entities": (
        "entity_id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, "
        "first_position BIGINT NOT NULL, display {blob} NOT NULL, linked BOOLEAN NOT NULL, "
        "sort_key TEXT NOT NULL"
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
    links.TABLE: links.COLUMNS,
}


class TimelineView(TrackingRecorder, ABC):
    """The timeline tables, written in the same transaction as the tracked position."""

    mark: ClassVar[str] = "?"  # the driver's parameter placeholder
    without_rowid: ClassVar[str] = ""
    blob: ClassVar[str] = "BLOB"  # the driver's type for bytes
    keeps_parties: ClassVar[bool] = False  # whether the parties' rows are kept here

    def create_statements(self) -> list[str]:
        """The tables' statements, then their indexes'."""
        parties = [party_rows.INDEX] if self.keeps_parties else []
        return [*self.table_statements(), ORDER, links.INDEX, *parties]

    def table_statements(self) -> list[str]:
        """The tables' statements alone, for the library's ``create_table``: run on tables
        of an older layout (which ``ensure_layout`` then remakes), an index on a column
        they lack would fail."""
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ({columns}){self.suffix(table)}"
            for table, columns in self.columns().items()
        ]

    def insert_entities(self, cursor: Any, entities: Sequence[tuple[Any, ...]]) -> None:
        """Insert these entities' rows (id, name, first position, display), each marked
        linked where a stored link names it, with its name casefolded."""
        m = self.mark
        cursor.executemany(
            f"INSERT INTO timeline_entities VALUES ({m}, {m}, {m}, {m}, {links.is_linked(m)}, {m})",
            [(*row, row[0], row[0], row[1].casefold()) for row in entities],
        )

    def columns(self) -> dict[str, str]:
        every = {**_COLUMNS, **party_rows.COLUMNS} if self.keeps_parties else _COLUMNS
        return {table: columns.format(blob=self.blob) for table, columns in every.items()}

    def layout(self) -> str:
        """The tables' version: a digest of their statements, the display's format and fields.
        A store whose timeline is of another version has it rebuilt (``ensure_layout``)."""
        return version_of([*self.create_statements(), DISPLAY_FORMAT, *FIELDS])

    def ensure_layout(self, application_name: str) -> bool:
        """Make the tables anew, and forget the tracked position (the next catch-up
        projects the whole log), unless the store says they are of this version; True
        if so made. Stores written before the version was recorded hold their tables in
        an older version: theirs are remade too.

        The version is written first, and only when it changes: of two processes finding
        an old version at once, one remakes the tables."""
        layout = self.layout()
        try:
            with self._transaction(commit=False) as cursor:
                found = self._fetch(
                    cursor,
                    f"SELECT value FROM {META_TABLE} WHERE name = {self.mark}",
                    (LAYOUT_MARKER,),
                )
        except PersistenceError:
            found = []  # no meta table yet
        if found and found[0][0] == layout:
            return False
        m = self.mark
        with self._transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {META_TABLE} "
                "(name TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            claimed = self._fetch(
                cursor,
                f"INSERT INTO {META_TABLE} (name, value) VALUES ({m}, {m}) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value "
                f"WHERE {META_TABLE}.value <> excluded.value RETURNING name",
                (LAYOUT_MARKER, layout),
            )
            if not claimed:
                return False
            for table in TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in self.create_statements():
                cursor.execute(statement)
            self._delete_tracking(cursor, application_name)
        return True

    def suffix(self, table: str) -> str:
        """``WITHOUT ROWID`` where the driver has it, except for ``timeline_entities``:
        its rows (about 1.4 kB, mostly display JSON) replaced in random key order left
        half of each page of a key-ordered table unused; a rowid table packs them."""
        return "" if table == "timeline_entities" else self.without_rowid

    @abstractmethod
    def create_table(self) -> None:
        """Create the tracking table and the timeline tables if they do not exist, and
        remake the timeline tables if they are of another version (``ensure_layout``)."""

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
        link_events: Sequence[Recorded] = (),
    ) -> None:
        """Replace the rows of these entities, apply these link and unlink events to the
        stored links (``links.write``) and advance the position, in one transaction.

        ``fresh`` entities have their first event in this transaction: no rows to delete.
        """
        m = self.mark
        ids = [(r.entity_id,) for r in rows if r.entity_id not in fresh] + [(g,) for g in gone]
        entities = [
            (r.entity_id, r.name, first_positions.get(r.entity_id, 0), r.display) for r in rows
        ]
        status = [(r.entity_id, *row) for r in rows for row in r.status]
        states = [(r.entity_id, *row) for r in rows for row in r.states]
        if self.without_rowid:
            # Tables kept in key order: rows in that order go to neighbouring B-tree pages
            # (and reads come back in key order whatever the order of writing).
            for table_rows in (ids, entities, status, states):
                table_rows.sort()
        with self._transaction(commit=True) as cursor:
            for table in ROWS:
                if ids:
                    cursor.executemany(f"DELETE FROM {table} WHERE entity_id = {m}", ids)
            self.insert_entities(cursor, entities)
            cursor.executemany(
                f"INSERT INTO timeline_status VALUES ({m}, {m}, {m}, {m}, {m})", status
            )
            cursor.executemany(
                f"INSERT INTO timeline_states VALUES ({m}, {m}, {m}, {m}, {m}, {m})", states
            )
            links.write(cursor, m, link_events)
            if self.keeps_parties:
                named = [e for event in link_events for e in links.pair_of(event)]
                seeds = [r.entity_id for r in rows] + list(gone) + named
                party_rows.update(self._fetch, cursor, m, seeds)
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

    def forget(self, application_name: str) -> None:
        """Forget the tracked position (the rows stay, to be replaced)."""
        with self._transaction(commit=True) as cursor:
            self._delete_tracking(cursor, application_name)

    def reset(self, application_name: str) -> None:
        """Drop the tables (so a new layout takes effect) and the tracked position."""
        with self._transaction(commit=True) as cursor:
            for table in TABLES:
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

    def iterate(
        self, statement: str, params: Sequence[Any] = (), size: int = 2_000
    ) -> Iterator[tuple[Any, ...]]:
        """``select``'s rows one by one, fetched ``size`` at a time, in one read transaction
        (held until the iteration ends)."""
        with self._transaction(commit=False) as cursor:
            yield from self._iterate(cursor, statement.replace("?", self.mark), params, size)

    def _iterate(
        self, cursor: Any, statement: str, params: Sequence[Any], size: int
    ) -> Iterator[tuple[Any, ...]]:
        cursor.execute(statement, params)
        while rows := cursor.fetchmany(size):
            for row in rows:
                yield tuple(row.values())


def postgres_view_class() -> type[TimelineView]:
    """The PostgreSQL view (``postgres_view``: imported only for a PostgreSQL store)."""
    from projections.timeline.postgres_view import PostgresTimelineView

    return PostgresTimelineView


_VIEWS: weakref.WeakKeyDictionary[SanctionsApp, TimelineView] = weakref.WeakKeyDictionary()


def timeline_view(app: SanctionsApp) -> TimelineView:
    """The app's timeline view, on the app's own datastore (created on first use)."""
    view = _VIEWS.get(app)
    if view is not None:
        return view
    factory: Any = app.factory
    if isinstance(factory, SQLiteFactory):
        from projections.timeline.sqlite_view import SQLiteTimelineView  # builds on this

        view = SQLiteTimelineView(datastore=factory.datastore)
    else:
        view_class: Any = postgres_view_class()
        view = cast(
            TimelineView,
            view_class(datastore=factory.datastore, tracking_table_name=f"{NAME.lower()}_tracking"),
        )
    try:
        create_tables(factory, NAME.lower(), view)
        view.ensure_layout(app.name)  # where the tables were made before, in this version
    except PersistenceError as error:
        if not is_read_only(error):
            raise
        msg = (
            f"store {app.store.display} holds a timeline written by an older version, to "
            "be rebuilt on first use, but it is read-only: open it once where it can be "
            "written to (or run `sanctions rebuild` there)"
        )
        raise StoreError(msg) from None
    _VIEWS[app] = view
    return view
