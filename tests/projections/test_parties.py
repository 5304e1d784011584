"""Parties on the read side: any member answers for all, on every time axis; the
all-entity answers (timeline rows combined by the fold) equal the fold of every party."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.dates import DateInterval, parse_date
from domain.entity import Entity
from domain.errors import DomainError
from domain.record import SANCTION_LAPSED, SANCTION_LIFTED, Source
from events_log.app import SanctionsApp
from events_log.bundled import load_article
from events_log.links import link, unlink
from events_log.store import resolve_store
from projections import json_tables, parties, render, timeline
from projections.views import Horizon
from tests.builders import intervals

REVIEW = Source("Desk review", published=date(2020, 1, 1))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SanctionsApp]:
    opened = SanctionsApp(resolve_store(str(tmp_path / "s.sqlite"), {}))
    yield opened
    opened.close()


def status_of(app: SanctionsApp, name: str, as_of: str, horizon: Horizon) -> dict[str, Any]:
    (party,) = parties.parties_for(app, [name], horizon)
    return render.entity_json(parties.party_view(party, parse_date(as_of, cap=False)))


class TestPartyAnswers:
    def test_any_members_name_answers_for_the_whole_party(self, app: SanctionsApp) -> None:
        load_article(app)
        link(app, "Norinco", "Kunlun Bank", REVIEW, "test")

        by_norinco = status_of(app, "Norinco", "2011", Horizon())
        by_kunlun = status_of(app, "Kunlun Bank", "2011", Horizon())

        assert by_norinco["name"] == "China North Industries Corp."
        assert by_kunlun["name"] == "Kunlun Bank"
        assert [m["name"] for m in by_norinco["members"]] == [
            "China North Industries Corp.",
            "Kunlun Bank",
        ]
        assert {m["measure_id"] for m in by_norinco["measures"]} == {
            m["measure_id"] for m in by_kunlun["measures"]
        }
        assert by_norinco["status"] == "uncertain"
        assert by_norinco["possible_statuses"] == ["sanctioned", "lapsed"]

    def test_a_party_measure_in_force_settles_a_members_conflict(self, app: SanctionsApp) -> None:
        load_article(app)
        alone = status_of(app, "Norinco", "2013-10-04", Horizon())

        link(app, "Norinco", "Polytechnologies", REVIEW, "test")
        together = status_of(app, "Norinco", "2013-10-04", Horizon())

        assert [c["kind"] for c in alone["conflicts"]] == ["delisting_request_without_measure"]
        assert together["conflicts"] == []

    def test_recorded_by_before_the_link_shows_the_members_apart(self, app: SanctionsApp) -> None:
        load_article(app)
        before = datetime.now(UTC)
        link(app, "Norinco", "Kunlun Bank", REVIEW, "test")

        earlier = status_of(app, "Norinco", "2011", Horizon(recorded_by=before))
        now = status_of(app, "Norinco", "2011", Horizon())

        assert [m["name"] for m in earlier["members"]] == ["China North Industries Corp."]
        assert len(now["members"]) == 2

    @pytest.mark.parametrize(("reported_by", "members"), [("2019-12-31", 1), ("2020-01-01", 2)])
    def test_reported_by_counts_a_link_from_its_sources_date(
        self, app: SanctionsApp, reported_by: str, members: int
    ) -> None:
        load_article(app)
        link(app, "Norinco", "Kunlun Bank", REVIEW, "test")

        found = status_of(
            app, "Norinco", "2011", Horizon(reported_by=date.fromisoformat(reported_by))
        )

        assert len(found["members"]) == members

    def test_sources_break_the_status_down_and_disagree(self, app: SanctionsApp) -> None:
        load_article(app)
        other = app.register_entity(
            name="NORINCO (list)",
            kind="company",
            country=None,
            effective=None,
            source=Source("A list", publisher="A list"),
        )
        app.act(
            [other],
            lambda e: e.impose(
                "State",
                "Missile",
                None,
                effective=parse_date("2003-05-23"),
                source=Source("A list", publisher="A list", published=date(2014, 1, 1)),
            ),
        )
        link(app, "Norinco", "NORINCO (list)", REVIEW, "same company")

        found = status_of(app, "NORINCO (list)", "2010", Horizon())

        assert [(s["source"], s["status"]) for s in found["sources"]] == [
            ("A list", "sanctioned"),
            ("China Asks U.S. to Lift Sanctions on Arms Proliferators, Iran Traders", "lapsed"),
        ]
        assert found["disagreement"] is True
        assert found["status"] == "sanctioned"

    def test_all_entity_answers_list_each_party_once(self, app: SanctionsApp) -> None:
        load_article(app)
        link(app, "Norinco", "Kunlun Bank", REVIEW, "test")
        as_of = parse_date("2010", cap=False)

        names = [v.record.name for v in parties.combine(app, timeline.views(app, as_of), as_of)]

        assert len(names) == 7
        assert "Kunlun Bank" not in names
        assert "China North Industries Corp." in names


# -- property: on random records with random links, the timeline (combined) and the fold --


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """The fields both ways give: the timeline keeps no sources for an unlinked entity."""
    found = {k: v for k, v in data.items() if k not in ("sources", "disagreement")}
    found["measures"] = [{k: v for k, v in m.items() if k != "source"} for m in data["measures"]]
    return found


INTERVALS = intervals(date(2000, 1, 1), 8 * 365)  # days, years, ranges, open ends, undated


ACTIONS = st.tuples(
    st.sampled_from(["impose", "lapse", "lift", "waive", "end-waiver", "request", "decide"]),
    st.integers(0, 20),
    INTERVALS,
)


def act(entity: Entity, action: str, pick: int, when: DateInterval | None) -> str:
    envelope: dict[str, Any] = {"effective": when, "source": REVIEW}
    measures = entity.record().measures
    measure = measures[pick % len(measures)].measure_id if measures else "none"
    if action == "impose":
        return entity.impose(f"Authority {pick % 3}", "Program", None, **envelope)
    if action in ("lapse", "lift"):
        kind = SANCTION_LAPSED if action == "lapse" else SANCTION_LIFTED
        return entity.end_measure(kind, measure, **envelope)
    if action == "waive":
        return entity.waive(measure, **envelope)
    if action == "end-waiver":
        return entity.end_waiver(measure, **envelope)
    if action == "request":
        return entity.request_delisting("China", None, **envelope)
    return entity.decide_delisting(None, "granted" if pick % 2 else "denied", **envelope)


def as_of_of(day: int, shape: str) -> DateInterval:
    start = date(1999, 1, 1) + timedelta(days=day)
    if shape == "day":
        return DateInterval("day", start, start + timedelta(days=1))
    if shape == "year":
        return DateInterval("year", date(start.year, 1, 1), date(start.year + 1, 1, 1))
    return DateInterval("range", start, start + timedelta(days=400))


LINKS = st.lists(
    st.tuples(st.sampled_from(["link", "unlink"]), st.integers(0, 3), st.integers(0, 3)),
    max_size=8,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(st.lists(ACTIONS, min_size=1, max_size=6), min_size=4, max_size=4),
    links=LINKS,
    as_ofs=st.lists(
        st.tuples(st.integers(0, 11 * 365), st.sampled_from(["day", "year", "range"])),
        min_size=1,
        max_size=3,
    ),
)
def test_on_random_records_and_links_the_timeline_and_the_fold_agree(
    app: SanctionsApp,
    plans: list[list[tuple[str, int, DateInterval | None]]],
    links: list[tuple[str, int, int]],
    as_ofs: list[tuple[int, str]],
) -> None:
    app.after_save = [timeline.follow]
    start = app.max_position()
    ids: list[UUID] = [
        app.register_entity(
            name=f"Entity {start}-{n}",
            kind="company",
            country=None,
            effective=None,
            source=REVIEW,
        )
        for n in range(4)
    ]
    steps: list[tuple[str, int, Any]] = [
        (action, pick, (n, when)) for n, plan in enumerate(plans) for action, pick, when in plan
    ]
    for index, (action, a, b) in enumerate(links):
        steps.insert(index * 3 % (len(steps) + 1), (action, a, b))
    for action, pick, rest in steps:
        try:
            if action == "link":
                link(app, ids[pick].hex, ids[rest].hex, REVIEW, None)
            elif action == "unlink":
                unlink(app, ids[pick].hex, ids[rest].hex, REVIEW)
            else:
                n, when = rest
                app.act([ids[n]], functools.partial(act, action=action, pick=pick, when=when))
        except DomainError:
            continue  # a rule refused it: the record stays as it was

    mine = {str(i) for i in ids}
    for day, shape in as_ofs:
        as_of = as_of_of(day, shape)
        expected = [
            comparable(render.entity_json(parties.party_view(p, as_of)))
            for p in parties.all_parties(app, Horizon())
            if p.record.entity_id in mine
        ]
        combined = parties.combine(app, timeline.views(app, as_of), as_of)
        found = [comparable(render.entity_json(v)) for v in combined if v.record.entity_id in mine]
        assert found == expected
        # the answer encoded straight from the rows is the combined views' answer, exactly
        texts = parties.status_texts(app, as_of)
        assert [json.loads(t.text) for t in texts] == [render.entity_json(v) for v in combined]
        csv_lines = json_tables.status_csv_lines(parties.status_fields(app, as_of))
        assert list(csv_lines) == list(render.status_csv_lines(combined))
        fields = parties.status_fields(app, as_of)
        table = json_tables.status_table_lines(fields, as_of, Horizon())
        assert list(table) == list(render.status_table_lines(combined, as_of, Horizon()))
