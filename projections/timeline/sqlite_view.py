"""The timeline's tables in a SQLite store: ``tables.TimelineView`` on the library's SQLite
tracking recorder, with what SQLite alone does: tables kept in key order (``WITHOUT
ROWID``), the parties' rows kept (``party_rows``), reads that give tuples, the answers'
sorted read in one transaction, and a backlog's rows and links replaced in key order
without moving the tracked position (``bulk``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteTrackingRecorder

from domain.record import Recorded
from events_log.app import SanctionsApp
from projections.timeline import links, party_rows
from projections.timeline.segments import EntityRows
from projections.timeline.tables import ROWS, TABLES, TimelineView


class _OvertakenError(Exception):
    """The tracked position went past the end of the backlog being projected."""


class SQLiteTimelineView(SQLiteTrackingRecorder, TimelineView):
    without_rowid = " WITHOUT ROWID"
    keeps_parties = True

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.table_statements()]

    def create_table(self) -> None:
        super().create_table()
        self.ensure_layout(SanctionsApp.name)

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

    def _iterate(
        self, cursor: Any, statement: str, params: Sequence[Any], size: int
    ) -> Iterator[tuple[Any, ...]]:
        plain = cast(SQLiteCursor, cursor).sqlite_cursor
        plain.row_factory = None
        plain.execute(statement, params)
        while rows := plain.fetchmany(size):
            yield from rows

    def iterate_sorted(
        self,
        statement: str,
        params: Sequence[Any] = (),
        first: Sequence[tuple[str, Sequence[Any]]] = (),
    ) -> Iterator[Any]:
        """``iterate`` for a query sorted by name as the fold's answers are sorted (by the
        stored ``sort_key``: the name as ``str.casefold`` makes it). With ``first``
        statements, the first item is the list of their rows (a list each), read in the
        same transaction (the same state of the tables) before the statement's."""
        with self._transaction(commit=False) as cursor:
            if first:
                yield [self._fetch(cursor, sql, values) for sql, values in first]
            yield from self._iterate(cursor, statement, params, 2_000)

    def layout_is_current(self) -> bool:
        """Whether the tables are there, as ``create_statements`` would make them now."""
        with self._transaction(commit=False) as cursor:
            found = dict(
                self._fetch(
                    cursor,
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN "
                    f"({', '.join('?' * len(TABLES))})",
                    TABLES,
                )
            )
        return all(
            found.get(table) == f"CREATE TABLE {table} ({columns}){self.suffix(table)}"
            for table, columns in self.columns().items()
        )

    def replace_entities(
        self,
        rows: Sequence[EntityRows],
        first_positions: Mapping[str, int],
        entity_ids: Sequence[str],
        application_name: str,
        until: int,
        span: tuple[str, bool, str, bool] | None = None,
    ) -> bool:
        """Replace every row of these entities, as of log position ``until``, without
        moving the tracked position; False (and nothing written) when the position is
        already past ``until``: their rows may then be newer than these. With a ``span``
        ``(low, low included, high, high included)`` of entity ids, every row in it goes."""
        try:
            with self._transaction(commit=True) as cursor:
                # A write first: a read first would make SQLite refuse the write at once
                # (not wait for the lock) when another process wrote in between.
                ids = sorted((i,) for i in entity_ids)
                for table in ROWS:
                    if span is not None:
                        low, with_low, high, with_high = span
                        cursor.execute(
                            f"DELETE FROM {table} WHERE entity_id {'>=' if with_low else '>'} ? "
                            f"AND entity_id {'<=' if with_high else '<'} ?",
                            (low, high),
                        )
                    cursor.executemany(f"DELETE FROM {table} WHERE entity_id = ?", ids)
                if (self._max_tracking_id(application_name, cursor) or 0) > until:
                    raise _OvertakenError
                self._insert_rows(cursor, rows, first_positions)
                # (with a span, the whole log: ``replace_links`` then remakes every party)
                party_rows.update(self._fetch, cursor, "?", entity_ids)
        except _OvertakenError:
            return False
        return True

    def replace_links(
        self, events: Sequence[Recorded], application_name: str, until: int, *, whole: bool
    ) -> bool:
        """Apply these link and unlink events to the stored links (to none, if ``whole``:
        they are every link event up to ``until``), without moving the tracked position;
        False (and nothing written) when the position is already past ``until``."""
        try:
            with self._transaction(commit=True) as cursor:
                if whole:  # a write first, as in ``replace_entities``
                    links.unlink_all(cursor)
                    party_rows.clear(cursor)
                links.write(cursor, "?", events)
                named = [e for event in events for e in links.pair_of(event)]
                party_rows.update(self._fetch, cursor, "?", named)
                if (self._max_tracking_id(application_name, cursor) or 0) > until:
                    raise _OvertakenError
        except _OvertakenError:
            return False
        return True

    def _insert_rows(
        self, cursor: Any, rows: Sequence[EntityRows], first_positions: Mapping[str, int]
    ) -> None:
        self.insert_entities(
            cursor,
            sorted((r.entity_id, r.name, first_positions[r.entity_id], r.display) for r in rows),
        )
        cursor.executemany(
            "INSERT INTO timeline_status VALUES (?, ?, ?, ?, ?)",
            sorted((r.entity_id, *row) for r in rows for row in r.status),
        )
        cursor.executemany(
            "INSERT INTO timeline_states VALUES (?, ?, ?, ?, ?, ?)",
            sorted((r.entity_id, *row) for r in rows for row in r.states),
        )
