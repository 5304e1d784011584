"""``import --format ftm``: parties and their Sanctions as registrations and measures."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from domain.dates import parse_date
from domain.errors import DomainError
from domain.record import SANCTION_LAPSED, MeasureRecord
from events_log.app import SanctionsApp
from events_log.ftm.importer import FtmResult, event_key, import_file
from events_log.store import resolve_store
from projections.views import Horizon, entity_view

CST = "ftm:NK-abdzbEBkqyT29GyREbiURZ"
ZAKHAROV = "ftm:NK-aU5ybkbRFJucf8YMwsJvDw"


def open_store(path: Path) -> SanctionsApp:
    return SanctionsApp(resolve_store(str(path), {}))


def load(app: SanctionsApp, path: Path) -> FtmResult:
    with path.open(encoding="utf-8") as lines:
        return import_file(app, lines, path.name)


def measure(app: SanctionsApp, party: str, sanction_id: str) -> MeasureRecord:
    found = app.entity(app.find(party)).record().measure(event_key(sanction_id, "imposed"))
    assert found is not None, sanction_id
    return found


def status(app: SanctionsApp, party: str, when: str) -> str:
    item = entity_view(app, app.find(party), parse_date(when, cap=False), Horizon())
    return str(item.at_end.status)


class TestZalaFile:
    def test_the_summary_counts_what_the_file_holds_and_what_was_added(
        self, tmp_path: Path, zala: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")

        result = load(app, zala)

        assert result.summary() == (
            "imported yente-zala-entities.ftm.json: 91 FtM entities; 2 parties with 41 "
            "Sanctions; 3 parties without a Sanction registered, 12 targets without a "
            "Sanction not registered; not parties: 11 Address, 3 Directorship, 4 Family, "
            "14 Ownership, 1 Passport; 135 new events"
        )

    def test_importing_the_same_file_twice_adds_nothing(self, tmp_path: Path, zala: Path) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load(app, zala)
        before = app.max_position()

        again = load(app, zala)

        assert again.events == 0
        assert app.max_position() == before

    def test_ftm_ids_become_identifiers_and_sources_carry_dataset_and_url(
        self, tmp_path: Path, zala: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load(app, zala)

        record = app.entity(app.find(CST)).record()
        sanction = measure(app, CST, "au-dfat-56600015954691cece058c2a3b0e3b27740701e6")

        assert record.name == "LLC CST"
        assert record.kind == "company"
        assert record.country == "Russia"
        assert CST in record.identifiers
        assert "innCode:1841015504" in record.identifiers
        assert sanction.authority == "Department of Foreign Affairs and Trade"
        assert sanction.program == "Autonomous (Russia)"
        source = sanction.imposition.source
        assert source.title == (
            "FtM Sanction au-dfat-56600015954691cece058c2a3b0e3b27740701e6 (au_dfat_sanctions)"
        )
        assert source.url == (
            "https://www.dfat.gov.au/international-relations/security/sanctions/Pages/sanctions"
        )
        assert source.published is not None
        assert source.published.isoformat() == "2025-05-23"  # the record's first_seen

    def test_the_start_date_dates_the_imposition_before_the_listing_date(
        self, tmp_path: Path, zala: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load(app, zala)

        # startDate 2023-12-18, listingDate 2025-03-15
        eu = measure(app, CST, "eu-fsf-6ac27c949ff687d02ddec05f5e53ce9c6690e34f")

        assert eu.imposition.effective is not None
        assert eu.imposition.effective.canonical() == "2023-12-18"

    def test_two_listing_dates_date_the_imposition_by_the_earliest_and_keep_both_reasons(
        self, tmp_path: Path, zala: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load(app, zala)

        belgian = measure(app, CST, "be-fod-6b5e9e949f3a7b1e9f5e62ecec79478ca6a28a0b")

        effective = belgian.imposition.effective
        assert effective is not None
        assert effective.canonical() == "2023-12-18"
        assert (
            effective.how == "FtM listingDate 2023-12-18 (the earliest of 2025-03-15, 2023-12-18)"
        )
        assert (
            belgian.imposition.get("reason") == "2023/2875 (OJ L18122023); 2025/527 (OJ L202500527)"
        )

    def test_no_date_means_imposed_on_or_before_first_seen(
        self, tmp_path: Path, zala: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load(app, zala)

        travel_ban = measure(app, ZAKHAROV, "eu-tb-c6be3a8ba704f289ea9d87e4195162d935c45326")

        assert travel_ban.imposition.effective is not None
        assert travel_ban.imposition.effective.canonical() == "..2026-01-26"

    def test_an_expired_status_with_a_past_end_date_is_a_lapse_on_that_day(
        self, tmp_path: Path, zala: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load(app, zala)

        nsdc = measure(app, CST, "ua-nsdc-6c8c31da8d3db74b085a9217f3322ba118141a63")

        assert nsdc.ending is not None
        assert nsdc.ending.type == SANCTION_LAPSED
        assert nsdc.ending.effective is not None
        assert nsdc.ending.effective.canonical() == "2024-10-30"

    def test_a_future_end_date_is_a_planned_end_and_the_measure_stays_in_force(
        self, tmp_path: Path, zala: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load(app, zala)

        # endDate 2034-11-12, status active, last_seen 2026-04-29
        nsdc = measure(app, CST, "ua-nsdc-cd7293d5e16a1cab672b5d34f283416f9fb6713c")

        assert nsdc.ending is None
        assert "endDate: 2034-11-12" in str(nsdc.imposition.source.quote)

    def test_statuses_follow_the_measures(self, tmp_path: Path, zala: Path) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load(app, zala)

        # Some Sanctions carry no date: imposed at an unknown day before first_seen.
        assert status(app, CST, "2020") == "uncertain"
        assert status(app, CST, "2023-03-01") == "sanctioned"
        assert status(app, ZAKHAROV, "2026-05-01") == "sanctioned"

    def test_a_target_without_a_sanction_is_not_registered_and_a_non_target_is(
        self, tmp_path: Path, zala: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load(app, zala)

        with pytest.raises(DomainError, match="not on record"):
            app.find("ftm:NK-2Tbri3s6GgNtAwsSXh4qpL")  # Maria Osetrova, target: true
        assert status(app, "ftm:NK-56Edov9bas9puzaChH5pBy", "2026") == "not_sanctioned"


def sanction_line(entity: str) -> str:
    return json.dumps(
        {
            "id": "s-1",
            "schema": "Sanction",
            "properties": {"entity": [entity], "authority": ["A"], "startDate": ["2020"]},
        }
    )


PARTY = json.dumps({"id": "p-1", "schema": "Company", "properties": {"name": ["Acme"]}})


class TestRefusals:
    @pytest.mark.parametrize(
        ("lines", "message"),
        [
            (
                [PARTY, sanction_line("p-2")],
                "f.json:2: Sanction s-1 names entity 'p-2', which is not a party",
            ),
            ([PARTY, "{not json"], "f.json:2: not valid JSON"),
            (['{"id": "x", "schema": "Nope"}'], "f.json:1: schema 'Nope' is not an FtM schema"),
            (['{"schema": "Company"}'], "f.json:1: FtM entity of schema Company has no 'id'"),
            (
                [PARTY, sanction_line("p-1").replace('"2020"', '"soon"')],
                "f.json:2: Sanction s-1: date 'soon' is not an FtM date",
            ),
        ],
    )
    def test_a_bad_file_is_refused_whole_and_nothing_is_written(
        self, tmp_path: Path, lines: list[str], message: str
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")

        with pytest.raises(DomainError) as refused:
            import_file(app, io.StringIO("\n".join(lines)), "f.json")

        assert str(refused.value).startswith(message)
        assert app.max_position() == 0


class TestLaterCopies:
    def test_a_changed_start_date_corrects_the_imposition_once(self, tmp_path: Path) -> None:
        app = open_store(tmp_path / "s.sqlite")
        first = [PARTY, sanction_line("p-1")]
        later = [PARTY, sanction_line("p-1").replace('"2020"', '"2020-03-05"')]

        import_file(app, io.StringIO("\n".join(first)), "f.json")
        corrected = import_file(app, io.StringIO("\n".join(later)), "f.json")
        middle = imposed_on(app)
        again = import_file(app, io.StringIO("\n".join(later)), "f.json")
        back = import_file(app, io.StringIO("\n".join(first)), "f.json")

        assert (corrected.events, again.events, back.events) == (1, 0, 1)
        assert (middle, imposed_on(app)) == ("2020-03-05", "2020")


def imposed_on(app: SanctionsApp) -> str:
    [measure] = app.entity(app.find("ftm:p-1")).record().measures
    assert measure.imposition.effective is not None
    return measure.imposition.effective.canonical()


class TestWaivers:
    def waived_line(self, **extra: object) -> str:
        data = json.loads(sanction_line("p-1"))
        data["properties"]["status"] = ["waived"]
        data["last_seen"] = "2023-06-30T00:00:00"
        data.update(extra)
        return json.dumps(data)

    def test_a_waived_status_is_a_waiver_after_the_imposition_by_last_seen(
        self, tmp_path: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")

        import_file(app, io.StringIO("\n".join([PARTY, self.waived_line()])), "f.json")
        again = import_file(app, io.StringIO("\n".join([PARTY, self.waived_line()])), "f.json")

        [measure] = app.entity(app.find("ftm:p-1")).record().measures
        assert [s.type for s in measure.steps] == ["sanction_waived"]
        assert measure.steps[0].effective is not None
        assert measure.steps[0].effective.canonical() == "..2023-06"  # the end of June 30
        assert again.events == 0
        assert status(app, "ftm:p-1", "2019") == "not_sanctioned"
        assert status(app, "ftm:p-1", "2023-06-30") == "waived"
        uncertain = entity_view(app, app.find("ftm:p-1"), parse_date("2021", cap=False), Horizon())
        assert uncertain.at_end.possible_statuses == ["sanctioned", "waived"]

    def test_our_own_summary_gives_back_each_waiver_step_with_its_dates(
        self, tmp_path: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        summary = (
            "A / P: imposed 2020; sanction waived 9/19/21 [2021-09-19]; "
            "waiver ended 2022-03; lifted 2023"
        )
        data = json.loads(self.waived_line(datasets=["sanctions_tracker"]))
        data["properties"].update(status=["lifted"], endDate=["2023"], summary=[summary])

        import_file(app, io.StringIO("\n".join([PARTY, json.dumps(data)])), "f.json")

        [measure] = app.entity(app.find("ftm:p-1")).record().measures
        dated = [(s.type, s.effective) for s in measure.steps]
        assert [(t, d.text, d.canonical()) for t, d in dated if d is not None] == [
            ("sanction_waived", "9/19/21", "2021-09-19"),
            ("waiver_ended", "2022-03", "2022-03"),
        ]
        assert [status(app, "ftm:p-1", d) for d in ("2021-06", "2021-12", "2022-06", "2024")] == [
            "sanctioned",
            "waived",
            "sanctioned",
            "lifted",
        ]

    def test_another_datasets_summary_is_not_read_for_steps(self, tmp_path: Path) -> None:
        app = open_store(tmp_path / "s.sqlite")
        data = json.loads(sanction_line("p-1"))
        data["properties"]["summary"] = ["x: imposed 2020; sanction waived 2021"]

        import_file(app, io.StringIO("\n".join([PARTY, json.dumps(data)])), "f.json")

        [measure] = app.entity(app.find("ftm:p-1")).record().measures
        assert measure.steps == ()
