"""The bundled dataset: the article's events, quoted verbatim, imported idempotently."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli import main
from domain.errors import NotFoundError, RuleViolationError
from events_log.app import SanctionsApp
from events_log.bundled import BUNDLED_DATASET, BUNDLED_LINKS, Loaded, isn_copies, load_bundled
from events_log.store import resolve_store
from tests.template_store import Template

# The article the dataset quotes, kept beside the dataset (a copy of shared/sources/).
ARTICLE = BUNDLED_DATASET.parent / "sources" / "2013-10-04-china-asks-us-to-lift-sanctions.txt"


def dataset_lines() -> list[dict[str, Any]]:
    with BUNDLED_DATASET.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


class TestQuotes:
    @pytest.mark.parametrize(
        "line", dataset_lines(), ids=lambda line: str(line.get("key", "no key"))
    )
    def test_every_line_quotes_the_article_verbatim(self, line: dict[str, Any]) -> None:
        article = ARTICLE.read_text(encoding="utf-8")

        quote = line["source"].get("quote")

        assert quote, "every bundled event quotes its source"
        assert quote in article

    def test_every_line_names_the_article_and_its_publication_day(self) -> None:
        lines = dataset_lines()

        sources = {(line["source"]["title"], line["source"]["published"]) for line in lines}

        assert sources == {
            ("China Asks U.S. to Lift Sanctions on Arms Proliferators, Iran Traders", "2013-10-04")
        }
        assert len(lines) > 50

    def test_keys_are_unique(self) -> None:
        lines = dataset_lines()

        keys = [line["key"] for line in lines]

        assert len(keys) == len(set(keys))


@pytest.fixture
def made(bundled_template: Template, tmp_path: Path) -> SanctionsApp:
    """A copy of the session's store, made by ``sanctions init`` (the real path)."""
    path = tmp_path / "made.sqlite"
    shutil.copyfile(bundled_template.path, path)
    return SanctionsApp(resolve_store(str(path), {}))


class TestImport:
    def test_a_new_store_holds_the_article_the_isn_copies_and_the_links(
        self, bundled_template: Template, made: SanctionsApp
    ) -> None:
        lines = dataset_lines()

        loaded = bundled_template.loaded

        assert loaded == Loaded(article_events=64, list_copies=10, list_events=1942, links=7)
        assert loaded.article_events == len(lines)
        assert len(list(made.iter_recorded())) == 64 + 1942 + 2 * 7 == loaded.events
        assert loaded.summary() == (
            "64 events from article-2013-10-04.jsonl, 1942 from 10 copies of the ISN list "
            "(2014-10-27 to 2016-12-02), 7 reviewed links from links-article-isn.jsonl"
        )

    def test_importing_twice_adds_nothing_the_second_time(self, made: SanctionsApp) -> None:
        position = made.max_position()
        events = [e.event_id for e in made.iter_recorded()]

        added = load_bundled(made)

        assert added == Loaded(article_events=0, list_copies=10, list_events=0, links=0)
        assert made.max_position() == position
        assert [e.event_id for e in made.iter_recorded()] == events

    def test_a_reopened_store_does_not_import_again(self, tmp_path: Path) -> None:
        store = tmp_path / "s.sqlite"
        assert main(["status", "--store", str(store)], stdout=io.StringIO()) == 0
        size = store.stat().st_size
        err = io.StringIO()

        code = main(["status", "--store", str(store)], stdout=io.StringIO(), stderr=err)

        assert (code, err.getvalue(), store.stat().st_size) == (0, "", size)

    def test_the_article_entities_are_found_by_name_and_alias(self, made: SanctionsApp) -> None:
        found = {ref: made.lookup(ref) for ref in ("Norinco", "China North Industries Corp.")}

        assert [e.hex[:8] for e in found["China North Industries Corp."]] == ["56f94a08"]
        assert sorted(e.hex[:8] for e in found["Norinco"]) == ["56f94a08", "9e1916a8", "a432a4fb"]


def line_of(key: str) -> dict[str, Any]:
    (found,) = [line for line in dataset_lines() if line["key"] == key]
    return found


class TestCorrections:
    """What a line-by-line reading of the article supports, and no more."""

    def test_the_satellite_controls_are_a_wish_list_mention_not_a_sanction(self) -> None:
        china = [line for line in dataset_lines() if line["entity"] == "China"]

        programs = [line["program"] for line in china if line["type"] == "sanction_imposed"]
        requests = [line for line in china if line["type"] == "delisting_requested"]
        satellite = line_of("china-wish-list-satellite-controls")

        assert programs == ["Tiananmen sanctions"]
        assert [r["key"] for r in requests] == ["china-tiananmen-delisting-requested"]
        assert (satellite["type"], satellite["date"]) == ("negotiation_mentioned", "in the past")

    def test_the_sed_statements_are_dated_from_july_to_publication(self) -> None:
        dates = {
            line["date"]
            for line in dataset_lines()
            if line["key"].endswith("-sed-requirements-mentioned")
        }

        assert dates == {"2013-07/2013-10-04"}

    def test_the_2008_identification_does_not_date_the_diversion(self) -> None:
        assert line_of("polytechnologies-activity-bomb-tech-diversion-2008")["date"] == "..2008"

    def test_fair_treatment_is_not_about_a_sanction_and_helicopter_engines_are_there(
        self,
    ) -> None:
        keys = {line["key"] for line in dataset_lines()}

        assert "china-fair-treatment-assertion" not in keys
        engines = line_of("china-wish-list-helicopter-engines")
        assert "helicopters engines" in engines["source"]["quote"]

    def test_norinco_asked_off_the_list_years_after_its_lapse_is_a_conflict(
        self, made: SanctionsApp
    ) -> None:
        from domain.party import conflicts
        from projections.parties import parties_for
        from projections.views import Horizon

        (norinco,) = parties_for(made, ["Norinco"], Horizon())

        found = conflicts(norinco.record)

        assert [c.event.get("requested_by") for c in found] == ["Chinese Ministry of Commerce"]
        assert "every measure on record had ended by then" in found[0].message


def run(store: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--store", str(store)], stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


def links_lines() -> list[dict[str, Any]]:
    with BUNDLED_LINKS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


class TestLinks:
    def test_each_link_quotes_its_isn_row_verbatim_and_gives_a_reason(self) -> None:
        rows = {
            line
            for path in isn_copies()
            for line in path.read_bytes().decode("cp1252", errors="replace").splitlines()
        }

        for line in links_lines():
            assert line["source"]["quote"] in rows, line["key"]
            assert line["reason"].strip()
            assert line["source"]["title"] == (
                "Review of the bundled ISN list copies against the article"
            )

    def test_the_isn_copies_are_the_shared_files_byte_for_byte(self) -> None:
        shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "isn"
        if not shared.is_dir():
            pytest.skip(f"the shared ISN files are not at {shared}")

        bundled = {p.name: p.read_bytes() for p in isn_copies()}

        assert bundled == {p.name: p.read_bytes() for p in sorted(shared.glob("isn-*.csv"))}
        assert len(bundled) == 10

    def test_a_new_stores_norinco_has_members_of_both_sources_with_the_reasons(
        self, tmp_path: Path
    ) -> None:
        code, out, _ = run(tmp_path / "s.sqlite", "status", "Norinco", "--format", "json")

        (norinco,) = json.loads(out)["entities"]
        assert code == 0
        assert [(m["entity_id"][:8], m["name"]) for m in norinco["members"]] == [
            ("56f94a08", "China North Industries Corp."),
            ("9e1916a8", "China North Industrial Corp. (NORINCO)"),
            ("a432a4fb", "China North Industries Group (NORINCO)"),
        ]
        reasons = {line["b"]: line["reason"] for line in links_lines() if line["a"] == "56f94a08"}
        assert [(link["entity_ids"][1][:8], link["reason"]) for link in norinco["links"]] == [
            ("9e1916a8", reasons["9e1916a8"]),
            ("a432a4fb", reasons["a432a4fb"]),
        ]
        assert {m["entity_id"][:8]: m["source"]["title"] for m in norinco["measures"]} == {
            "56f94a08": "China Asks U.S. to Lift Sanctions on Arms Proliferators, Iran Traders",
            "9e1916a8": "State Department ISN nonproliferation sanctions list, copy of "
            "2014-10-27; Federal Register Vol. 68, No. 182, 09/19/03; Vol. 72, No. 55, 03/22/07",
            "a432a4fb": "State Department ISN nonproliferation sanctions list, copy of "
            "2014-10-27; Federal Register Vol. 68, No. 100, 05/23/03",
        }

    def test_norinco_as_of_2010_answers_from_both_sources_and_says_they_disagree(
        self, tmp_path: Path
    ) -> None:
        code, out, _ = run(tmp_path / "s.sqlite", "status", "Norinco", "--as-of", "2010")

        assert code == 0
        assert out.splitlines()[:8] == [
            "Status at the end of 2010 (2010-01-01 .. 2010-12-31)",
            "",
            "ENTITY                             STATUS",
            "China North Industries Corp.       lapsed",
            "                                     + China North Industrial Corp. (NORINCO)",
            "                                     + China North Industries Group (NORINCO)",
            "                                     sources disagree",
            "                                     1 conflict(s)",
        ]
        assert out.splitlines()[-8:] == [
            "  per source: China Asks U.S. to Lift Sanctions on Arms Proliferators, Iran",
            "    Traders: lapsed",
            "  per source: U.S. Department of State, Bureau of International Security and",
            "    Nonproliferation: lifted",
            "  disagreement: the sources give different certain statuses",
            "  conflict: delisting requested by Chinese Ministry of Commerce (within the past",
            "    two months [2013-08-04/2013-10-04]), but every measure on record had ended",
            "    by then: the request implies a sanction in force",
        ]

    def test_a_links_entry_that_no_longer_resolves_is_refused_in_one_line(
        self, made: SanctionsApp, tmp_path: Path
    ) -> None:
        stale = tmp_path / "links.jsonl"
        lines = BUNDLED_LINKS.read_text(encoding="utf-8").splitlines()
        stale.write_text("\n".join([*lines[:2], lines[2].replace("342ac11b", "342ac11c")]) + "\n")
        position = made.max_position()

        with pytest.raises(NotFoundError) as raised:
            load_bundled(made, stale)
        code, out, err = run(made.store.path or tmp_path, "link", "--from-file", str(stale))

        assert str(raised.value) == (
            "links.jsonl:3: entity '342ac11c' is not on record "
            "(no name, alias or identifier matches)"
        )
        assert (code, out, err) == (2, "", f"error: {raised.value}\n")
        assert made.max_position() == position


class TestInstalledCopy:
    @pytest.mark.bundled_import
    def test_a_built_copy_of_the_package_finds_its_data_and_loads_them(
        self, tmp_path: Path
    ) -> None:
        """What a non-editable install copies (setuptools' build_py, from pyproject.toml),
        used from that copy alone."""
        root = Path(__file__).resolve().parents[2]
        built = tmp_path / "built"
        subprocess.run(
            [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
             "--build-lib", str(built)],
            cwd=root, check=True, capture_output=True,
        )  # fmt: skip
        script = (
            "import cli, events_log.bundled as b, sys; print(b.__file__); "
            f"sys.exit(cli.main(['init', '--store', {str(tmp_path / 's.sqlite')!r}]))"
        )

        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=built, env={**os.environ, "PYTHONPATH": str(built)},
            capture_output=True, text=True, check=False,
        )  # fmt: skip

        assert done.returncode == 0, done.stderr
        where, said = done.stdout.splitlines()
        assert where == str(built / "events_log" / "bundled.py")
        assert said.endswith(
            "with 64 events from article-2013-10-04.jsonl, 1942 from 10 copies of the ISN list "
            "(2014-10-27 to 2016-12-02), 7 reviewed links from links-article-isn.jsonl"
        )


class TestSharedNames:
    def test_a_name_members_of_one_party_share_writes_to_its_first_member(
        self, tmp_path: Path
    ) -> None:
        store = tmp_path / "s.sqlite"
        argv = ["append", "activity", "--date", "2013", "--source", "Desk", "--summary", "s"]

        code, out, err = run(store, *argv, "--entity", "Norinco")

        assert (code, err.startswith("note: created store")) == (0, True)
        assert out.endswith(" for China North Industries Corp.\n")

    def test_a_name_of_entities_in_different_parties_is_refused_listing_them(
        self, tmp_path: Path
    ) -> None:
        app = SanctionsApp(resolve_store(str(tmp_path / "s.sqlite"), {}))
        no_links = tmp_path / "none.jsonl"
        no_links.write_text("", encoding="utf-8")
        load_bundled(app, no_links)

        with pytest.raises(RuleViolationError) as raised:
            app.find("Norinco")

        assert str(raised.value) == (
            "entity 'Norinco' is ambiguous: it names 3 entities (China North Industries Corp. "
            "(56f94a08), China North Industrial Corp. (NORINCO) (9e1916a8), China North "
            "Industries Group (NORINCO) (a432a4fb)); use an identifier or an id"
        )
