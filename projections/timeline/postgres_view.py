"""The timeline's tables in a PostgreSQL store: ``tables.TimelineView`` on the library's
PostgreSQL tracking recorder. Imported only for a PostgreSQL store
(``tables.postgres_view_class``), so that SQLite stores work without psycopg.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier

from events_log.app import SanctionsApp
from projections.timeline.tables import TimelineView


class PostgresTimelineView(PostgresTrackingRecorder, TimelineView):
    mark = "%s"
    blob = "BYTEA"

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        for statement in self.table_statements():
            self.sql_create_statements.append(SQL(statement))  # type: ignore[arg-type]

    def create_table(self) -> None:
        super().create_table()
        self.ensure_layout(SanctionsApp.name)  # also for the library's runner

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
