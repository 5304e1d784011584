"""A long backlog on SQLite, projected in key order (a rebuild, a large import).

Rows keyed by random entity ids, written page by page of the log, land all over tables
that soon outgrow the page cache: each entity's rows cost a few page writes. A backlog
that is a good part of the log is instead projected entity by entity in key order: the
entities with entries in the backlog, each with its whole history up to the backlog's
end, their rows replaced in chunks of ids in key order. The tracked position moves once,
at the end; until then a crash or a concurrent catch-up leaves rows that a later catch-up
replaces (every entity's rows are deleted before they are written); if the position went
past the backlog's end meanwhile, it stops without writing. The backlog's link events
are applied to the stored links after the entities, in log order (``links``).

The key space is split between this process and workers of a process pool (the standard
library's ``ProcessPoolExecutor``), each writing its own range of ids.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from domain.entity import Entity, to_recorded
from domain.record import Recorded
from events_log.app import (
    ENTITY_TOPIC_PREFIX,
    LINK_TOPICS,  # links leave each entity's rows as they are
    SanctionsApp,
)
from events_log.compression import readable_states
from events_log.links import link_events
from events_log.store import StoreConfig
from projections.timeline.decode import decode_entry, uuid_text
from projections.timeline.segments import EntityRows, rows_of
from projections.timeline.sqlite_view import SQLiteTimelineView
from projections.timeline.tables import timeline_view

BULK_BACKLOG = 50_000  # a backlog this long, and at least 1/BULK_SHARE of the log, is
BULK_SHARE = 4  # projected in key order (SQLite)
KEY_CHUNK = 5_000  # ids (entities, labels) per transaction, projecting in key order
WORKERS = min(2, os.cpu_count() or 1)  # processes projecting in key order


def in_key_order(backlog: int, end: int) -> bool:
    """Whether a backlog of this many entries, in a log this long, is projected in key order."""
    return backlog >= BULK_BACKLOG and backlog * BULK_SHARE >= end


def project_in_key_order(app: SanctionsApp, start: int, end: int, workers: int = WORKERS) -> int:
    """Project log positions ``start + 1 .. end`` entity by entity, in key order, then move
    the tracked position to ``end``; returns how many log entries that was (0 when another
    process got further first). With ``workers`` > 1, processes share the key space."""
    view = timeline_view(app)
    assert isinstance(view, SQLiteTimelineView)
    if not shared(app):
        workers = 1
    ranges = _key_ranges(max(1, workers))
    with pool(len(ranges) - 1) as executor:
        # Each process replaces the rows of its range of ids, in transactions of its own.
        futures = [_submit(executor, app.store, start, end, lo, hi) for lo, hi in ranges[1:]]
        done = _project_range(app, view, start, end, *ranges[0])
        for (lo, hi), future in zip(ranges[1:], futures, strict=True):
            theirs = _result(future)
            if theirs is None and done:  # it failed: its range is done here instead
                done = _project_range(app, view, start, end, lo, hi)
            elif theirs is False:
                done = False
    if not done:
        return 0
    halves = list(link_events(app, after=start, until=end))
    if (halves or start == 0) and not view.replace_links(halves, app.name, end, whole=start == 0):
        return 0
    try:
        view.insert_tracking(Tracking(app.name, end))
    except IntegrityError:
        return 0
    return _count_entries(app, start, end)


def _key_ranges(parts: int) -> list[tuple[str, str]]:
    """``parts`` ranges of lower-case hex entity ids (as the SQLite recorder keeps them)."""
    bounds = ["", *(f"{(256 * n) // parts:02x}" for n in range(1, parts)), "g"]
    return list(itertools.pairwise(bounds))


def shared(app: SanctionsApp) -> bool:
    """Whether another process opening the app's store sees the same log (not so for an
    SQLite database in memory)."""
    recorder_pool = getattr(getattr(app.recorder, "datastore", None), "pool", None)
    return not getattr(recorder_pool, "is_sqlite_memory_mode", False)


def pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes (at least one), started fresh ("spawn": nothing of
    this process's open connections is inherited)."""
    return ProcessPoolExecutor(
        max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn")
    )


def _submit(
    executor: ProcessPoolExecutor, store: StoreConfig, start: int, end: int, lo: str, hi: str
) -> Future[bool] | None:
    try:
        return executor.submit(project_range_apart, store, start, end, lo, hi)
    except RuntimeError:  # the pool is broken or shut down
        return None


def _result(future: Future[bool] | None) -> bool | None:
    """What the worker answered, or None if it failed."""
    if future is None:
        return None
    try:
        return future.result()
    except Exception:
        return None


def project_range_apart(store: StoreConfig, start: int, end: int, lo: str, hi: str) -> bool:
    """``_project_range`` in a worker process, on the store opened there."""
    app = SanctionsApp(store)
    try:
        view = timeline_view(app)
        assert isinstance(view, SQLiteTimelineView)
        return _project_range(app, view, start, end, lo, hi)
    finally:
        app.close()


# What replaces one chunk of rows: the rows, the entities' first positions, the entities,
# and the span of ids whose rows all go (projecting the whole log), as ``replace_entities``
# takes them.
Chunk = tuple[list[EntityRows], dict[str, int], list[str], tuple[str, bool, str, bool] | None]


def _project_range(
    app: SanctionsApp, view: SQLiteTimelineView, start: int, end: int, lo: str, hi: str
) -> bool:
    """Replace the rows of the entities with ids in ``[lo, hi)`` that have entries in the
    backlog, in key order; False if the tracked position went past ``end`` meanwhile."""
    return all(_write(app, view, end, chunk) for chunk in _chunks(app, start, end, lo, hi))


def _write(app: SanctionsApp, view: SQLiteTimelineView, end: int, chunk: Chunk) -> bool:
    rows, firsts, entity_ids, span = chunk
    return view.replace_entities(rows, firsts, entity_ids, app.name, end, span)


def _chunks(app: SanctionsApp, start: int, end: int, lo: str, hi: str) -> Iterator[Chunk]:
    """The chunks of rows of the entities with ids in ``[lo, hi)`` that have entries in
    the backlog, in key order."""
    recorder: Any = app.recorder
    table = recorder.events_table_name
    fast = readable_states(app.mapper)
    after = lo
    first = True
    # The whole log: every row from the range's start up to here is replaced.
    done, with_done = lo, False
    while True:
        with recorder.datastore.transaction(commit=False) as cursor:
            plain = cursor.sqlite_cursor
            plain.row_factory = None
            low = f"originator_id {'>=' if first else '>'} ? AND originator_id < ?"
            if start == 0:
                # The whole log: the next ids from the key index alone (no table row read;
                # ids of other aggregates, labels, have no entity entry and are skipped).
                plain.execute(
                    f"SELECT DISTINCT originator_id FROM {table} WHERE {low} "
                    "ORDER BY originator_id LIMIT ?",
                    (after, hi, KEY_CHUNK),
                )
            else:
                plain.execute(
                    f"SELECT DISTINCT originator_id FROM {table} WHERE {low} "
                    "AND rowid > ? AND rowid <= ? AND topic NOT IN (?, ?) "
                    "ORDER BY originator_id LIMIT ?",
                    (after, hi, start, end, *LINK_TOPICS, KEY_CHUNK),
                )
            ids = [row[0] for row in plain.fetchall()]
            if not ids:
                if start == 0:  # nor beyond the last entity, up to the range's end
                    yield [], {}, [], (done, not with_done, hi, False)
                return
            plain.execute(
                "SELECT originator_id, originator_version, rowid, topic, state "
                f"FROM {table} WHERE originator_id >= ? AND originator_id <= ? "
                "AND rowid <= ? ORDER BY originator_id, originator_version",
                (ids[0], ids[-1], end),
            )
            entries = plain.fetchall()
        wanted = set(ids) if start else None  # ids in the span without a new entry: left
        first = False
        after = ids[-1]
        histories: dict[str, list[Recorded]] = {}
        firsts: dict[str, int] = {}
        prefix = ENTITY_TOPIC_PREFIX
        entity_id = last = ""
        for hex_id, version, position, topic, state in entries:
            if not topic.startswith(prefix) or (wanted is not None and hex_id not in wanted):
                continue
            if hex_id != last:
                entity_id, last = uuid_text(hex_id), hex_id
            if version == 1:
                firsts[entity_id] = position
            if fast:
                event = decode_entry(topic, state, entity_id, version)
            else:
                stored = StoredEvent(
                    originator_id=UUID(hex_id),
                    originator_version=version,
                    topic=topic,
                    state=state,
                )
                event = to_recorded(cast(Entity.Fact, app.mapper.to_domain_event(stored)))
            histories.setdefault(entity_id, []).append(event)
        rows, _ = rows_of(histories)
        # Projecting the whole log, every row in the chunk's span of ids goes: what a
        # reset would have dropped (rows of entities not in the log, say) cannot stay.
        span: tuple[str, bool, str, bool] | None = None
        if start == 0:
            span = (done, not with_done, uuid_text(ids[-1]), True)
            done, with_done = span[2], True
        if histories or span:
            yield rows, firsts, list(histories), span


def _count_entries(app: SanctionsApp, start: int, end: int) -> int:
    recorder: Any = app.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {recorder.events_table_name} WHERE rowid > ? AND rowid <= ?",
            (start, end),
        )
        return int(cursor.fetchone()[0])
