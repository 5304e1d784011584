"""The benchmark's raw baselines: plain ``sqlite3`` doing the equivalent minimal work."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from bench.generate import SyntheticEntity, entities
from domain.dates import DateInterval
from projections import timeline

AS_OF = DateInterval("2010-06-30", date(2010, 6, 30), date(2010, 7, 1), "exact")


def _raw_rows(item: SyntheticEntity) -> list[tuple[str, int, str, str]]:
    """The same events as rows: entity, version, type, a JSON body of similar size."""
    rows = [(item.entity_id.hex, 1, "registered", json.dumps({"name": item.name}))]
    for version, step in enumerate(item.steps, start=2):
        body = {
            "effective": None if step.effective is None else step.effective.as_json(),
            "source": step.source.as_json(),
            **step.fields,
        }
        rows.append((item.entity_id.hex, version, step.kind, json.dumps(body)))
    return rows


def raw_import(path: Path, size: int, seed: int, batch: int) -> int:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "CREATE TABLE raw_events (entity_id TEXT, version INTEGER, type TEXT, body TEXT, "
        "PRIMARY KEY (entity_id, version))"
    )
    pending: list[tuple[str, int, str, str]] = []
    count = 0
    for number, item in enumerate(entities(size, seed), start=1):
        pending += _raw_rows(item)
        if number % batch == 0:
            count += _insert(connection, pending)
            pending = []
    count += _insert(connection, pending)
    connection.close()
    return count


def _insert(connection: sqlite3.Connection, rows: list[tuple[str, int, str, str]]) -> int:
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO raw_events VALUES (?, ?, ?, ?)", rows)
    connection.execute("COMMIT")
    return len(rows)


def raw_scan(store: Path) -> int:
    connection = sqlite3.connect(store)
    cursor = connection.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
        "ORDER BY rowid"
    )
    count = 0
    while rows := cursor.fetchmany(timeline.PAGE):
        count += len(rows)
    connection.close()
    return count


def raw_intervals(store: Path, raw: Path) -> None:
    """A measure interval table in the raw database, with the timeline's rows."""
    source = sqlite3.connect(store)
    rows = source.execute(
        "SELECT entity_id, measure_id, cut_from, cut_until, state FROM timeline_states"
    ).fetchall()
    source.close()
    connection = sqlite3.connect(raw)
    connection.execute(
        "CREATE TABLE raw_intervals (entity_id TEXT, measure_id TEXT, cut_from INTEGER, "
        "cut_until INTEGER, state TEXT)"
    )
    connection.executemany("INSERT INTO raw_intervals VALUES (?, ?, ?, ?, ?)", rows)
    connection.commit()
    connection.close()


def raw_all_entities(raw: Path) -> int:
    connection = sqlite3.connect(raw)
    found: dict[int, dict[str, list[str]]] = {}
    for cut in (AS_OF.start.toordinal(), AS_OF.start.toordinal() + 1):  # type: ignore[union-attr]
        per_entity: dict[str, list[str]] = {}
        for entity_id, state in connection.execute(
            "SELECT entity_id, state FROM raw_intervals WHERE cut_from <= ? AND cut_until > ?",
            (cut, cut),
        ):
            per_entity.setdefault(entity_id, []).append(state)
        found[cut] = per_entity
    connection.close()
    return len(found)


def raw_jsonl(lines: Path, path: Path, batch: int = 5000) -> int:
    """The raw baseline of a JSON Lines import: each line parsed, its entity id and type
    taken, the line inserted, ``batch`` lines per transaction."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE raw_lines (entity_id TEXT, type TEXT, line TEXT)")
    count = 0
    pending: list[tuple[str, str, str]] = []
    with lines.open(encoding="utf-8") as read:
        for line in read:
            data = json.loads(line)
            pending.append((str(data.get("entity_id")), str(data.get("type")), line))
            if len(pending) == batch:
                count += _insert_lines(connection, pending)
                pending = []
    count += _insert_lines(connection, pending)
    connection.close()
    return count


def _insert_lines(connection: sqlite3.Connection, rows: list[tuple[str, str, str]]) -> int:
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO raw_lines VALUES (?, ?, ?)", rows)
    connection.execute("COMMIT")
    return len(rows)
