"""Our PostgreSQL recorder: the eventsourcing library's, reporting what goes wrong as one
``StoreError`` line, except what a retry can cure (a version conflict, a lock timeout).

``store.POSTGRES_RECORDER_TOPIC`` names it; ``store`` imports this module only for a
PostgreSQL store, so that SQLite stores work without psycopg and libpq.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import register_topic, retry

from events_log.store import (
    POSTGRES_RECORDER_TOPIC,
    StoreError,
    StoreFailedError,
    postgres_display,
    store_error,
)

_RETRYABLE = (psycopg.errors.LockNotAvailable, psycopg.errors.TransactionRollback)


class PostgresStoreRecorder(PostgresApplicationRecorder):
    """The library's recorder; it reports what goes wrong as StoreError."""

    def _error(self, error: Exception) -> StoreError:
        kwargs = self.datastore.pool.kwargs
        info: Mapping[str, Any] = kwargs if isinstance(kwargs, dict) else {}
        display = postgres_display(
            str(info.get("user", "")),
            str(info.get("host", "")),
            str(info.get("port", "")),
            str(info.get("dbname", "")),
        )
        password = str(info.get("password", ""))
        return store_error(display, "cannot be used", error, password, StoreFailedError)

    def create_table(self) -> None:
        try:
            super().create_table()
        except PersistenceError as error:
            raise self._error(error) from None

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        try:
            return self._insert_in_one_transaction(stored_events, **kwargs)
        except IntegrityError:
            raise  # a version conflict: the application reads again and retries
        except OperationalError as error:
            if isinstance(error.__cause__, _RETRYABLE):
                raise  # a lock timeout, deadlock or serialization failure: retried too
            raise self._error(error) from None
        except PersistenceError as error:
            raise self._error(error) from None

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_in_one_transaction(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert (lock the table, notify, insert returning the positions),
        without its pipeline. In the pipeline, the lock's error (a role that may not
        write) can reach us only as "pipeline aborted", depending on when the server's
        answers arrive; one statement at a time, it is always the server's own words.
        """
        if not stored_events:
            return None
        with (
            self.datastore.get_connection() as connection,
            connection.transaction(),
            connection.cursor() as cursor,
        ):
            self._insert_stored_events(cursor, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(cursor, stored_events, **kwargs)

    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().select_events(*args, **kwargs)
        except PersistenceError as error:
            raise self._error(error) from None

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().select_notifications(*args, **kwargs)
        except PersistenceError as error:
            raise self._error(error) from None

    def max_notification_id(self) -> int | None:
        try:
            position: int | None = super().max_notification_id()
        except PersistenceError as error:
            raise self._error(error) from None
        return position


register_topic(POSTGRES_RECORDER_TOPIC, PostgresStoreRecorder)
