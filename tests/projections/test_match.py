"""match on real names: the article, OFAC's SDN list (a real snapshot) and ISN spellings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.record import Source
from events_log.app import SanctionsApp
from events_log.bundled import load_article
from events_log.links import link
from events_log.lists.imports import import_files
from events_log.store import resolve_store
from projections.match import Index, match_json

SNAPSHOT = (
    Path(
        os.environ.get("SANCTIONS_OFAC_SNAPSHOTS")
        or Path(__file__).resolve().parents[3] / "shared" / "data" / "ofac-sdn"
    )
    / "sdn-2024-05-01.csv.gz"
)
pytestmark = pytest.mark.skipif(
    not SNAPSHOT.is_file() and not os.environ.get("CI"),
    reason=f"OFAC snapshot not found at {SNAPSHOT} (set SANCTIONS_OFAC_SNAPSHOTS)",
)
# The ISN list's own spellings, verbatim from ../shared/data/isn/isn-2014-10-27.csv.
ISN_NAMES = [
    "China North Industries Group (NORINCO)",
    "China North Industrial Corp. (NORINCO)",
    "China Precision Machinery Import-Export Corp. (CPMIEC)",
    "China National Precision Machinery Import/Export Corporation (CPMIEC)",
    "China Precision Machinery Import and Export Corporation (CPMIEC) (China)",
]
ISN = Source("ISN nonproliferation sanctions", published=date(2014, 10, 27))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SanctionsApp]:
    opened = SanctionsApp(resolve_store(str(tmp_path_factory.mktemp("m") / "s.sqlite"), {}))
    load_article(opened)
    import_files(opened, "ofac-sdn-csv", [SNAPSHOT])
    for name in ISN_NAMES:
        opened.register_entity(
            name=name, kind="company", country="China", effective=None, source=ISN
        )
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def index(app: SanctionsApp) -> Index:
    return Index(app)


def candidates(index: Index, name: str) -> dict[str, dict[str, Any]]:
    found = match_json(index.matches(name, 0.5))
    return {c["name"]: c for c in found["candidates"]}


class TestMatchOnRealNames:
    def test_cpmiec_has_ofac_9753_and_the_isn_spellings(self, index: Index) -> None:
        found = candidates(index, "CPMIEC")

        ofac = found["CHINA NATIONAL PRECISION MACHINERY IMPORT/EXPORT CORPORATION"]
        assert ofac["identifiers"] == ["ofac-sdn:9753"]
        assert ofac["score"] >= 0.8
        for spelling in ISN_NAMES[2:]:
            assert found[spelling]["score"] >= 0.9
            assert any("CPMIEC" in reason for reason in found[spelling]["reasons"])

    def test_zhuhai_zhenrong_is_equal_after_normalisation(self, index: Index) -> None:
        found = match_json(index.matches("Zhuhai Zhenrong Co.", 0.5))

        best = found["candidates"][0]
        assert (best["name"], best["identifiers"]) == (
            "ZHUHAI ZHENRONG COMPANY LIMITED",
            ["ofac-sdn:27063"],
        )
        assert best["reasons"] == ["names equal after normalisation ('zhuhai zhenrong')"]

    def test_norinco_has_both_isn_spellings_first(self, index: Index) -> None:
        found = match_json(index.matches("Norinco", 0.5))

        assert {c["name"] for c in found["candidates"][:2]} == set(ISN_NAMES[:2])
        assert min(c["score"] for c in found["candidates"][:2]) >= 0.9

    def test_kunlun_holding_scores_below_every_true_match(self, index: Index) -> None:
        cpmiec = candidates(index, "CPMIEC")
        true_scores = [
            cpmiec["CHINA NATIONAL PRECISION MACHINERY IMPORT/EXPORT CORPORATION"]["score"],
            *(cpmiec[n]["score"] for n in ISN_NAMES[2:]),
            candidates(index, "Zhuhai Zhenrong Co.")["ZHUHAI ZHENRONG COMPANY LIMITED"]["score"],
            *(candidates(index, "Norinco")[n]["score"] for n in ISN_NAMES[:2]),
        ]

        holding = candidates(index, "Kunlun Bank")["KUNLUN HOLDING COMPANY LTD."]

        assert holding["score"] < min(true_scores) - 0.15

    def test_the_json_for_one_name_is_best_first_with_the_contract_fields(
        self, index: Index
    ) -> None:
        found = match_json(index.matches("Norinco", 0.5))

        assert list(found) == ["query", "candidates"]
        assert found["query"] == "Norinco"
        assert list(found["candidates"][0]) == [
            "entity_id", "name", "aliases", "identifiers", "score", "reasons",
        ]  # fmt: skip
        scores = [c["score"] for c in found["candidates"]]
        assert scores == sorted(scores, reverse=True)

    def test_match_never_links_and_a_party_is_not_proposed_again(self, app: SanctionsApp) -> None:
        before = app.max_position()
        Index(app).matches("Zhuhai Zhenrong Co.", 0.5)
        assert app.max_position() == before

        link(app, "Zhuhai Zhenrong Co.", "ofac-sdn:27063", ISN, "reviewed")
        found = candidates(Index(app), "Zhuhai Zhenrong Co.")

        assert "ZHUHAI ZHENRONG COMPANY LIMITED" not in found
