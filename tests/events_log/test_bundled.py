"""The bundled dataset: the article's events, quoted verbatim, imported idempotently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from events_log.app import SanctionsApp
from events_log.bundled import BUNDLED_DATASET, load_bundled
from events_log.store import resolve_store

# The article the dataset quotes, kept beside the dataset (a copy of shared/sources/).
ARTICLE = BUNDLED_DATASET.parent / "sources" / "2013-10-04-china-asks-us-to-lift-sanctions.txt"


def dataset_lines() -> list[dict[str, Any]]:
    with BUNDLED_DATASET.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def app(tmp_path: Path) -> SanctionsApp:
    return SanctionsApp(resolve_store(str(tmp_path / "s.sqlite"), {}))


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


class TestImport:
    def test_the_first_import_adds_every_line(self, app: SanctionsApp) -> None:
        lines = dataset_lines()

        added = load_bundled(app)

        assert added == len(lines)
        assert len(list(app.iter_recorded())) == len(lines)

    def test_importing_twice_adds_nothing_the_second_time(self, app: SanctionsApp) -> None:
        load_bundled(app)
        position = app.max_position()
        events = [e.event_id for e in app.iter_recorded()]

        added = load_bundled(app)

        assert added == 0
        assert app.max_position() == position
        assert [e.event_id for e in app.iter_recorded()] == events

    def test_a_reopened_store_does_not_import_again(self, tmp_path: Path) -> None:
        config = resolve_store(str(tmp_path / "s.sqlite"), {})
        load_bundled(SanctionsApp(config))

        added = load_bundled(SanctionsApp(config))

        assert added == 0

    def test_the_article_entities_are_found_by_name_and_alias(self, app: SanctionsApp) -> None:
        load_bundled(app)

        found = {ref: app.find(ref) for ref in ("Norinco", "China North Industries Corp.")}

        assert found["Norinco"] == found["China North Industries Corp."]


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
        self, app: SanctionsApp
    ) -> None:
        from domain.party import conflicts
        from projections.views import Horizon, record_of

        load_bundled(app)
        norinco = app.find("Norinco")

        found = conflicts(record_of(str(norinco), app.entity_events(norinco), Horizon()))

        assert [c.event.get("requested_by") for c in found] == ["Chinese Ministry of Commerce"]
        assert "every measure on record had ended by then" in found[0].message
