"""The command line: exit codes, the JSON contract and the exact text a user sees."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from cli import main

TODAY = date(2026, 11, 28)
NORINCO = "China North Industries Corp."
CPMIEC = "China Precision Machinery Import/Export Corporation"
POLY = "Polytechnologies, Inc."
ZHUHAI = "Zhuhai Zhenrong Co."
KUNLUN = "Kunlun Bank"
UNNAMED_PROGRAM = "U.S. government / U.S. sanctions (program not named in source)"
NEW_SOURCE = ["--source", "Test report", "--source-date", "2014-01-15"]
WIDTH = 80
ARTICLE = "China Asks U.S. to Lift Sanctions on Arms Proliferators, Iran Traders"
ISN = "U.S. Department of State, Bureau of International Security and Nonproliferation"
BUNDLED_EVENTS = 64 + 1942 + 2 * 7  # the article, ten ISN copies, seven links


class Result(NamedTuple):
    code: int
    out: str
    err: str


class Sanctions:
    """The ``sanctions`` command against one store in a temporary home."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.store = home / "s.sqlite"

    def run(self, *argv: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = main(
            [*argv, "--store", str(self.store)],
            stdout=out,
            stderr=err,
            environ={"HOME": str(self.home)},
            today=TODAY,
        )
        return Result(code, out.getvalue(), err.getvalue())

    def json(self, *argv: str) -> Any:
        result = self.run(*argv, "--format", "json")
        assert result.code == 0, result.err
        return json.loads(result.out)

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.json("log")["events"]
        return events

    def entity(self, name: str, *argv: str) -> dict[str, Any]:
        entities: list[dict[str, Any]] = self.json("status", name, *argv)["entities"]
        assert len(entities) == 1
        return entities[0]


@pytest.fixture
def sanctions(tmp_path: Path) -> Sanctions:
    command = Sanctions(tmp_path)
    result = command.run("init")
    assert result.code == 0, result.err
    return command


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in data["entities"]}


def surely_before(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """True when the first effective interval ends before the second begins."""
    a, b = first["effective"], second["effective"]
    if a is None or b is None or a["until"] is None or b["from"] is None:
        return False
    return bool(a["until"] <= b["from"])


def assert_fits(text: str) -> None:
    too_wide = [line for line in text.splitlines() if len(line) > WIDTH]
    assert too_wide == []


class TestStatus:
    def test_as_of_2010_each_article_company_has_its_status(self, sanctions: Sanctions) -> None:
        data = sanctions.json("status", "--as-of", "2010")

        entities = by_name(data)
        assert {name: entities[name]["status"] for name in (NORINCO, POLY, ZHUHAI)} == {
            NORINCO: "lapsed",
            POLY: "not_sanctioned",
            ZHUHAI: "not_sanctioned",
        }
        assert entities[KUNLUN]["status"] == "uncertain"
        assert entities[KUNLUN]["possible_statuses"] == ["sanctioned", "not_sanctioned"]
        # The article's "in the past" leaves CPMIEC uncertain; its ISN entries settle it.
        assert entities[CPMIEC]["status"] == "sanctioned"
        assert [(s["source"], s["possible_statuses"]) for s in entities[CPMIEC]["sources"]] == [
            (ARTICLE, ["sanctioned", "not_sanctioned"]),
            (ISN, ["sanctioned"]),
        ]
        assert entities[NORINCO]["disagreement"] is True
        assert len(data["entities"]) == 490

    def test_the_json_names_the_as_of_period_and_no_horizon(self, sanctions: Sanctions) -> None:
        data = sanctions.json("status", "--as-of", "2010")

        assert data["as_of"] == {"input": "2010", "from": "2010-01-01", "until": "2011-01-01"}
        assert (data["recorded_by"], data["reported_by"]) == (None, None)

    def test_norinco_as_of_2007_lapsed_within_the_year(self, sanctions: Sanctions) -> None:
        norinco = sanctions.entity("Norinco", "--as-of", "2007")

        assert (norinco["status"], norinco["status_at_start"]) == ("lapsed", "sanctioned")
        assert [c["type"] for c in norinco["changed_within"]] == ["sanction_lapsed"]
        measure, *isn = norinco["measures"]
        assert [(m["entity_id"][:8], m["state"], m["ended"]["text"]) for m in isn] == [
            ("9e1916a8", "lifted", "09/19/05"),
            ("a432a4fb", "lifted", "5/23/2005"),
        ]
        assert measure["entity_id"][:8] == "56f94a08"
        assert (measure["state"], measure["possible_states"]) == ("lapsed", ["lapsed"])
        assert measure["imposed"] == {
            "text": "early 2000s",
            "from": "2000-01-01",
            "until": "2004-01-01",
        }
        assert measure["ended"] == {"text": "2007", "from": "2007-01-01", "until": "2008-01-01"}

    def test_polytechnologies_at_publication_has_a_certain_pending_request(
        self, sanctions: Sanctions
    ) -> None:
        poly = sanctions.entity("Polytechnologies", "--as-of", "2013-10-04")

        assert poly["status"] == "sanctioned"
        [request] = poly["pending_delisting_requests"]
        assert request["requested_by"] == "Chinese Ministry of Commerce"
        assert request["certain"] is True
        assert (request["date"]["from"], request["date"]["until"]) == ("2013-08-04", "2013-10-05")

    def test_without_as_of_the_status_is_as_of_today(self, sanctions: Sanctions) -> None:
        data = sanctions.json("status", "Norinco")

        assert data["as_of"] == {"input": "2026-11-28", "from": "2026-11-28", "until": "2026-11-29"}

    def test_the_table_shows_one_line_per_entity_and_notes_below(
        self, sanctions: Sanctions
    ) -> None:
        result = sanctions.run("status", "--as-of", "2010")

        lines = result.out.splitlines()
        assert result.code == 0
        assert lines[0] == "Status at the end of 2010 (2010-01-01 .. 2010-12-31)"
        assert f"{'ENTITY':<34} STATUS" in lines
        assert f"{NORINCO:<34} lapsed" in lines
        assert f"{POLY:<34} not_sanctioned" in lines
        kunlun = lines.index(f"{KUNLUN:<34} uncertain: sanctioned or not_sanctioned")
        assert lines[kunlun + 1] == f"{'':<34}   at start: not_sanctioned"

    def test_the_csv_starts_with_its_header(self, sanctions: Sanctions) -> None:
        result = sanctions.run("status", "--as-of", "2010", "--format", "csv")

        lines = result.out.splitlines()
        assert lines[0] == (
            "entity_id,name,status,possible_statuses,status_at_start,measures,"
            "pending_delisting_requests,identifiers"
        )
        assert len(lines) == 1 + len(sanctions.json("entities")["entities"])

    def test_the_status_table_fits_80_columns(self, sanctions: Sanctions) -> None:
        names = [e["name"] for e in sanctions.json("entities")["entities"]]

        outputs = [
            sanctions.run("status", "--as-of", "2010").out,
            sanctions.run("status", "--as-of", "2013-10-04").out,
            sanctions.run("status", *names, "--as-of", "2007").out,
        ]

        for output in outputs:
            assert_fits(output)

    def test_the_status_table_fits_80_columns_when_every_status_is_possible(
        self, sanctions: Sanctions
    ) -> None:
        # Three measures imposed in 2010; one lapsed, one lifted and one waived in 2010:
        # mid-2010 every status is possible, the longest status a table can show.
        commands = [
            ["registration", "--entity", "Acme", "--kind", "company", "--date", "2009"],
            *(
                ["imposition", "--entity", "Acme", "--date", "2010", "--authority", "X",
                 "--program", program]
                for program in ("Program P", "Program Q", "Program R")
            ),
            ["lapse", "--entity", "Acme", "--measure", "Program P", "--date", "2010"],
            ["lifting", "--entity", "Acme", "--measure", "Program Q", "--date", "2010"],
            ["waiver", "--entity", "Acme", "--measure", "Program R", "--date", "2010"],
        ]  # fmt: skip
        for command in commands:
            appended = sanctions.run("append", *command, *NEW_SOURCE)
            assert appended.code == 0, appended.err
        assert sanctions.entity("Acme", "--as-of", "2010-06-30")["possible_statuses"] == [
            "sanctioned",
            "waived",
            "lifted",
            "lapsed",
            "not_sanctioned",
        ]

        result = sanctions.run("status", "--as-of", "2010-06-30")

        assert_fits(result.out)


class TestHistory:
    def test_events_are_in_effective_order(self, sanctions: Sanctions) -> None:
        data = sanctions.json("history", "Norinco")

        events = data["events"]
        assert data["entity"]["name"] == NORINCO
        for index, listed in enumerate(events):
            for listed_after in events[index + 1 :]:
                assert not surely_before(listed_after, listed), (listed_after, listed)
        types = [e["type"] for e in events]
        assert types.index("sanction_imposed") < types.index("sanction_lapsed")

    def test_each_event_has_its_belief_and_quoted_source(self, sanctions: Sanctions) -> None:
        data = sanctions.json("history", "Polytechnologies")

        events = data["events"]
        assert {e["belief"] for e in events} == {"current"}
        # the article's, the ISN list's (its Federal Register notice, its copy), the links'
        assert sorted({(e["entity_id"][:8], e["source"]["published"]) for e in events}) == [
            ("a35e5a35", "2013-02-11"),
            ("a35e5a35", "2015-08-11"),
            ("a35e5a35", "2026-12-02"),
            ("b8f56e92", "2013-10-04"),
            ("b8f56e92", "2026-12-02"),
        ]
        assert {e["type"] for e in events if e["effective"] is None} == {"entities_linked"}
        for event in events:
            assert event["source"]["quote"]
            assert event["effective"] is None or set(event["effective"]) >= {
                "text",
                "from",
                "until",
            }

    def test_a_corrected_event_says_so_and_is_followed_by_its_correction(
        self, sanctions: Sanctions
    ) -> None:
        lapse = next(e for e in sanctions.events() if e["type"] == "sanction_lapsed")
        sanctions.run(
            "append", "correction", "--target", lapse["event_id"], "--date", "2008", *NEW_SOURCE
        )

        data = sanctions.json("history", "Norinco")

        types = [(e["type"], e["belief"]) for e in data["events"]]
        index = types.index(("sanction_lapsed", "corrected"))
        assert types[index + 1] == ("event_corrected", "current")

    def test_the_history_table_fits_80_columns(self, sanctions: Sanctions) -> None:
        names = [e["name"] for e in sanctions.json("entities")["entities"]]

        outputs = [sanctions.run("history", name).out for name in names]

        assert len(outputs) == 490
        for output in outputs:
            assert_fits(output)

    def test_the_history_table_starts_with_the_entity_name(self, sanctions: Sanctions) -> None:
        result = sanctions.run("history", "Kunlun Bank")

        assert result.out.splitlines()[:2] == [f"History of {KUNLUN}", ""]


class TestReplay:
    def test_each_event_is_followed_by_the_status_after_it(self, sanctions: Sanctions) -> None:
        data = sanctions.json("replay", "Norinco")

        after = {s["event"]["type"]: s["status_after"] for s in data["steps"]}
        types = [s["event"]["type"] for s in data["steps"]]
        assert after["sanction_imposed"] == "sanctioned"
        assert after["sanction_lapsed"] == "lapsed"
        assert types.index("sanction_imposed") < types.index("sanction_lapsed")
        assert {s["name"] for s in data["steps"]} == {NORINCO}

    def test_the_range_limits_the_events_shown(self, sanctions: Sanctions) -> None:
        data = sanctions.json("replay", "Norinco", "--from", "2005", "--to", "2010")

        types = [s["event"]["type"] for s in data["steps"]]
        # The lapse (2007) is inside; the imposition (early 2000s) ended before 2005, the
        # request and negotiations (2013) come after 2010. Undated activities may be inside.
        assert "sanction_lapsed" in types
        assert not {"sanction_imposed", "delisting_requested", "negotiation_mentioned"} & set(types)


class TestAppend:
    def test_an_appended_negotiation_shows_everywhere(self, sanctions: Sanctions) -> None:
        result = sanctions.run(
            "append", "negotiation", "--entity", NORINCO, "--date", "2013-11",
            "--forum", "JCCT", "--summary", "sanctions discussed", *NEW_SOURCE,
        )  # fmt: skip

        event = sanctions.events()[-1]
        assert result.code == 0
        assert result.out == f"recorded negotiation {event['event_id'][:8]} for {NORINCO}\n"
        history = [e["event_id"] for e in sanctions.json("history", "Norinco")["events"]]
        assert event["event_id"] in history
        replay = [s["event"]["event_id"] for s in sanctions.json("replay", "Norinco")["steps"]]
        assert event["event_id"] in replay
        negotiations = sanctions.entity("Norinco", "--as-of", "2014")["negotiations"]
        assert negotiations[0] == {
            "event_id": event["event_id"],
            "forum": "JCCT",
            "summary": "sanctions discussed",
            "date": {"text": "2013-11", "from": "2013-11-01", "until": "2013-12-01"},
            "certain": True,
            "entity_id": event["entity_id"],
        }

    def test_one_action_on_several_entities_shares_a_correlation_id(
        self, sanctions: Sanctions
    ) -> None:
        before = len(sanctions.events())

        result = sanctions.run(
            "append", "negotiation", "--entity", NORINCO, "--entity", "Kunlun Bank",
            "--date", "2013-11", "--forum", "JCCT", *NEW_SOURCE,
        )  # fmt: skip

        added = sanctions.events()[before:]
        assert result.code == 0, result.err
        assert [e["type"] for e in added] == ["negotiation_mentioned"] * 2
        assert len({e["entity_id"] for e in added}) == 2
        assert added[0]["correlation_id"] is not None
        assert added[0]["correlation_id"] == added[1]["correlation_id"]

    def test_the_one_open_measure_is_inferred(self, sanctions: Sanctions) -> None:
        imposition = sanctions.entity("Kunlun Bank", "--as-of", "2013-10-04")["measures"][0]

        result = sanctions.run(
            "append", "lapse", "--entity", "Kunlun Bank", "--date", "2014", *NEW_SOURCE
        )

        event = sanctions.events()[-1]
        assert result.out == f"recorded lapse {event['event_id'][:8]} for {KUNLUN}\n"
        assert (event["type"], event["measure_id"]) == ("sanction_lapsed", imposition["measure_id"])
        assert sanctions.entity("Kunlun Bank", "--as-of", "2015")["status"] == "lapsed"

    def test_a_decision_closes_the_pending_request(self, sanctions: Sanctions) -> None:
        result = sanctions.run(
            "append", "delisting-decision", "--entity", "Polytechnologies", "--date", "2013-12",
            "--outcome", "denied", *NEW_SOURCE,
        )  # fmt: skip

        assert result.code == 0, result.err
        poly = sanctions.entity("Polytechnologies", "--as-of", "2014")
        assert poly["pending_delisting_requests"] == []
        assert poly["status"] == "sanctioned"


class TestEntities:
    def test_every_entity_of_the_article_is_listed(self, sanctions: Sanctions) -> None:
        data = sanctions.json("entities")

        names = [e["name"] for e in data["entities"]]
        article = [
            "Chembay",
            "China",
            NORINCO,
            CPMIEC,
            KUNLUN,
            POLY,
            "Shanghai Abochem Chemical Company",
            ZHUHAI,
        ]
        assert [n for n in names if n in article] == article
        assert (len(names), sum(len(e["members"]) for e in data["entities"])) == (490, 497)
        assert [
            (e["name"], [m["entity_id"][:8] for m in e["members"]])
            for e in data["entities"]
            if len(e["members"]) > 1
        ] == [
            (NORINCO, ["56f94a08", "9e1916a8", "a432a4fb"]),
            (CPMIEC, ["d771217e", "ebb1e5fc", "0411e87d", "342ac11b", "40739ace"]),
            (POLY, ["b8f56e92", "a35e5a35"]),
        ]

    def test_a_query_matches_names_and_aliases(self, sanctions: Sanctions) -> None:
        data = sanctions.json("entities", "cpmiec")

        assert [(e["name"], e["aliases"]) for e in data["entities"]] == [(CPMIEC, ["CPMIEC"])]

    def test_the_table_has_a_header(self, sanctions: Sanctions) -> None:
        result = sanctions.run("entities")

        assert (
            result.out.splitlines()[0]
            == f"{'ID':<8} {'KIND':<10} {'NAME':<34} ALIASES / IDENTIFIERS"
        )


class TestLog:
    def test_positions_increase_in_recorded_order(self, sanctions: Sanctions) -> None:
        events = sanctions.events()

        positions = [e["position"] for e in events]
        assert len(events) == BUNDLED_EVENTS
        assert positions == sorted(set(positions))
        for event in events:
            assert {"position", "event_id", "entity_id", "type", "recorded_at"} <= set(event)


class TestInit:
    def test_init_loads_the_bundled_dataset(self, tmp_path: Path) -> None:
        command = Sanctions(tmp_path)

        result = command.run("init")

        assert result.out == (
            f"created store {command.store} with 64 events from article-2013-10-04.jsonl, "
            "1942 from 10 copies of the ISN list (2014-10-27 to 2016-12-02), "
            "7 reviewed links from links-article-isn.jsonl\n"
        )
        assert len(command.events()) == BUNDLED_EVENTS

    def test_init_empty_gives_no_entities(self, tmp_path: Path) -> None:
        command = Sanctions(tmp_path)

        result = command.run("init", "--empty")

        assert (result.code, result.out) == (0, f"created empty store {command.store}\n")
        assert command.json("entities") == {"entities": []}
        assert command.events() == []

    def test_a_store_used_before_init_is_created_with_a_note(self, tmp_path: Path) -> None:
        command = Sanctions(tmp_path)

        result = command.run("entities")

        assert result.code == 0
        assert result.err.startswith(f"note: created store {command.store} with the bundled")
        assert result.err.count("\n") == 1

    def test_init_on_an_existing_store_changes_nothing(self, sanctions: Sanctions) -> None:
        result = sanctions.run("init", "--empty")

        assert result.code == 0
        assert result.out.startswith(f"store {sanctions.store} already exists")
        assert len(sanctions.events()) == BUNDLED_EVENTS
        assert sanctions.json("entities")["entities"] != []


class TestBadInput:
    def refused(self, sanctions: Sanctions, *argv: str) -> str:
        """Run a command that must be refused; return its one error line."""
        before = len(sanctions.events())

        result = sanctions.run(*argv)

        assert result.code == 2
        assert result.out == ""
        assert result.err.startswith("error: ")
        assert result.err.endswith("\n")
        assert result.err.count("\n") == 1
        assert len(sanctions.events()) == before
        return result.err.rstrip("\n")

    def test_an_impossible_date_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "negotiation", "--entity", NORINCO, "--date", "2013-13-01",
            "--forum", "JCCT", *NEW_SOURCE,
        )  # fmt: skip

        assert error == "error: date '2013-13-01' is not a calendar date: month must be in 1..12"

    def test_a_reversed_range_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "negotiation", "--entity", NORINCO, "--date", "2014/2013",
            "--forum", "JCCT", *NEW_SOURCE,
        )  # fmt: skip

        assert error == "error: date range '2014/2013' is reversed: 2013 is before 2014"

    def test_an_unknown_entity_is_refused_with_a_suggestion(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "negotiation", "--entity", "Norinko", "--date", "2013",
            "--forum", "JCCT", *NEW_SOURCE,
        )  # fmt: skip

        assert error == (
            "error: entity 'Norinko' is not on record (no name, alias or identifier matches); "
            "did you mean 'norinco'?"
        )

    def test_a_lapse_of_a_measure_not_on_record_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "lapse", "--entity", "Chembay", "--measure", "deadbeef",
            "--date", "2013", *NEW_SOURCE,
        )  # fmt: skip

        assert error == (
            "error: measure 'deadbeef' is not on record for entity 'Chembay'; it has no measures"
        )

    def test_a_lapse_of_an_entity_without_measures_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "lapse", "--entity", "Chembay", "--date", "2013", *NEW_SOURCE
        )

        assert error == (
            "error: entity 'Chembay' has no measure that a lapse can apply to "
            "(no measure in force or waived)"
        )

    def test_a_lapse_of_an_already_ended_measure_is_refused(self, sanctions: Sanctions) -> None:
        measure_id = sanctions.entity("Norinco", "--as-of", "2010")["measures"][0]["measure_id"]

        error = self.refused(
            sanctions, "append", "lapse", "--entity", NORINCO, "--measure", measure_id[:8],
            "--date", "2013", *NEW_SOURCE,
        )  # fmt: skip

        assert error == (
            f"error: measure {measure_id[:8]} ({UNNAMED_PROGRAM}) already lapsed (2007): "
            "no lapse after its end"
        )

    def test_a_lapse_before_its_imposition_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "lapse", "--entity", "Polytechnologies", "--date", "2006",
            *NEW_SOURCE,
        )  # fmt: skip

        assert error == (
            f"error: lapse date 2006 is before imposition date 2013 of measure {UNNAMED_PROGRAM}"
        )

    def test_a_decision_without_a_request_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "delisting-decision", "--entity", "Chembay", "--date", "2013",
            "--outcome", "granted", *NEW_SOURCE,
        )  # fmt: skip

        assert error == "error: entity 'Chembay' has no delisting request awaiting a decision"

    def test_a_missing_source_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "negotiation", "--entity", NORINCO, "--date", "2013",
            "--forum", "JCCT",
        )  # fmt: skip

        assert error == (
            "error: the following arguments are required: --source "
            "(see 'sanctions append negotiation --help')"
        )

    def test_an_empty_source_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "negotiation", "--entity", NORINCO, "--date", "2013",
            "--forum", "JCCT", "--source", "",
        )  # fmt: skip

        assert error == "error: source must not be empty or blank (got '')"

    def test_an_unknown_option_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(sanctions, "status", "--as-of", "2010", "--colour")

        assert error == "error: unrecognized arguments: --colour (see 'sanctions --help')"

    def test_an_as_of_with_an_open_end_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(sanctions, "status", "--as-of", "2007..")

        assert error == (
            "error: as-of date '2007..' must have both ends (a day, month, year or range A/B)"
        )

    def test_an_action_refused_for_one_of_several_entities_is_written_for_none(
        self, sanctions: Sanctions
    ) -> None:
        # Kunlun Bank's measure could lapse, Norinco's has already lapsed: the one action
        # on both is refused as a whole.
        error = self.refused(
            sanctions, "append", "lapse", "--entity", "Kunlun Bank", "--entity", NORINCO,
            "--date", "2014", *NEW_SOURCE,
        )  # fmt: skip

        assert error.startswith(f"error: entity '{NORINCO}' has no measure that a lapse can apply")

    def test_a_relative_date_without_a_source_date_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "negotiation", "--entity", NORINCO, "--date", "July",
            "--forum", "JCCT", "--source", "Test report",
        )  # fmt: skip

        assert error == (
            "error: date 'July' names a month without a year: give the year, or the source's "
            "publication date to anchor it"
        )

    def test_an_event_after_its_source_was_published_is_refused(self, sanctions: Sanctions) -> None:
        error = self.refused(
            sanctions, "append", "negotiation", "--entity", NORINCO, "--date", "2015",
            "--forum", "JCCT", *NEW_SOURCE,
        )  # fmt: skip

        assert error == (
            "error: date '2015' starts after its source's publication date 2014-01-15: "
            "a report cannot describe a later event"
        )


class TestLinkCommands:
    def test_link_and_unlink_say_what_they_recorded(self, sanctions: Sanctions) -> None:
        linked = sanctions.run("link", NORINCO, CPMIEC, "--source", "Desk", "--reason", "x")
        unlinked = sanctions.run("unlink", CPMIEC, NORINCO, "--source", "Desk")

        assert linked.code == 0
        assert linked.out.startswith(f"linked {NORINCO} and {CPMIEC} (link ")
        assert unlinked.code == 0
        assert unlinked.out == f"unlinked {CPMIEC} and {NORINCO} (link {linked.out[-10:-2]})\n"

    def test_each_refusal_is_one_line_and_writes_nothing(self, sanctions: Sanctions) -> None:
        sanctions.run("link", NORINCO, CPMIEC, "--source", "Desk")
        before = len(sanctions.events())

        refusals = [
            sanctions.run("link", NORINCO, NORINCO, "--source", "Desk"),
            sanctions.run("link", CPMIEC, NORINCO, "--source", "Desk"),
            sanctions.run("unlink", NORINCO, KUNLUN, "--source", "Desk"),
            sanctions.run("link", NORINCO, KUNLUN),
            sanctions.run("link", NORINCO, "Norinko", "--source", "Desk"),
        ]

        assert [(r.code, r.out) for r in refusals] == [(2, "")] * 5
        assert [r.err for r in refusals] == [
            f"error: entity '{NORINCO}' cannot be linked to itself\n",
            f"error: entities '{CPMIEC}' and '{NORINCO}' are already one party (directly): "
            "a link would add nothing\n",
            f"error: entities '{NORINCO}' and '{KUNLUN}' are not linked: nothing to unlink\n",
            "error: link needs --source: who judged that the two are one party\n",
            "error: entity 'Norinko' is not on record (no name, alias or identifier matches); "
            "did you mean 'norinco'?\n",
        ]
        assert len(sanctions.events()) == before

    def test_link_from_a_file_counts_new_and_known_pairs(
        self, sanctions: Sanctions, tmp_path: Path
    ) -> None:
        path = tmp_path / "links.jsonl"
        path.write_text(
            json.dumps({"a": NORINCO, "b": CPMIEC, "reason": "r"})
            + "\n"
            + json.dumps({"a": "Kunlun Bank", "b": CPMIEC, "source": "Other"})
            + "\n",
            encoding="utf-8",
        )

        first = sanctions.run("link", "--from-file", str(path), "--source", "Desk")
        again = sanctions.run("link", "--from-file", str(path), "--source", "Desk")

        assert first.out == "linked 2 pair(s) from links.jsonl (2 lines, 0 already linked)\n"
        assert again.out == "linked 0 pair(s) from links.jsonl (2 lines, 2 already linked)\n"


# -- all-entity answers, streamed ---------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _whole_answers(store: Path, as_of: str) -> dict[str, str]:
    """What the status and diff commands printed when they built the whole answer first:
    the renderers of whole answers, on the timeline's list of views."""
    from domain.dates import parse_date
    from events_log.app import SanctionsApp
    from events_log.store import resolve_store
    from projections import parties, render, timeline
    from projections.views import Horizon, diff

    app = SanctionsApp(resolve_store(str(store), {}))
    period = parse_date(as_of)
    start, end = parse_date("1995"), parse_date("2015")
    views = parties.combine(app, timeline.views(app, period), period)
    before, after = timeline.statuses(app, start), timeline.statuses(app, end)
    changed = [e for e, s in after.items() if before[e].possible_statuses != s.possible_statuses]
    records = parties.changed_parties(app, changed, Horizon())
    changes = diff(records, start, end)
    status = render.status_json(views, period, Horizon())
    diffs = render.diff_json(changes, start, end, Horizon())
    answers = {
        "json": json.dumps(status, ensure_ascii=False) + "\n",
        "tty": json.dumps(status, indent=2, ensure_ascii=False) + "\n",
        "csv": render.status_csv(views) + "\n",
        "table": render.status_table(views, period, Horizon()) + "\n",
        "diff json": json.dumps(diffs, ensure_ascii=False) + "\n",
        "diff tty": json.dumps(diffs, indent=2, ensure_ascii=False) + "\n",
        "diff table": render.diff_table(changes, start, end, Horizon()) + "\n",
    }
    app.close()
    return answers


def _streamed(sanctions: Sanctions, tty: bool, *argv: str) -> str:
    out = Terminal() if tty else io.StringIO()
    code = main(
        [*argv, "--store", str(sanctions.store)],
        stdout=out,
        stderr=io.StringIO(),
        environ={"HOME": str(sanctions.home)},
        today=TODAY,
    )
    assert code == 0
    return out.getvalue()


class TestStreamedAnswers:
    @pytest.mark.parametrize("as_of", ["2006", "2013-10-04"])
    def test_every_entity_answer_is_the_whole_answer_byte_for_byte(
        self, sanctions: Sanctions, as_of: str
    ) -> None:
        from bench.generate import entities
        from bench.load import load
        from events_log.app import SanctionsApp
        from events_log.store import resolve_store

        app = SanctionsApp(resolve_store(str(sanctions.store), {}))
        load(app, entities(3_000, seed=11), batch=50)
        app.close()
        whole = _whole_answers(sanctions.store, as_of)
        diff = ("diff", "--from", "1995", "--to", "2015")

        assert whole["json"].count('"entity_id"') > 300
        assert (
            _streamed(sanctions, False, "status", "--as-of", as_of, "--format", "json")
            == (whole["json"])
        )
        assert (
            _streamed(sanctions, True, "status", "--as-of", as_of, "--format", "json")
            == (whole["tty"])
        )
        assert (
            _streamed(sanctions, False, "status", "--as-of", as_of, "--format", "csv")
            == (whole["csv"])
        )
        assert _streamed(sanctions, False, "status", "--as-of", as_of) == whole["table"]
        assert _streamed(sanctions, False, *diff, "--format", "json") == whole["diff json"]
        assert _streamed(sanctions, True, *diff, "--format", "json") == whole["diff tty"]
        assert _streamed(sanctions, False, *diff) == whole["diff table"]
