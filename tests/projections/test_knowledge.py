"""What was known: record-time and publication-time views, corrections, explain and diff."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from cli import main
from events_log.bundled import BUNDLED_DATASET

TODAY = date(2026, 11, 28)


def run(store: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--store", str(store)], stdout=out, stderr=err, environ={}, today=TODAY)
    return code, out.getvalue(), err.getvalue()


def run_json(store: Path, *argv: str) -> Any:
    code, out, err = run(store, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def event_id_where(store: Path, predicate: Callable[[dict[str, Any]], bool]) -> str:
    events = run_json(store, "log")["events"]
    matches = [e["event_id"] for e in events if predicate(e)]
    assert len(matches) == 1, matches
    return str(matches[0])


def kunlun_imposition(store: Path) -> str:
    return event_id_where(
        store, lambda e: e["type"] == "sanction_imposed" and "Kunlun" in e["source"]["quote"]
    )


def norinco_lapse(store: Path) -> str:
    return event_id_where(store, lambda e: e["type"] == "sanction_lapsed")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "events.sqlite"
    code, _, err = run(path, "init", "--empty")  # the article alone: its own answers
    assert code == 0, err
    code, _, err = run(path, "import", str(BUNDLED_DATASET))
    assert code == 0, err
    return path


def later_instant() -> str:
    """An instant strictly after everything recorded so far, then a pause so that the
    next events are recorded after it."""
    time.sleep(0.01)
    instant = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    return instant


class TestRecordedBy:
    def test_a_past_view_does_not_change_when_events_and_corrections_arrive(
        self, store: Path
    ) -> None:
        instant = later_instant()
        queries = [
            ["status", "--as-of", "2010", "--recorded-by", instant],
            ["history", "Kunlun Bank", "--recorded-by", instant],
            ["replay", "Norinco", "--recorded-by", instant],
            ["explain", "Kunlun Bank", "--as-of", "2010", "--recorded-by", instant],
            ["diff", "--from", "2010", "--to", "2013", "--recorded-by", instant],
        ]
        before = [run_json(store, *q) for q in queries]

        assert (
            run(
                store,
                "append",
                "negotiation",
                "--entity",
                "Norinco",
                "--forum",
                "JCCT",
                "--date",
                "2013-12",
                "--source",
                "Later",
                "--source-date",
                "2014-01-02",
            )[0]
            == 0
        )
        assert (
            run(
                store,
                "append",
                "correction",
                "--target",
                kunlun_imposition(store),
                "--date",
                "2011",
                "--source",
                "Later",
                "--source-date",
                "2014-01-02",
            )[0]
            == 0
        )
        assert (
            run(
                store,
                "append",
                "retraction",
                "--target",
                norinco_lapse(store),
                "--reason",
                "misread",
                "--source",
                "Later",
                "--source-date",
                "2014-01-02",
            )[0]
            == 0
        )
        after = [run_json(store, *q) for q in queries]

        assert after == before
        now = run_json(store, "status", "Kunlun Bank", "--as-of", "2010")["entities"][0]
        assert now["status"] == "not_sanctioned"  # the correction is visible without the horizon

    def test_a_day_means_the_end_of_that_day(self, store: Path) -> None:
        yesterday = "2026-11-27"

        entities = run_json(store, "status", "--as-of", "2010", "--recorded-by", yesterday)

        assert entities["entities"] == []
        assert entities["recorded_by"] == "2026-11-27T23:59:59.999999+00:00"

    def test_a_malformed_instant_is_refused(self, store: Path) -> None:
        code, _out, err = run(store, "status", "--recorded-by", "yesterday")

        assert code == 2
        assert err == (
            "error: recorded-by 'yesterday' is not an ISO timestamp "
            "(2013-10-04T12:00:00Z) or a day\n"
        )


class TestReportedBy:
    def test_the_day_before_the_article_knows_nothing_it_says(self, store: Path) -> None:
        result = run_json(store, "status", "--as-of", "2013-10-04", "--reported-by", "2013-10-03")

        assert result["entities"] == []
        assert result["reported_by"] == "2013-10-03"

    def test_a_named_entity_unknown_by_then_is_not_sanctioned(self, store: Path) -> None:
        result = run_json(
            store,
            "status",
            "Polytechnologies",
            "--as-of",
            "2013-10-04",
            "--reported-by",
            "2013-10-03",
        )

        entity = result["entities"][0]
        assert (entity["name"], entity["status"], entity["measures"]) == (
            "Polytechnologies, Inc.",
            "not_sanctioned",
            [],
        )

    def test_a_correction_counts_from_its_own_publication_date(self, store: Path) -> None:
        run(
            store,
            "append",
            "correction",
            "--target",
            kunlun_imposition(store),
            "--date",
            "2011",
            "--source",
            "Later report",
            "--source-date",
            "2014-01-01",
        )

        before = run_json(
            store, "status", "Kunlun Bank", "--as-of", "2010", "--reported-by", "2013-12-31"
        )["entities"][0]
        after = run_json(
            store, "status", "Kunlun Bank", "--as-of", "2010", "--reported-by", "2014-01-01"
        )["entities"][0]

        assert before["possible_statuses"] == ["sanctioned", "not_sanctioned"]
        assert after["status"] == "not_sanctioned"


class TestCorrections:
    def test_history_shows_the_whole_chain_with_beliefs(self, store: Path) -> None:
        target = kunlun_imposition(store)
        run(
            store,
            "append",
            "correction",
            "--target",
            target,
            "--date",
            "2011",
            "--source",
            "R1",
            "--source-date",
            "2014-01-01",
        )
        run(
            store,
            "append",
            "correction",
            "--target",
            target,
            "--date",
            "2012",
            "--source",
            "R2",
            "--source-date",
            "2014-02-01",
        )

        events = run_json(store, "history", "Kunlun Bank")["events"]

        chain = [
            (e["type"], e["belief"]) for e in events if target in (e["event_id"], e.get("target"))
        ]
        assert chain == [
            ("sanction_imposed", "corrected"),
            ("event_corrected", "current"),
            ("event_corrected", "current"),
        ]
        imposed = next(e for e in events if e["event_id"] == target)
        assert imposed["corrected_to"]["effective"]["text"] == "2012"  # latest recorded wins

    def test_retracting_a_correction_restores_the_previous_belief(self, store: Path) -> None:
        target = kunlun_imposition(store)
        run(
            store,
            "append",
            "correction",
            "--target",
            target,
            "--date",
            "2012",
            "--source",
            "R1",
            "--source-date",
            "2014-01-01",
        )
        correction = event_id_where(store, lambda e: e["type"] == "event_corrected")

        code, _, err = run(
            store,
            "append",
            "retraction",
            "--target",
            correction,
            "--reason",
            "wrong",
            "--source",
            "R2",
            "--source-date",
            "2014-02-01",
        )
        status = run_json(store, "status", "Kunlun Bank", "--as-of", "2011")["entities"][0]
        beliefs = {
            e["event_id"]: e["belief"] for e in run_json(store, "history", "Kunlun Bank")["events"]
        }

        assert code == 0, err
        assert status["possible_statuses"] == ["sanctioned", "not_sanctioned"]
        assert (beliefs[target], beliefs[correction]) == ("current", "retracted")

    def test_a_retracted_lapse_no_longer_ends_the_measure(self, store: Path) -> None:
        run(
            store,
            "append",
            "retraction",
            "--target",
            norinco_lapse(store),
            "--reason",
            "misread",
            "--source",
            "R",
            "--source-date",
            "2014-01-01",
        )

        status = run_json(store, "status", "Norinco", "--as-of", "2010")["entities"][0]

        assert status["status"] == "sanctioned"

    def test_a_correction_that_puts_a_lapse_before_its_imposition_is_refused(
        self, store: Path
    ) -> None:
        before = run_json(store, "log")["events"]

        code, _out, err = run(
            store,
            "append",
            "correction",
            "--target",
            norinco_lapse(store),
            "--date",
            "1999",
            "--source",
            "R",
            "--source-date",
            "2014-01-01",
        )

        assert code == 2
        assert err == (
            "error: lapse date 1999 is before imposition date early 2000s of measure "
            "U.S. government / U.S. sanctions (program not named in source)\n"
        )
        assert run_json(store, "log")["events"] == before

    def test_a_target_that_does_not_exist_is_refused(self, store: Path) -> None:
        code, _, err = run(
            store,
            "append",
            "retraction",
            "--target",
            "0123456789ab",
            "--reason",
            "x",
            "--source",
            "R",
        )

        assert code == 2
        assert err == "error: event '0123456789ab' is not on record\n"


class TestExplain:
    def test_an_uncertain_answer_names_the_straddling_event_and_what_settles_it(
        self, store: Path
    ) -> None:
        result = run_json(store, "explain", "Kunlun Bank", "--as-of", "2010")

        straddling = result["straddling"]
        assert result["entity"]["status"] == "uncertain"
        assert [e["type"] for e in straddling] == ["sanction_imposed"]
        assert straddling[0]["settled_by"] == (
            "a source dating this sanction imposed on or before 2010-12-31, "
            "or on or after 2011-01-01"
        )

    def test_a_certain_answer_lists_the_events_that_decide_it_with_quotes(
        self, store: Path
    ) -> None:
        code, out, _ = run(store, "explain", "Norinco", "--as-of", "2010")

        assert code == 0
        assert "happened: sanction imposed early 2000s [2000/2003]" in out
        assert "happened: sanction lapsed 2007" in out
        assert '"The sanctions lapse in 2007."' in out
        assert all(len(line) <= 80 for line in out.splitlines())


class TestDiff:
    def test_lists_entities_whose_status_changed_with_the_events_between(self, store: Path) -> None:
        result = run_json(store, "diff", "--from", "2010", "--to", "2013-10-04")

        changed = {e["name"]: (e["status_from"], e["status_to"]) for e in result["entities"]}
        assert changed["Polytechnologies, Inc."] == ("not_sanctioned", "sanctioned")
        assert changed["Zhuhai Zhenrong Co."] == ("not_sanctioned", "sanctioned")
        assert "China North Industries Corp." not in changed
        poly = next(e for e in result["entities"] if e["name"] == "Polytechnologies, Inc.")
        assert [e["type"] for e in poly["events_between"]] == [
            "sanction_imposed",
            "delisting_requested",
        ]

    def test_a_reversed_pair_of_dates_is_refused(self, store: Path) -> None:
        code, _, err = run(store, "diff", "--from", "2013", "--to", "2010")

        assert code == 2
        assert err == "error: diff --to '2010' is before --from '2013'\n"


class TestMovingAnEvent:
    def test_a_correction_of_the_entity_moves_the_fact_with_a_shared_correlation(
        self, store: Path
    ) -> None:
        activity = event_id_where(
            store,
            lambda e: e["type"] == "activity_reported" and "explosives" in e["summary"],
        )

        code, _out, err = run(
            store,
            "append",
            "correction",
            "--target",
            activity,
            "--entity",
            "CPMIEC",
            "--source",
            "Erratum",
            "--source-date",
            "2013-10-05",
        )
        norinco = run_json(store, "history", "Norinco")["events"]
        cpmiec = run_json(store, "history", "CPMIEC")["events"]

        assert code == 0, err
        moved = next(
            e for e in cpmiec if e["type"] == "activity_reported" and "explosives" in e["summary"]
        )
        retraction = next(e for e in norinco if e["type"] == "event_retracted")
        assert retraction["target"] == activity
        assert retraction["correlation_id"] == moved["correlation_id"] is not None
        assert next(e for e in norinco if e["event_id"] == activity)["belief"] == "retracted"
        assert moved["source"]["quote"] == "The company also sold explosives to Syria."

    def test_a_lapse_cannot_move_away_from_its_measure(self, store: Path) -> None:
        before = run_json(store, "log")["events"]

        code, _, err = run(
            store,
            "append",
            "correction",
            "--target",
            norinco_lapse(store),
            "--entity",
            "CPMIEC",
            "--source",
            "Erratum",
        )

        assert code == 2
        assert err == (
            "error: a lapse cannot move to another entity: it belongs to a measure or "
            "request of its own entity; retract it and append it where it belongs\n"
        )
        assert run_json(store, "log")["events"] == before
