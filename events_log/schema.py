"""Tables made once per store, not once per process.

The library's recorders run their schema statements whenever a process opens a store
(``CREATE TABLE`` and ``CREATE INDEX IF NOT EXISTS``, ``CREATE TYPE``, ``CREATE OR REPLACE
FUNCTION``), and so do the projections' recorders. On PostgreSQL two processes doing so
at the same moment rewrite the same catalog rows, and the server fails one of them
("tuple concurrently updated"), so a write command that merely started at the wrong
moment was lost.

Here each part of the schema (the log, each projection) has a version, a digest of its
statements, recorded in the store's ``sanctions_store_meta`` table. A process that finds
the part current runs no schema statement at all; otherwise it takes the store's schema
lock (a PostgreSQL advisory lock), looks again, and runs the statements under the lock,
so that only one process at a time ever changes the schema. SQLite serialises schema
statements with its database lock: there the recorder makes its tables as before.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import PersistenceError

from events_log.store import META_TABLE

# Any fixed number, other than the writers' lock: the store's schema lock (per database).
SCHEMA_LOCK_KEY = 0x5343484D41  # "SCHMA"
PREFIX = "schema:"


# What each PostgreSQL datastore was found to hold: part -> version, read once per process.
_known: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def version_of(statements: Sequence[str]) -> str:
    """A short digest of a part's schema statements: it changes when they change."""
    return hashlib.sha256("\n".join(statements).encode("utf-8")).hexdigest()[:16]


def create_tables(factory: Any, part: str, recorder: Any) -> None:
    """Make the recorder's tables unless the store already has this version of them.

    ``factory`` is the application's infrastructure factory; ``recorder`` one of the
    library's recorders on its datastore (anything with ``create_table``).
    """
    from eventsourcing.sqlite import SQLiteFactory

    if isinstance(factory, SQLiteFactory):
        recorder.create_table()  # one file, one writer at a time: nothing races here
        return
    # PostgreSQL's persistence needs psycopg, an extra: import it only for such a store.
    from eventsourcing.postgres import BasePostgresFactory, PostgresRecorder

    if not isinstance(factory, BasePostgresFactory) or not isinstance(recorder, PostgresRecorder):
        recorder.create_table()
        return
    datastore = factory.datastore
    version = version_of([s.as_string() for s in recorder.sql_create_statements])
    if _recorded(datastore).get(part) == version:
        datastore.register_type_adapters()  # what create_table does last (no DDL)
        return
    with datastore.get_connection() as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            if _recorded(datastore, again=True).get(part) != version:
                recorder.create_table()
                _record(datastore, part, version)
            else:
                datastore.register_type_adapters()
        finally:
            lock.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


def _recorded(datastore: Any, *, again: bool = False) -> dict[str, str]:
    """The versions the store records (none before the meta table exists)."""
    known = None if again else _known.get(datastore)
    if known is not None:
        return known
    table = f'"{datastore.schema}".{META_TABLE}'
    try:
        with datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT to_regclass(%s) AS found", (table,))
            row = cursor.fetchone()
            found: dict[str, str] = {}
            if row is not None and row["found"] is not None:
                cursor.execute(
                    f"SELECT name, value FROM {table} WHERE name LIKE %s", (PREFIX + "%",)
                )
                found = {r["name"][len(PREFIX) :]: r["value"] for r in cursor.fetchall()}
    except PersistenceError:
        found = {}
    _known[datastore] = found
    return found


def _record(datastore: Any, part: str, version: str) -> None:
    table = f'"{datastore.schema}".{META_TABLE}'
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {table} (name, value) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (PREFIX + part, version),
        )
    _known.setdefault(datastore, {})[part] = version
