"""Where the event log lives: an SQLite file by default, or a PostgreSQL URL."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

import attrs

from domain.errors import DomainError


class StoreError(DomainError):
    """The store named by the user cannot be used."""


@attrs.frozen
class StoreConfig:
    """Persistence settings for the eventsourcing Application, and a safe display name."""

    kind: str  # "sqlite" or "postgresql"
    env: Mapping[str, str]
    display: str
    path: Path | None = None

    @property
    def exists(self) -> bool:
        return self.path is None or self.path.exists()


def default_store_path(environ: Mapping[str, str]) -> Path:
    data_home = environ.get("XDG_DATA_HOME") or str(Path(environ.get("HOME", "~")) / ".local/share")
    return Path(data_home).expanduser() / "sanctions-tracker" / "events.sqlite"


def resolve_store(store: str | None, environ: Mapping[str, str] | None = None) -> StoreConfig:
    """The store from ``--store``, else ``SANCTIONS_STORE``, else the XDG default path."""
    environ = os.environ if environ is None else environ
    text = store or environ.get("SANCTIONS_STORE") or ""
    if text.startswith(("postgresql://", "postgres://")):
        return _postgres(text)
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


def _postgres(url: str) -> StoreConfig:
    parts = urlsplit(url)
    dbname = parts.path.lstrip("/")
    if not dbname or not parts.hostname:
        msg = "store URL must look like postgresql://user:password@host:port/dbname"
        raise StoreError(msg)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(dbname),
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or ""),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "4",
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_LOCK_TIMEOUT": "30",
    }
    user = f"{unquote(parts.username)}@" if parts.username else ""
    display = f"postgresql://{user}{parts.hostname}:{parts.port or 5432}/{unquote(dbname)}"
    return StoreConfig(kind="postgresql", env=env, display=display)
