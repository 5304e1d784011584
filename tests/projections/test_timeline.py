"""The status timeline: the same answers as the fold, kept up to date, caught up, rebuilt."""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from domain.dates import DateInterval, parse_date
from domain.entity import Entity
from domain.errors import DomainError
from domain.record import SANCTION_LAPSED, SANCTION_LIFTED
from events_log.app import SanctionsApp
from events_log.bundled import load_article
from events_log.links import link, parties, unlink
from events_log.session import ImportSession
from events_log.store import StoreError, resolve_store
from projections import render, timeline
from projections.parties import status_texts
from projections.views import Horizon, all_records, record_of, view
from tests.builders import SOURCE, intervals

AS_OF_TEXTS = ["1989", "2000", "2005", "2007", "2010", "2013", "2013-10-04", "2000/2009"]


@pytest.fixture
def app(store_url: str) -> Iterator[SanctionsApp]:
    opened = SanctionsApp(resolve_store(store_url, {}))
    yield opened
    opened.close()


def fold_json(app: SanctionsApp, as_of: DateInterval) -> list[dict[str, Any]]:
    records = sorted(all_records(app, Horizon()), key=lambda r: r.name.casefold())
    return [render.entity_json(view(r, as_of)) for r in records]


def timeline_json(app: SanctionsApp, as_of: DateInterval) -> list[dict[str, Any]]:
    return [render.entity_json(v) for v in timeline.views(app, as_of)]


def row_counts(app: SanctionsApp) -> dict[str, int]:
    view_ = timeline.timeline_view(app)
    tables = ["timeline_entities", "timeline_status", "timeline_states"]
    counts = {}
    for table in tables:
        rows = view_.select(f"SELECT COUNT(*) AS n FROM {table}")
        counts[table] = int(rows[0][0])
    return counts


def register(app: SanctionsApp, name: str, when: str = "2000") -> UUID:
    return app.register_entity(
        name=name, kind="company", country=None, effective=parse_date(when), source=SOURCE
    )


def impose(app: SanctionsApp, entity_id: UUID, when: str) -> str:
    effective = parse_date(when, published=SOURCE.published)
    return app.act(
        [entity_id],
        lambda e: e.impose("US State Dept", "INKSNA", None, effective=effective, source=SOURCE),
    )[0]


class TestAnswers:
    @pytest.mark.parametrize("as_of_text", AS_OF_TEXTS)
    def test_every_entity_of_the_bundled_dataset_has_the_fold_answer(
        self, app: SanctionsApp, as_of_text: str
    ) -> None:
        load_article(app)
        as_of = parse_date(as_of_text, cap=False)

        answers = timeline_json(app, as_of)

        assert answers == fold_json(app, as_of)
        assert len(answers) == 8

    @pytest.mark.parametrize(
        ("start", "end"), [("1995", "2013"), ("2000", "2005"), ("2013", "2013")]
    )
    def test_the_entities_a_diff_folds_are_those_whose_possible_statuses_changed(
        self, app: SanctionsApp, start: str, end: str
    ) -> None:
        load_article(app)
        low, high = parse_date(start, cap=False), parse_date(end, cap=False)
        records = sorted(all_records(app, Horizon()), key=lambda r: r.name.casefold())
        expected = [
            r.entity_id
            for r in records
            if view(r, low).at_end.possible_statuses != view(r, high).at_end.possible_statuses
        ]

        assert timeline.changed(app, low, high) == expected
        assert bool(expected) == (start != end)

    def test_statuses_give_the_headline_at_both_ends_of_the_period(self, app: SanctionsApp) -> None:
        load_article(app)

        found = timeline.statuses(app, parse_date("2007", cap=False))

        norinco = next(
            v
            for v in timeline.views(app, parse_date("2007", cap=False))
            if v.record.name.startswith("China North")
        )
        entry = found[norinco.record.entity_id]
        assert (entry.status, entry.status_at_start) == ("lapsed", "sanctioned")

    def test_status_without_names_reads_the_timeline_and_prints_the_fold_answer(
        self, store_url: str
    ) -> None:
        out = io.StringIO()

        code = main(
            ["status", "--as-of", "2010", "--store", store_url],
            stdout=out,
            stderr=io.StringIO(),
            environ={},
            today=date(2026, 1, 1),
        )

        assert code == 0
        assert "China North Industries Corp.       lapsed" in out.getvalue()


class TestFollowingTheLog:
    def test_each_write_brings_the_timeline_up_to_date(self, app: SanctionsApp) -> None:
        entity_id = register(app, "Acme Trading")

        impose(app, entity_id, "2005")

        view_ = timeline.timeline_view(app)
        assert view_.max_tracking_id(app.name) == app.max_position()
        entry = timeline.statuses_between(view_, *_day_cuts(date(2006, 1, 1)))[str(entity_id)]
        assert entry.status == "sanctioned"

    def test_a_read_catches_up_after_a_crash_between_saving_and_projecting(
        self, app: SanctionsApp
    ) -> None:
        app.after_save = []  # the process dies after saving, before projecting
        entity_id = register(app, "Acme Trading")
        impose(app, entity_id, "2005")
        assert (timeline.timeline_view(app).max_tracking_id(app.name) or 0) < app.max_position()

        as_of = parse_date("2006", cap=False)
        answers = timeline_json(app, as_of)

        assert answers == fold_json(app, as_of)
        assert answers[0]["status"] == "sanctioned"
        assert timeline.timeline_view(app).max_tracking_id(app.name) == app.max_position()

    def test_processing_the_same_notifications_twice_changes_nothing(
        self, app: SanctionsApp
    ) -> None:
        app.after_save = []
        load_article(app)
        page = app.recorder.select_notifications(start=1, limit=1000)
        projection = timeline.TimelineProjection(timeline.timeline_view(app), app)
        projection.process(page)
        before = row_counts(app)

        with pytest.raises(IntegrityError):
            projection.process(page)

        assert row_counts(app) == before
        assert before["timeline_entities"] == 8

    def test_each_event_through_the_library_interface_gives_the_same_rows(
        self, app: SanctionsApp
    ) -> None:
        load_article(app)
        expected = row_counts(app)
        timeline.timeline_view(app).reset(app.name)
        projection = timeline.TimelineProjection(timeline.timeline_view(app), app)

        for notification in app.recorder.select_notifications(start=1, limit=1000):
            projection.process_event(
                app.mapper.to_domain_event(notification),
                Tracking(app.name, notification.id),
            )

        assert row_counts(app) == expected
        as_of = parse_date("2010", cap=False)
        assert timeline_json(app, as_of) == fold_json(app, as_of)

    def test_a_second_process_catching_up_at_once_stops_without_error(
        self, app: SanctionsApp, store_url: str
    ) -> None:
        app.after_save = []
        load_article(app)
        other = SanctionsApp(resolve_store(store_url, {}))
        page = other.recorder.select_notifications(start=1, limit=1000)
        timeline.catch_up(app)

        with pytest.raises(IntegrityError):
            timeline.TimelineProjection(timeline.timeline_view(other), other).process(page)
        done = timeline.catch_up(other)

        other.close()
        assert done == 0

    def test_a_correction_moves_the_entity_rows(self, app: SanctionsApp) -> None:
        entity_id = register(app, "Acme Trading")
        imposition = impose(app, entity_id, "2005")
        as_of = parse_date("2004", cap=False)
        assert timeline_json(app, as_of)[0]["status"] == "not_sanctioned"

        app.act(
            [entity_id],
            lambda e: e.correct(
                imposition, {"effective": parse_date("2003")}, effective=None, source=SOURCE
            ),
        )

        assert timeline_json(app, as_of)[0]["status"] == "sanctioned"
        assert timeline_json(app, as_of) == fold_json(app, as_of)

    def test_a_retraction_removes_the_measure_from_the_timeline(self, app: SanctionsApp) -> None:
        entity_id = register(app, "Acme Trading")
        imposition = impose(app, entity_id, "2005")

        app.act(
            [entity_id],
            lambda e: e.retract(imposition, "wrong entity", effective=None, source=SOURCE),
        )

        answer = timeline_json(app, parse_date("2010", cap=False))[0]
        assert (answer["status"], answer["measures"]) == ("not_sanctioned", [])

    def test_an_import_batch_is_projected_when_it_is_saved(self, app: SanctionsApp) -> None:
        session = ImportSession(app)
        for number in range(3):
            session.register(
                entity_id=UUID(int=number + 1),
                name=f"Company {number}",
                kind="company",
                country=None,
                effective=None,
                source=SOURCE,
            )

        session.flush()

        assert row_counts(app)["timeline_entities"] == 3


class TestTheLibraryRunner:
    @pytest.mark.postgres
    def test_on_postgresql_the_library_runner_follows_the_log(self, postgres_url: str) -> None:
        store = resolve_store(postgres_url, {})
        writer = SanctionsApp(store)
        writer.after_save = []  # only the runner projects
        with timeline.runner(store) as following:
            entity_id = register(writer, "Acme Trading")
            impose(writer, entity_id, "2005")
            others = [register(writer, name) for name in ("Acme Ltd", "Acme SA")]
            for other in others:
                link(writer, entity_id.hex, other.hex, SOURCE, "same register number")
            unlink(writer, entity_id.hex, others[0].hex, SOURCE)

            following.wait(writer.max_position(), timeout=10)

        view_ = timeline.timeline_view(writer)
        assert view_.max_tracking_id(writer.name) == writer.max_position()
        entry = timeline.statuses_between(view_, *_day_cuts(date(2006, 1, 1)))[str(entity_id)]
        assert entry.status == "sanctioned"
        stored = timeline.stored_parties(writer)  # the runner kept the links in force
        assert stored.groups() == [tuple(sorted((str(entity_id), str(others[1]))))]
        marked = view_.select("SELECT entity_id FROM timeline_entities WHERE linked")
        assert sorted(str(e) for (e,) in marked) == sorted(stored.groups()[0])
        assert list(stored.links.values()) == list(parties(writer).links.values())
        writer.close()

    def test_on_sqlite_the_runner_is_refused_for_want_of_a_subscription(
        self, tmp_path: Path
    ) -> None:
        store = resolve_store(str(tmp_path / "events.sqlite"), {})

        with pytest.raises(StoreError, match="needs a PostgreSQL store, not sqlite"):
            timeline.runner(store)


class TestRebuild:
    def test_rebuild_gives_the_same_rows_and_position(self, app: SanctionsApp) -> None:
        load_article(app)
        before = row_counts(app)
        as_of = parse_date("2013", cap=False)
        answers = timeline_json(app, as_of)

        read = timeline.rebuild(app, page=7)

        assert read == app.max_position()
        assert row_counts(app) == before
        assert timeline_json(app, as_of) == answers

    def test_the_rebuild_command_says_how_many_entries_it_read(self, store_url: str) -> None:
        out = io.StringIO()
        environ: dict[str, str] = {}
        main(["init", "--store", store_url], stdout=io.StringIO(), environ=environ)

        code = main(["rebuild", "--store", store_url], stdout=out, environ=environ)

        assert code == 0
        assert out.getvalue() == "rebuilt the status timeline from 3421 log entries\n"


def _day_cuts(day: date) -> tuple[int, int]:
    return day.toordinal(), day.toordinal() + 1


# -- property: on random records, the timeline and the fold agree -------------------------

BASE = date(2000, 1, 1)


INTERVALS = intervals(BASE, 8 * 365, months=True, longest_range=3 * 365)


ACTIONS = st.tuples(
    st.sampled_from(
        [
            "impose",
            "lapse",
            "lift",
            "waive",
            "end-waiver",
            "request",
            "decide",
            "negotiation",
            "activity",
            "correct",
            "retract",
        ]
    ),
    st.integers(0, 20),
    INTERVALS,
)


def _act(entity: Entity, action: str, pick: int, when: DateInterval | None) -> str:
    """Apply one random action; returns "" (``SanctionsApp.act`` wants an event id)."""
    envelope: dict[str, Any] = {"effective": when, "source": SOURCE}
    record = entity.record()
    measures = record.measures
    measure = measures[pick % len(measures)].measure_id if measures else "none"
    steps: dict[str, Callable[[], Any]] = {
        "impose": lambda: entity.impose(f"Authority {pick % 3}", "Program", None, **envelope),
        "lapse": lambda: entity.end_measure(SANCTION_LAPSED, measure, **envelope),
        "lift": lambda: entity.end_measure(SANCTION_LIFTED, measure, **envelope),
        "waive": lambda: entity.waive(measure, **envelope),
        "end-waiver": lambda: entity.end_waiver(measure, **envelope),
        "request": lambda: entity.request_delisting("China", None, **envelope),
        "decide": lambda: entity.decide_delisting(
            None, "granted" if pick % 2 else "denied", **envelope
        ),
        "negotiation": lambda: entity.mention_negotiation("JCCT", None, **envelope),
        "activity": lambda: entity.report_activity("sold parts", **envelope),
    }
    if action in steps:
        steps[action]()
        return ""
    targets = [e.event_id for e in entity.events[1:] if e.type not in ("event_retracted",)]
    if not targets:
        return ""
    target = targets[pick % len(targets)]
    if action == "correct":
        entity.correct(target, {"effective": when}, effective=None, source=SOURCE)
    else:
        entity.retract(target, "withdrawn", effective=None, source=SOURCE)
    return ""


def _as_of(day: int, shape: str) -> DateInterval:
    start = date(1999, 1, 1) + timedelta(days=day)
    if shape == "day":
        return DateInterval("day", start, start + timedelta(days=1))
    if shape == "year":
        return DateInterval("year", date(start.year, 1, 1), date(start.year + 1, 1, 1))
    return DateInterval("range", start, start + timedelta(days=400))


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=st.tuples(st.just("impose"), st.integers(0, 20), INTERVALS).flatmap(
        lambda first: st.lists(ACTIONS, max_size=14).map(lambda rest: [first, *rest])
    ),
    as_ofs=st.lists(
        st.tuples(st.integers(0, 11 * 365), st.sampled_from(["day", "year", "range"])),
        min_size=1,
        max_size=4,
    ),
    crash=st.booleans(),
)
def test_on_random_records_the_timeline_and_the_fold_give_the_same_answers(
    app: SanctionsApp,
    plan: list[tuple[str, int, DateInterval | None]],
    as_ofs: list[tuple[int, str]],
    crash: bool,
) -> None:
    app.after_save = [] if crash else [timeline.follow]
    entity_id = register(app, f"Entity {app.max_position()}")
    for action, pick, when in plan:
        try:
            app.act([entity_id], functools.partial(_act, action=action, pick=pick, when=when))
        except DomainError:
            continue  # a rule refused it: the record stays as it was

    for day, shape in as_ofs:
        as_of = _as_of(day, shape)
        expected = render.entity_json(
            view(record_of(str(entity_id), app.entity_events(entity_id), Horizon()), as_of)
        )
        found = [v for v in timeline.views(app, as_of) if v.record.entity_id == str(entity_id)]
        assert [render.entity_json(v) for v in found] == [expected]
        texts = [
            t.text
            for t in status_texts(app, as_of)
            if json.loads(t.text)["entity_id"] == entity_id.hex
        ]
        assert texts == [json.dumps(expected, ensure_ascii=False)]
