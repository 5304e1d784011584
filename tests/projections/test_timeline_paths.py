"""The timeline's faster paths give what its reference paths give.

- ``entity_rows`` (bit sets) and ``entity_rows_by_fold`` (the fold's own functions);
- catching up in key order (a long backlog on SQLite, in one or two processes) and page
  by page;
- following an import from a second process and following it in this one.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.generate import entities
from bench.load import load
from domain.dates import DateInterval
from domain.fold import build_record
from domain.record import (
    DELISTING_DECIDED,
    DELISTING_REQUESTED,
    ENTITY_REGISTERED,
    SANCTION_IMPOSED,
    SANCTION_LAPSED,
    SANCTION_LIFTED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    Recorded,
    believe,
)
from events_log.app import SanctionsApp
from events_log.store import resolve_store
from projections import timeline
from projections.timeline import bulk
from tests.builders import ENTITY_ID, intervals, recorded

BASE = date(2000, 1, 1)
AS_OF = DateInterval("2010", date(2010, 1, 1), date(2011, 1, 1))


# -- entity_rows: on random records, the bit sets give the fold's rows ---------------------


INTERVALS = intervals(BASE, 5 * 365)

STEP_TYPES = [SANCTION_LAPSED, SANCTION_LIFTED, SANCTION_WAIVED, WAIVER_ENDED]


def event(number: int, type_: str, when: DateInterval | None, **fields: Any) -> Recorded:
    return recorded(type_, f"e{number}", when, version=number + 1, **fields)


@st.composite
def records(draw: st.DrawFn) -> list[Recorded]:
    """An entity's events in any order the record allows or not (a partial view, say):
    measures with waiver steps and endings (twice, or out of order), requests, decisions."""
    events = [event(0, ENTITY_REGISTERED, None, name="Acme", kind="company", country=None)]
    measures: list[str] = []
    requests: list[str] = []
    for number in range(1, draw(st.integers(1, 16))):
        when = draw(INTERVALS)
        kind = draw(st.sampled_from(["impose", "step", "request", "decide"]))
        if kind == "impose" or (kind == "step" and not measures):
            events.append(event(number, SANCTION_IMPOSED, when, authority="A", program="P"))
            measures.append(f"e{number}")
        elif kind == "step":
            measure = draw(st.sampled_from(measures))
            type_ = draw(st.sampled_from(STEP_TYPES))
            events.append(event(number, type_, when, measure_id=measure))
        elif kind == "request" or not requests:
            events.append(event(number, DELISTING_REQUESTED, when, requested_by="China"))
            requests.append(f"e{number}")
        else:
            request = draw(st.sampled_from(requests))
            events.append(event(number, DELISTING_DECIDED, when, request_id=request))
    return events


@settings(max_examples=400, deadline=None)
@given(events=records())
def test_the_rows_on_bit_sets_are_the_rows_of_the_fold(events: list[Recorded]) -> None:
    record = build_record(ENTITY_ID, believe(events).facts, strict=False)

    assert timeline.entity_rows(record) == timeline.entity_rows_by_fold(record)


# -- catching up in key order gives the rows of catching up page by page ------------------


def table_digest(app: SanctionsApp) -> str:
    view = timeline.timeline_view(app)
    digest = hashlib.sha256()
    for table in ("timeline_entities", "timeline_status", "timeline_states"):
        for row in view.select(f"SELECT * FROM {table} ORDER BY 1, 2, 3"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[SanctionsApp]:
    """An SQLite store of about 3,000 synthetic events, projected page by page."""
    app = SanctionsApp(resolve_store(str(tmp_path / "events.sqlite"), {}))
    load(app, entities(3_000, seed=7), batch=50)
    yield app
    app.close()


def in_key_order_from(monkeypatch: pytest.MonkeyPatch, backlog: int) -> None:
    monkeypatch.setattr(bulk, "BULK_BACKLOG", backlog)
    monkeypatch.setattr(bulk, "KEY_CHUNK", 40)  # many chunks, a chunk per few entities


class TestInKeyOrder:
    @pytest.mark.parametrize("workers", [1, 2])
    def test_a_rebuild_in_key_order_gives_the_rows_page_by_page_gives(
        self, loaded: SanctionsApp, monkeypatch: pytest.MonkeyPatch, workers: int
    ) -> None:
        expected = table_digest(loaded)
        in_key_order_from(monkeypatch, 1)

        read = timeline.rebuild(loaded, workers=workers)

        assert read == loaded.max_position()
        assert timeline.timeline_view(loaded).max_tracking_id(loaded.name) == read
        assert table_digest(loaded) == expected

    def test_rows_of_entities_not_in_the_log_go_as_with_dropped_tables(
        self, loaded: SanctionsApp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        expected = table_digest(loaded)
        view = timeline.timeline_view(loaded)
        with view._transaction(commit=True) as cursor:
            for entity_id in ("00000000-0000-0000-0000-000000000000", "f" * 8 + "-0000" * 4):
                cursor.execute(
                    "INSERT INTO timeline_entities VALUES (?, 'Gone', 0, '{}', FALSE, 'gone')",
                    (entity_id,),
                )
                cursor.execute(
                    "INSERT INTO timeline_status VALUES (?, 0, 1, 'lifted', 'lifted')",
                    (entity_id,),
                )
        in_key_order_from(monkeypatch, 1)

        timeline.rebuild(loaded, workers=2)

        assert table_digest(loaded) == expected

    def test_a_long_backlog_is_caught_up_in_key_order_to_the_same_rows(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = SanctionsApp(resolve_store(str(tmp_path / "events.sqlite"), {}))
        load(app, entities(1_500, seed=7), batch=50)
        app.after_save = []  # then a long backlog: not projected after each batch
        load(app, entities(1_500, seed=8), batch=50)
        assert (timeline.timeline_view(app).max_tracking_id(app.name) or 0) < app.max_position()
        in_key_order_from(monkeypatch, 100)

        read = timeline.catch_up(app)

        expected_app = SanctionsApp(resolve_store(str(tmp_path / "other.sqlite"), {}))
        load(expected_app, entities(1_500, seed=7), batch=50)
        load(expected_app, entities(1_500, seed=8), batch=50)
        assert read > 100
        assert timeline.timeline_view(app).max_tracking_id(app.name) == app.max_position()
        assert answers(app) == answers(expected_app)
        app.close()
        expected_app.close()

    def test_it_stops_without_a_word_when_another_process_got_further(
        self, loaded: SanctionsApp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        view = timeline.timeline_view(loaded)
        position = view.max_tracking_id(loaded.name) or 0
        before = table_digest(loaded)

        read = timeline.project_in_key_order(loaded, 0, position - 1, workers=1)

        assert read == 0
        assert view.max_tracking_id(loaded.name) == position
        assert table_digest(loaded) == before


def answers(app: SanctionsApp) -> dict[str, Any]:
    """Every entity's status answers at a few cuts, from the timeline (ids differ between
    stores that loaded the same synthetic record: event ids are random)."""
    found: dict[str, Any] = {}
    for year in (1990, 2000, 2010, 2020):
        as_of = DateInterval(str(year), date(year, 1, 1), date(year + 1, 1, 1))
        for entity_id, status in timeline.statuses(app, as_of).items():
            found.setdefault(entity_id, []).append(
                (status.status, status.possible_statuses, status.status_at_start)
            )
    return found


# -- following from a second process ------------------------------------------------------


class TestFollowerApart:
    def test_an_import_followed_from_another_process_is_projected_when_it_closes(
        self, tmp_path: Path
    ) -> None:
        followed = SanctionsApp(resolve_store(str(tmp_path / "apart.sqlite"), {}))
        here = SanctionsApp(resolve_store(str(tmp_path / "here.sqlite"), {}))

        with timeline.FollowerApart(followed) as follower:
            followed.after_save = [follower]
            load(followed, entities(2_000, seed=3), batch=40)
        load(here, entities(2_000, seed=3), batch=40)

        view = timeline.timeline_view(followed)
        assert view.max_tracking_id(followed.name) == followed.max_position()
        assert answers(followed) == answers(here)
        assert follower.peak_mib > 0
        followed.close()
        here.close()

    def test_when_the_other_process_cannot_start_closing_catches_up_here(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = SanctionsApp(resolve_store(str(tmp_path / "events.sqlite"), {}))

        def cannot_start(process: object) -> None:
            raise OSError("no more processes")

        monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", cannot_start)

        with timeline.FollowerApart(app) as follower:
            app.after_save = [follower]
            load(app, entities(500, seed=3), batch=40)

        assert timeline.timeline_view(app).max_tracking_id(app.name) == app.max_position()
        assert len(answers(app)) == len(timeline.views(app, AS_OF))
        app.close()
