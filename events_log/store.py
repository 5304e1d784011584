"""Where the event log lives: an SQLite file by default, or a PostgreSQL URL.

Both backends are the eventsourcing library's own persistence. Beside the library's
events table, a store holds one small table of ours, ``sanctions_store_meta``, that
marks it initialised (loaded with the bundled dataset, or made empty on purpose).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
from eventsourcing.persistence import InfrastructureFactory, PersistenceError

from domain.errors import DomainError

# The library's events table: for PostgreSQL named after the application
# (SanctionsApp.name), for SQLite always the same.
EVENTS_TABLES = {"postgresql": "sanctions_events", "sqlite": "stored_events"}
META_TABLE = "sanctions_store_meta"
POSTGRES_RECORDER_TOPIC = "events_log.postgres_recorder:PostgresStoreRecorder"

# Runs one SQL statement ("{}" marks a parameter) and returns its rows.
Query = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


class StoreError(DomainError):
    """The store named by the user cannot be opened or used."""


class StoreFailedError(StoreError, PersistenceError):
    """The store failed while in use; still a PersistenceError for code that recovers."""


@attrs.frozen
class StoreConfig:
    """Persistence settings for the eventsourcing Application, and a safe display name."""

    kind: str  # "sqlite" or "postgresql"
    env: Mapping[str, str] = attrs.field(repr=False)  # holds the password: never shown
    display: str
    path: Path | None = None

    @property
    def exists(self) -> bool:
        """Whether an SQLite file is there; a PostgreSQL store is only known by connecting."""
        return self.path is None or self.path.exists()


def default_store_path(environ: Mapping[str, str]) -> Path:
    data_home = environ.get("XDG_DATA_HOME") or str(Path(environ.get("HOME", "~")) / ".local/share")
    return Path(data_home).expanduser() / "sanctions-tracker" / "events.sqlite"


def resolve_store(store: str | None, environ: Mapping[str, str] | None = None) -> StoreConfig:
    """The store from ``--store``, else ``SANCTIONS_STORE``, else the XDG default path."""
    environ = os.environ if environ is None else environ
    text = store or environ.get("SANCTIONS_STORE") or ""
    scheme = _URL_SCHEME.match(text)
    if scheme and scheme.group(1).lower() in ("postgresql", "postgres"):
        return _postgres(text)
    if scheme:
        msg = (
            f"store {_without_password(text)!r} is a {scheme.group(1)}:// URL: a store is an "
            "SQLite file path or a postgresql://user:password@host:port/dbname URL"
        )
        raise StoreError(msg)
    path = Path(text).expanduser() if text else default_store_path(environ)
    if path.is_dir():
        msg = f"store {str(path)!r} is a directory: give the path of an SQLite file"
        raise StoreError(msg)
    return StoreConfig(
        kind="sqlite",
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
        },
        display=str(path),
        path=path,
    )


_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _without_password(url: str) -> str:
    """A URL with the password of its user part replaced by ``***``."""
    head, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    user, at, host = authority.rpartition("@")
    if at and ":" in user:
        user = user.split(":", 1)[0] + ":***"
    return f"{head}://{user}{at}{host}{slash}{path}"


def _postgres(url: str) -> StoreConfig:
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError:
        msg = "store URL must look like postgresql://user:password@host:port/dbname (bad port)"
        raise StoreError(msg) from None
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname or not parts.hostname:
        msg = "store URL must look like postgresql://user:password@host:port/dbname"
        raise StoreError(msg)
    user = unquote(parts.username or "")
    _postgres_recorder()
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER_TOPIC,
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "4",
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_LOCK_TIMEOUT": "30",
    }
    return StoreConfig(
        kind="postgresql", env=env, display=postgres_display(user, parts.hostname, port, dbname)
    )


def postgres_display(user: str, host: str, port: int | str, dbname: str) -> str:
    """The URL without its password, safe to show."""
    return f"postgresql://{user + '@' if user else ''}{host}:{port}/{dbname}"


# -- new or initialised -------------------------------------------------------------------


def prepare_store(config: StoreConfig) -> bool:
    """Check that the store can be opened; True when it is new (never initialised).

    New means: no events table yet (for SQLite, no file yet), or an empty events table
    never marked initialised (a first run that stopped before loading anything).
    """
    if config.kind == "postgresql":
        with _postgres_query(config, "cannot be opened") as query:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            return _is_new({row[0] for row in query(sql, ())}, query, "public.", config.kind)
    assert config.path is not None
    if not config.path.exists():
        try:
            config.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            msg = f"store {config.display} cannot be created: {error.strerror}"
            raise StoreError(msg) from None
        return True
    with _sqlite_query(config, "cannot be opened") as query:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        tables = {row[0] for row in query(sql, ())}
        _refuse_foreign(config, tables - {"sqlite_sequence"})
        return _is_new(tables, query, "", config.kind)


def _refuse_foreign(config: StoreConfig, tables: set[str]) -> None:
    """Refuse a database that holds tables but not our events table: another program's.

    The events table is always the first one a tracker store gets, so a store whose first
    run stopped early is never taken for a foreign database.
    """
    if tables and EVENTS_TABLES[config.kind] not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        msg = (
            f"store {config.display} is a database of another program (tables: {shown}), "
            "not a sanctions tracker store: nothing was written to it"
        )
        raise StoreError(msg)


def mark_initialised(config: StoreConfig) -> None:
    """Record that the store was initialised, so that it is never taken for a new one."""
    postgres = config.kind == "postgresql"
    opened = _postgres_query if postgres else _sqlite_query
    table = f"{'public.' if postgres else ''}{META_TABLE}"
    with opened(config, "cannot be initialised") as query:
        query(
            f"CREATE TABLE IF NOT EXISTS {table} (name TEXT PRIMARY KEY, value TEXT NOT NULL)", ()
        )
        query(
            f"INSERT INTO {table} (name, value) VALUES ('initialised', {{}}) "
            "ON CONFLICT (name) DO NOTHING",
            (datetime.now(UTC).isoformat(timespec="seconds"),),
        )


def store_query(config: StoreConfig, failing: str) -> contextlib.AbstractContextManager[Query]:
    """A query function on the store (SQLite or PostgreSQL), committed at the end; errors
    become ``StoreError`` saying the store ``failing``."""
    opened = _postgres_query if config.kind == "postgresql" else _sqlite_query
    return opened(config, failing)


def _is_new(tables: set[str], query: Query, schema: str, kind: str) -> bool:
    events = EVENTS_TABLES[kind]
    if events not in tables:
        return True
    if query(f"SELECT 1 FROM {schema}{events} LIMIT 1", ()):
        return False
    return META_TABLE not in tables or not query(
        f"SELECT 1 FROM {schema}{META_TABLE} WHERE name = 'initialised'", ()
    )


@contextmanager
def _sqlite_query(config: StoreConfig, failing: str) -> Iterator[Query]:
    """A query function on the SQLite file, committed at the end; errors become StoreError."""
    try:
        with closing(sqlite3.connect(str(config.path), timeout=30)) as connection, connection:

            def query(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
                return connection.execute(sql.replace("{}", "?"), params).fetchall()

            yield query
    except sqlite3.Error as error:
        raise store_error(config.display, failing, error) from None


@contextmanager
def _postgres_query(config: StoreConfig, failing: str) -> Iterator[Query]:
    """A query function on a short psycopg connection; errors become StoreError.

    A direct connection fails at once with the server's reason (wrong password, no
    server), where the library's connection pool would keep retrying until its timeout.
    """
    import psycopg

    env = config.env
    try:
        with psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
            autocommit=True,
        ) as connection:

            def query(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
                cursor = connection.execute(sql.replace("{}", "%s"), params)
                return cursor.fetchall() if cursor.description else []

            yield query
    except psycopg.Error as error:
        raise store_error(config.display, failing, error, env["POSTGRES_PASSWORD"]) from None


# -- writers take turns -------------------------------------------------------------------

# Any fixed number: the PostgreSQL advisory lock of the store's writers (per database).
WRITER_LOCK_KEY = 0x53414E4354  # "SANCT"

_turns = threading.local()  # how deep this thread is in writer turns, per store


@contextmanager
def writer_turn(
    config: StoreConfig, factory: InfrastructureFactory[Any] | None = None
) -> Iterator[None]:
    """Hold the store's writer lock while one command reads, decides and saves.

    Writers that take turns cannot make each other's saves conflict, so several processes
    writing to one busy entity cannot starve one of them into giving up; a conflict with a
    writer that does not take turns (an import batch) is still possible, and retried by the
    caller. Re-entrant within a thread. SQLite: an exclusive ``flock`` on a file beside
    the database (where ``flock`` is missing, Windows, writers just retry). PostgreSQL: a
    session advisory lock, on one of the library's pooled connections when given the
    application's ``factory``, else on a connection of its own.
    """
    depth: dict[str, int] = _turns.__dict__.setdefault("depth", {})
    if depth.get(config.display):
        depth[config.display] += 1
        try:
            yield
        finally:
            depth[config.display] -= 1
        return
    with _writer_lock(config, factory):
        depth[config.display] = 1
        try:
            yield
        finally:
            depth[config.display] = 0


@contextmanager
def _writer_lock(config: StoreConfig, factory: InfrastructureFactory[Any] | None) -> Iterator[None]:
    if config.kind == "postgresql" and factory is None:
        with _postgres_query(config, "cannot be locked for writing") as query:
            query("SELECT pg_advisory_lock({})", (WRITER_LOCK_KEY,))
            yield  # closing the connection ends the session, and its lock
        return
    if config.kind == "postgresql":
        import psycopg
        from eventsourcing.postgres import BasePostgresFactory

        assert isinstance(factory, BasePostgresFactory)
        with translate_errors(config), factory.datastore.get_connection() as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK_KEY,))
            try:
                yield
            finally:
                with contextlib.suppress(psycopg.Error):  # a broken session has released it
                    connection.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK_KEY,))
        return
    assert config.path is not None
    if sys.platform == "win32":
        yield
        return
    import fcntl

    lock_path = config.path.with_name(config.path.name + "-writer.lock")
    try:
        lock = open(lock_path, "ab")  # noqa: SIM115 - a with block would catch the caller's errors
    except OSError as error:
        msg = f"store {config.display} cannot be locked for writing: {error.strerror}"
        raise StoreError(msg) from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# -- errors -------------------------------------------------------------------------------


@contextmanager
def translate_errors(config: StoreConfig) -> Iterator[None]:
    """Report the persistence library's errors as StoreError, naming the store safely."""
    try:
        yield
    except StoreError:
        raise
    except (PersistenceError, sqlite3.Error) as error:
        password = config.env.get("POSTGRES_PASSWORD", "")
        raise store_error(config.display, "cannot be used", error, password) from None


def store_error(
    display: str,
    failing: str,
    error: BaseException,
    password: str = "",
    kind: type[StoreError] = StoreError,
) -> StoreError:
    """One line naming the store (never its password) and the reason."""
    reason = " ".join(str(error).split()) or type(error).__name__
    if password:
        reason = reason.replace(password, "***")
    if is_read_only(error):
        return kind(f"store {display} is read-only ({reason}): nothing was written")
    return kind(f"store {display} {failing}: {reason}")


_READ_ONLY = ("readonly database", "read-only", "read only", "permission denied")


def is_read_only(error: BaseException) -> bool:
    """Whether a store's error says it cannot be written at all: no retry can help."""
    texts = [str(error), str(error.__cause__ or "")]
    return any(sign in text.lower() for text in texts for sign in _READ_ONLY)


def store_failure(config: StoreConfig, error: BaseException) -> StoreError:
    """A failure of the persistence library while a command used the store, as one line."""
    password = config.env.get("POSTGRES_PASSWORD", "")
    return store_error(config.display, "cannot be used", error, password)


def _postgres_recorder() -> None:
    """Load our PostgreSQL recorder (``events_log.postgres_recorder``), which
    ``POSTGRES_RECORDER_TOPIC`` names. Imported here, not at the top, so that SQLite stores
    work without psycopg and libpq."""
    try:
        import events_log.postgres_recorder  # noqa: F401
    except ImportError as error:
        msg = (
            f"PostgreSQL stores need psycopg and libpq ({error}): "
            "pip install 'sanctions-tracker[postgres]'"
        )
        raise StoreError(msg) from None
