"""The bundled dataset: the article's events, quoted verbatim, imported idempotently."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cli import main
from events_log.app import SanctionsApp
from events_log.bundled import BUNDLED_DATASET, Loaded, load_bundled
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
