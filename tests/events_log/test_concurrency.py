"""Several writers on one store at once lose nothing and corrupt nothing: a write that
conflicts is retried, never dropped."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import sqlite3
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import attrs
import psycopg
from eventsourcing.persistence import IntegrityError, OperationalError

from cli import main
from domain.dates import parse_date
from domain.entity import Entity
from domain.record import Source
from events_log.app import SanctionsApp
from events_log.bundled import BUNDLED_DATASET
from events_log.store import StoreConfig, resolve_store

WORKERS = 4
APPENDS = 250
SOURCE = Source(title="S", publisher=None, published=date(2013, 10, 4), url=None)
EFFECTIVE = parse_date("2013", published=SOURCE.published)
BUNDLED_LINES = [line for line in BUNDLED_DATASET.read_text(encoding="utf-8").splitlines() if line]


class CountingApp(SanctionsApp):
    """The application, counting the saves that failed (and were retried by ``write``)."""

    name = SanctionsApp.name  # the library names PostgreSQL tables after the application

    def __init__(self, store: StoreConfig) -> None:
        super().__init__(store)
        self.conflicts: Counter[str] = Counter()

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        try:
            return super().save(*objs, **kwargs)
        except (IntegrityError, OperationalError) as error:
            self.conflicts[f"{type(error).__name__}: {str(error).split(':')[0]}"] += 1
            raise


def activity(summary: str) -> Callable[[Entity], str]:
    def report(entity: Entity) -> str:
        return entity.report_activity(summary, effective=EFFECTIVE, source=SOURCE)

    return report


def initialised(store: str) -> tuple[SanctionsApp, UUID]:
    """The store, loaded with the bundled dataset, and Norinco's id."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["init", "--store", store], stdout=out, stderr=err, environ={}) == 0, err
    app = SanctionsApp(resolve_store(store, {}))
    return app, app.find("Norinco")


def append_many(store: str, entity_id: str, worker: int, start: Any, results: Any) -> None:
    """In a child process: append APPENDS activities to one entity, report what was done."""
    try:
        app = CountingApp(resolve_store(store, {}))
        event_ids: list[str] = []
        start.wait(timeout=120)
        began = time.perf_counter()
        for number in range(APPENDS):
            event_ids += app.act([UUID(entity_id)], activity(f"worker {worker} append {number}"))
        results.put((worker, event_ids, app.conflicts, time.perf_counter() - began, None))
    except BaseException:
        results.put((worker, [], Counter[str](), 0.0, traceback.format_exc()))


class TestConcurrentWriters:
    def test_four_processes_appending_to_one_entity_lose_nothing(self, store_url: str) -> None:
        app, norinco = initialised(store_url)
        before = app.entity_events(norinco)
        context = multiprocessing.get_context("spawn")
        start, results = context.Barrier(WORKERS), context.Queue()
        workers = [
            context.Process(target=append_many, args=(store_url, norinco.hex, n, start, results))
            for n in range(WORKERS)
        ]

        for process in workers:
            process.start()
        reports = sorted(results.get(timeout=1200) for _ in workers)
        for process in workers:
            process.join(timeout=60)

        assert [report[4] for report in reports] == [None] * WORKERS  # no worker saw an error
        appended = [event_id for report in reports for event_id in report[1]]
        after = app.entity_events(norinco)
        new = after[len(before) :]
        assert after[: len(before)] == before
        assert len(new) == WORKERS * APPENDS
        assert sorted(e.event_id for e in new) == sorted(appended)
        assert len({e.event_id for e in new}) == WORKERS * APPENDS
        assert [e.version for e in after] == list(range(1, len(after) + 1))
        assert sorted(e.get("summary") for e in new) == sorted(
            f"worker {w} append {n}" for w in range(WORKERS) for n in range(APPENDS)
        )
        conflicts = sum((report[2] for report in reports), Counter[str]())
        took = ", ".join(f"{report[3]:.1f}s" for report in reports)
        print(f"\n{store_url.split(':')[0]}: retried {dict(conflicts)}; workers took {took}")


class TestRetries:
    def test_a_save_that_conflicts_is_retried_with_a_fresh_read(self, store_url: str) -> None:
        app, norinco = initialised(store_url)
        other = SanctionsApp(resolve_store(store_url, {}))
        versions_read: list[int] = []

        def sneaky(entity: Entity) -> str:
            versions_read.append(entity.version)
            if len(versions_read) == 1:  # another writer saves between this read and save
                theirs = other.entity(norinco)
                activity("the other writer's")(theirs)
                other.save(theirs)
            return activity("this writer's")(entity)

        app.act([norinco], sneaky)

        assert versions_read == [versions_read[0], versions_read[0] + 1]
        summaries = [e.get("summary") for e in app.entity_events(norinco)[-2:]]
        assert summaries == ["the other writer's", "this writer's"]

    def test_a_store_locked_by_another_writer_is_waited_for(self, store_url: str) -> None:
        app, norinco = initialised(store_url)
        config = resolve_store(store_url, {})
        impatient = attrs.evolve(  # give up waiting for a lock after one second
            config, env={**config.env, "SQLITE_LOCK_TIMEOUT": "1", "POSTGRES_LOCK_TIMEOUT": "1"}
        )
        writer = CountingApp(impatient)
        release = threading.Event()
        locked = threading.Event()
        blocker = threading.Thread(target=hold_write_lock, args=(store_url, locked, release))
        blocker.start()
        locked.wait(timeout=30)
        threading.Timer(2.5, release.set).start()

        began = time.perf_counter()
        writer.act([norinco], activity("written after the lock was released"))
        waited = time.perf_counter() - began
        blocker.join(timeout=30)

        assert waited >= 2.4
        last = app.entity_events(norinco)[-1]
        assert last.get("summary") == "written after the lock was released"
        if config.kind == "sqlite":  # PostgreSQL's lock timeouts are retried by the library
            assert writer.conflicts.keys() == {"OperationalError: database is locked"}


def hold_write_lock(store: str, locked: threading.Event, release: threading.Event) -> None:
    """Hold the store's write lock, as a writer in the middle of a long transaction does."""
    if store.startswith("postgresql://"):
        with psycopg.connect(store) as server, server.transaction():
            server.execute("LOCK TABLE sanctions_events IN EXCLUSIVE MODE")
            locked.set()
            release.wait(timeout=30)
        return
    with contextlib.closing(sqlite3.connect(store, isolation_level=None)) as database:
        database.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(timeout=30)
        database.execute("ROLLBACK")


def open_new_store(store: str, start: Any, results: Any) -> None:
    """In a child process: list the entities of a store that may not exist yet."""
    try:
        out, err = io.StringIO(), io.StringIO()
        start.wait(timeout=120)
        code = main(["entities", "--store", store], stdout=out, stderr=err, environ={})
        results.put((code, err.getvalue()))
    except BaseException:
        results.put((-1, traceback.format_exc()))


class TestConcurrentFirstOpen:
    def test_processes_opening_a_new_store_at_once_load_the_bundled_dataset_once(
        self, store_url: str
    ) -> None:
        context = multiprocessing.get_context("spawn")
        start, results = context.Barrier(WORKERS), context.Queue()
        workers = [
            context.Process(target=open_new_store, args=(store_url, start, results))
            for _ in range(WORKERS)
        ]

        for process in workers:
            process.start()
        reports = [results.get(timeout=300) for _ in workers]
        for process in workers:
            process.join(timeout=60)

        assert sorted(code for code, _ in reports) == [0] * WORKERS, reports
        assert sorted(bool(err) for _, err in reports) == [False] * (WORKERS - 1) + [True]
        app = SanctionsApp(resolve_store(store_url, {}))
        # the article, ten ISN copies, seven links: loaded once
        assert len(list(app.iter_recorded())) == len(BUNDLED_LINES) + 1942 + 2 * 7
