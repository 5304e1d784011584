"""The hash chain kept beside the log, and ``verify``, which proves the log untouched.

Each stored event (every row of the library's events table, entity events and labels
alike) gets a link, in log order (the notification id, "position"):

    event hash = SHA-256 of the event's stored bytes: its originator id, version, topic
                 and stored state, each tagged with its type and length
    link       = SHA-256 of the previous link and the event hash (the first link follows
                 GENESIS)

The chain is a tracked projection, as the status timeline is: after each write, and before
``verify`` reads, the links of the events after the tracked position are added to the
``chain_links`` table in one transaction with the new position (the library's tracking
recorder, on a table of its own, ``chain_tracking``). The first catch-up of a store that
never had a chain takes the log as it is then; from there on every change is seen.

``verify`` recomputes the chain from the log and walks it beside the kept one: the first
position where they part is named, with what happened there (an event edited, deleted,
inserted, moved; or the kept chain itself altered). The head (last position and its link)
can be published; ``verify --head P:H`` later checks that the log still extends it, which
holds even against someone who rewrote the log and the kept chain together.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import IntegrityError, PersistenceError, Tracking, TrackingRecorder
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteFactory,
    SQLiteTrackingRecorder,
)

from domain.errors import DomainError
from events_log.app import SanctionsApp
from events_log.schema import create_tables

NAME = "chain"
LINKS = "chain_links"
TRACKING = "chain_tracking"
PAGE = 10_000  # events hashed and kept per transaction
GENESIS = hashlib.sha256(b"sanctions-tracker log hash chain, version 1").digest()

# A log row as hashed: position, originator id, version, topic, stored state.
Row = tuple[int, Any, Any, Any, Any]


class ChainError(DomainError):
    """A head given to ``verify`` is not one that ``verify`` prints."""


# -- hashing ------------------------------------------------------------------------------


def _field(value: Any) -> bytes:
    """One stored value, tagged with its type and length, so that no two differ alike."""
    if isinstance(value, UUID):
        return b"U" + value.bytes
    if isinstance(value, bool | int):
        return b"I" + int(value).to_bytes(8, "big", signed=True)
    if isinstance(value, str):
        text = value.encode("utf-8", "surrogatepass")
        return b"S" + len(text).to_bytes(8, "big") + text
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return b"B" + len(data).to_bytes(8, "big") + data
    if value is None:
        return b"N"
    other = repr(value).encode("utf-8", "surrogatepass")  # a type no recorder writes
    return b"R" + len(other).to_bytes(8, "big") + other


def _originator(value: Any) -> Any:
    """SQLite stores a UUID as 32 lower-case hex digits: the same bytes as PostgreSQL's."""
    if isinstance(value, str) and len(value) == 32:
        try:
            uuid = UUID(hex=value)
        except ValueError:
            return value
        if uuid.hex == value:
            return uuid
    return value


def event_hash(originator_id: Any, version: Any, topic: Any, state: Any) -> bytes:
    """The hash of one stored event: its originator id, version, topic and state."""
    fields = (_originator(originator_id), version, topic, state)
    return hashlib.sha256(b"".join(_field(f) for f in fields)).digest()


def next_link(previous: bytes, event: bytes) -> bytes:
    return hashlib.sha256(previous + event).digest()


# -- the kept chain: a table with a tracked position --------------------------------------


class ChainKeeper(TrackingRecorder):
    """The kept links, written in the same transaction as the tracked position."""

    mark = "?"

    def _transaction(self, *, commit: bool) -> Any:
        return cast(Any, self).datastore.transaction(commit=commit)

    def _rows(self, cursor: Any) -> list[tuple[Any, ...]]:
        return [tuple(r.values()) for r in cursor.fetchall()]

    def keep(self, links: Sequence[tuple[int, bytes, bytes]], tracking: Tracking) -> None:
        """Add links and advance the position; IntegrityError if another process did."""
        m = self.mark
        with self._transaction(commit=True) as cursor:
            cast(Any, self)._insert_tracking(cursor, tracking)  # first: it serialises keepers
            cursor.executemany(f"INSERT INTO {self.links_table} VALUES ({m}, {m}, {m})", links)

    def link_before(self, position: int) -> bytes:
        """The kept link at the last position up to ``position`` (GENESIS before any)."""
        m = self.mark
        with self._transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT link FROM {self.links_table} WHERE position <= {m} "
                "ORDER BY position DESC LIMIT 1",
                (position,),
            )
            rows = self._rows(cursor)
        return bytes(rows[0][0]) if rows else GENESIS

    def links(self, end: int) -> Iterator[tuple[int, bytes, bytes]]:
        """Every kept (position, event hash, link) up to ``end``, in position order."""
        m = self.mark
        position = 0
        while True:
            with self._transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT position, event_hash, link FROM {self.links_table} "
                    f"WHERE position > {m} AND position <= {m} ORDER BY position LIMIT {m}",
                    (position, end, PAGE),
                )
                rows = self._rows(cursor)
            if not rows:
                return
            for found, event, link in rows:
                yield int(found), bytes(event), bytes(link)
            position = int(rows[-1][0])

    def positions_of(self, event: bytes) -> list[int]:
        """The kept positions whose event hash is this one."""
        with self._transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT position FROM {self.links_table} WHERE event_hash = {self.mark}",
                (event,),
            )
            return [int(r[0]) for r in self._rows(cursor)]

    @property
    def links_table(self) -> str:
        return LINKS


class SQLiteChainKeeper(SQLiteTrackingRecorder, ChainKeeper):
    """On SQLite: the library's tracking recorder, on its own table beside the timeline's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_tracking_statement = self.insert_tracking_statement.replace(
            "tracking", TRACKING
        )
        self.select_max_tracking_id_statement = self.select_max_tracking_id_statement.replace(
            "tracking", TRACKING
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {TRACKING} (application_name TEXT, "
            "notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {LINKS} (position INTEGER PRIMARY KEY, "
            "event_hash BLOB NOT NULL, link BLOB NOT NULL)",
        ]

    def _rows(self, cursor: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in cast(SQLiteCursor, cursor).fetchall()]


def _postgres_keeper(app: SanctionsApp) -> ChainKeeper:
    """On PostgreSQL (imported only when a PostgreSQL store is used)."""
    from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
    from psycopg.sql import SQL

    class PostgresChainKeeper(PostgresTrackingRecorder, ChainKeeper):
        mark = "%s"

        def __init__(self, datastore: PostgresDatastore) -> None:
            super().__init__(datastore, tracking_table_name=TRACKING)
            self.sql_create_statements.append(
                SQL(  # type: ignore[arg-type]
                    f"CREATE TABLE IF NOT EXISTS {self.links_table} (position BIGINT PRIMARY "
                    "KEY, event_hash BYTEA NOT NULL, link BYTEA NOT NULL)"
                )
            )

        @property
        def links_table(self) -> str:
            return f'"{self.datastore.schema}".{LINKS}'

    factory: Any = app.factory
    return PostgresChainKeeper(factory.datastore)


_KEEPERS: weakref.WeakKeyDictionary[SanctionsApp, ChainKeeper] = weakref.WeakKeyDictionary()


def keeper(app: SanctionsApp) -> ChainKeeper:
    """The app's chain keeper, on the app's own datastore (its tables made on first use)."""
    found = _KEEPERS.get(app)
    if found is not None:
        return found
    factory: Any = app.factory
    if isinstance(factory, SQLiteFactory):
        found = SQLiteChainKeeper(datastore=factory.datastore)
    else:
        found = _postgres_keeper(app)
    create_tables(factory, NAME, found)
    _KEEPERS[app] = found
    return found


# -- reading the log as stored -------------------------------------------------------------


def read_rows(app: SanctionsApp, after: int, end: int | None = None) -> Iterator[Row]:
    """Every stored event after position ``after`` (up to ``end``), as stored, in log order."""
    recorder: Any = app.recorder
    sqlite = isinstance(recorder, SQLiteApplicationRecorder)
    if sqlite:
        table, column, mark = recorder.events_table_name, "rowid", "?"
    else:
        table = f'"{recorder.datastore.schema}".{recorder.events_table_name}'
        column, mark = "notification_id", "%s"
    statement = (
        f"SELECT {column}, originator_id, originator_version, topic, state FROM {table} "
        f"WHERE {column} > {mark} AND {column} <= {mark} ORDER BY {column} LIMIT {mark}"
    )
    last = end if end is not None else 2**63 - 1
    position = after
    while True:
        with recorder.datastore.transaction(commit=False) as cursor:
            if sqlite:
                plain = cursor.sqlite_cursor
                plain.row_factory = None
                plain.execute(statement, (position, last, PAGE))
                rows = plain.fetchall()
            else:
                cursor.execute(statement, (position, last, PAGE))
                rows = [tuple(r.values()) for r in cursor.fetchall()]
        if not rows:
            return
        yield from rows
        position = int(rows[-1][0])


# -- following the log --------------------------------------------------------------------


def catch_up(app: SanctionsApp) -> int:
    """Add the links of every event after the tracked position; returns how many.

    Stops without error when another process kept them first (the next call goes on).
    """
    kept = keeper(app)
    position = kept.max_tracking_id(app.name) or 0
    link = kept.link_before(position) if position else GENESIS
    done = 0
    page: list[tuple[int, bytes, bytes]] = []
    for row in read_rows(app, position):
        event = event_hash(*row[1:])
        link = next_link(link, event)
        page.append((int(row[0]), event, link))
        if len(page) == PAGE:
            if not _keep(app, kept, page):
                return done
            done += len(page)
            page = []
    if page and _keep(app, kept, page):
        done += len(page)
    return done


def _keep(app: SanctionsApp, kept: ChainKeeper, page: list[tuple[int, bytes, bytes]]) -> bool:
    try:
        kept.keep(page, Tracking(app.name, page[-1][0]))
    except IntegrityError:
        return False
    return True


def follow(app: SanctionsApp) -> None:
    """Extend the chain after a write. A failure loses nothing: the next call catches up."""
    try:
        catch_up(app)
    except PersistenceError:
        return


SanctionsApp.followers.append(follow)
