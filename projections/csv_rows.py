"""CSV rows as the status answers write them: the header, and rows ending in ``\\n``."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import IO, Any

CSV_HEADER = [
    "entity_id",
    "name",
    "status",
    "possible_statuses",
    "status_at_start",
    "measures",
    "pending_delisting_requests",
    "identifiers",
]


class CsvRows:
    """CSV rows ending in ``\n`` whose fields are quoted when they hold ``\r`` too.

    The csv module quotes a field that holds a character of the line terminator; with
    ``\n`` alone a bare ``\r`` would go out unquoted, and readers would split the row.
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.row = io.StringIO()
        self.writer = csv.writer(self.row, lineterminator="\r\n")

    def writerow(self, fields: Sequence[Any]) -> None:
        self.row.seek(0)
        self.row.truncate()
        self.writer.writerow(fields)
        self.out.write(self.row.getvalue().removesuffix("\r\n") + "\n")
