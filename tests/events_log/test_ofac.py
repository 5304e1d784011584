"""OFAC SDN snapshots: real rows read right, differences become events, faulty files refused.

Every snapshot here is real OFAC data from ``shared/data/ofac-sdn/`` (beside the
repository), whole or cut down to a few real rows.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import os
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli import main
from domain.record import Recorded
from domain.status import Chain, Status, cut_after, status_at
from events_log.app import SanctionsApp
from events_log.lists.engine import SnapshotOrderError
from events_log.lists.files import detect_format, observed_from_name, read_bytes
from events_log.lists.ofac import LIST_NAME, LISTING, SdnEntry, parse_sdn
from events_log.lists.series import load_series
from events_log.store import resolve_store
from projections.views import Horizon, all_records, record_of

SNAPSHOTS = Path(
    os.environ.get("SANCTIONS_OFAC_SNAPSHOTS")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ofac-sdn"
)
# The snapshots are shared data beside the repository (as in CI), not part of it: without
# them these tests skip, except under CI, where a missing folder must fail loudly.
pytestmark = pytest.mark.skipif(
    not SNAPSHOTS.is_dir() and not os.environ.get("CI"),
    reason=f"OFAC snapshots not found at {SNAPSHOTS} (set SANCTIONS_OFAC_SNAPSHOTS)",
)
SERIES = sorted(SNAPSHOTS.glob("sdn-*.csv.gz"))
FIRST = SNAPSHOTS / "sdn-2021-08-18.csv.gz"
SECOND = SNAPSHOTS / "sdn-2021-09-02.csv.gz"
LATEST = SNAPSHOTS / "sdn-2024-05-01.csv.gz"
EMPTY_DOWNLOAD = SNAPSHOTS / "faulty-sdn-2024-05-04-empty.csv"

# Real entries that changed between the snapshots of 2021-08-18 and 2021-09-02.
BANK = "306"  # BANCO NACIONAL DE CUBA, a.k.a. 'BNC': unchanged
BELARUSKALI = "32746"  # program BELARUS-EO -> BELARUS-EO14038
KOKSOKHIMTRANS = "20290"  # programs UKRAINE-EO13685] [PEESA -> UKRAINE-EO13685] [PEESA-EO
SAND_SWAN = "4243"  # vessel renamed EBANO
HERMANN = "4234"  # vessel delisted
HIJAZI = "28444"  # listed (GLOMAG)
FILLERS = 20  # unchanged real entries, so that one delisting is a small share of the list


class Terminal(io.StringIO):
    """Standard error as a terminal."""

    def isatty(self) -> bool:
        return True


def run(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out = io.StringIO()
    err = io.StringIO() if err is None else err
    code = main(list(argv), stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


def empty_store(store: str) -> str:
    code, _, _ = run("init", "--empty", "--store", store)
    assert code == 0
    return store


def open_app(store: str) -> SanctionsApp:
    return SanctionsApp(resolve_store(store, {}))


def real_lines(snapshot: Path) -> dict[str, str]:
    """Each row of a real snapshot as written, by ent_num (read without the code under test)."""
    text = gzip.decompress(snapshot.read_bytes()).decode("latin-1").rstrip("\x1a")
    return {line.split(",", 1)[0]: line for line in text.split("\r\n") if line}


def write_snapshot(path: Path, lines: Sequence[str]) -> Path:
    """A snapshot file as OFAC writes it: latin-1, CRLF, a final end-of-file byte."""
    path.write_bytes("".join(line + "\r\n" for line in lines).encode("latin-1") + b"\x1a")
    return path


def entries_of(snapshot: Path) -> set[str]:
    text = gzip.decompress(snapshot.read_bytes()).decode("latin-1").rstrip("\x1a")
    return {row[0] for row in csv.reader(io.StringIO(text, newline="")) if row}


def entity_events(app: SanctionsApp, ent_num: str) -> list[Recorded]:
    return app.entity_events(app.find(f"ofac-sdn:{ent_num}"))


def programs_in_force(app: SanctionsApp, ent_num: str, day: date) -> dict[str, str]:
    entity_id = app.find(f"ofac-sdn:{ent_num}")
    record = record_of(str(entity_id), app.entity_events(entity_id), Horizon())
    return {m.measure.program: m.state for m in status_at(record, cut_after(day)).measures}


def status_on(app: SanctionsApp, ent_num: str, day: date) -> Status:
    entity_id = app.find(f"ofac-sdn:{ent_num}")
    record = record_of(str(entity_id), app.entity_events(entity_id), Horizon())
    return status_at(record, cut_after(day)).status


@pytest.fixture(scope="module")
def first_lines() -> dict[str, str]:
    return real_lines(FIRST)


@pytest.fixture(scope="module")
def second_lines() -> dict[str, str]:
    return real_lines(SECOND)


@pytest.fixture
def two_snapshots(
    tmp_path: Path, first_lines: dict[str, str], second_lines: dict[str, str]
) -> tuple[Path, Path]:
    """Real rows of 2021-08-18 and 2021-09-02: one listed, one delisted, changes between."""
    named = {BANK, BELARUSKALI, KOKSOKHIMTRANS, SAND_SWAN, HERMANN, HIJAZI}
    fillers = [e for e in first_lines if e not in named and first_lines[e] == second_lines.get(e)][
        :FILLERS
    ]
    before = [*fillers, BANK, BELARUSKALI, KOKSOKHIMTRANS, SAND_SWAN, HERMANN]
    after = [*fillers, BANK, BELARUSKALI, KOKSOKHIMTRANS, SAND_SWAN, HIJAZI]
    folder = tmp_path / "snapshots"
    folder.mkdir()
    return (
        write_snapshot(folder / "sdn-2021-08-18.csv", [first_lines[e] for e in before]),
        write_snapshot(folder / "sdn-2021-09-02.csv", [second_lines[e] for e in after]),
    )


@pytest.fixture(scope="module")
def latest() -> dict[str, SdnEntry]:
    return parse_sdn(read_bytes(LATEST), LATEST.name)


class TestReadingSdnCsv:
    def test_the_whole_real_file_is_read_and_the_end_of_file_byte_is_no_entry(
        self, latest: dict[str, SdnEntry]
    ) -> None:
        assert len(latest) == len(entries_of(LATEST)) == 14966

    def test_a_real_row_gives_name_kind_programs_and_alias(
        self, latest: dict[str, SdnEntry]
    ) -> None:
        entry = latest["306"]

        assert (entry.name, entry.kind, entry.programs, entry.aliases) == (
            "BANCO NACIONAL DE CUBA",
            "organisation",
            ("CUBA",),
            ("BNC",),
        )
        assert entry.raw == real_lines(LATEST)["306"]

    def test_programs_written_without_their_outer_brackets_are_split(
        self, latest: dict[str, SdnEntry]
    ) -> None:
        assert latest["4632"].programs == ("IRAN", "SDGT", "IRGC", "IFSR")

    def test_a_quote_inside_an_alias_does_not_end_it(self, latest: dict[str, SdnEntry]) -> None:
        assert latest["3754"].aliases == ("ABU-'UMAR",)

    def test_formerly_and_now_known_as_names_are_aliases(self, latest: dict[str, SdnEntry]) -> None:
        assert "ANSAR INSTITUTE" in latest["12478"].aliases  # f.k.a.
        assert latest["41920"].aliases == ("LGOK",)  # n.k.a.

    def test_a_name_cut_off_with_the_remarks_at_1000_characters_is_not_an_alias(
        self, latest: dict[str, SdnEntry]
    ) -> None:
        aliases = latest["27307"].aliases  # LAZARUS GROUP, remarks end "a.k.a. 'WHOIS HACKIN"

        assert "THE NEW ROMANTIC CYBER ARMY TEAM" in aliases
        assert not any(a.startswith("WHOIS") for a in aliases)

    @pytest.mark.parametrize(
        ("ent_num", "kind"),
        [
            ("306", "organisation"),  # type written -0-
            ("3754", "person"),  # individual
            ("15431", "aircraft"),
            ("4243", "vessel"),
        ],
    )
    def test_the_type_column_gives_the_kind(self, ent_num: str, kind: str) -> None:
        entries = parse_sdn(read_bytes(FIRST), FIRST.name)

        assert entries[ent_num].kind == kind

    def test_dash_zero_dash_with_its_trailing_space_is_an_empty_field(
        self, latest: dict[str, SdnEntry]
    ) -> None:
        assert real_lines(LATEST)["36"].count("-0- ") == 9
        assert latest["36"].aliases == ()
        assert latest["36"].kind == "organisation"


class TestDetectingFormatAndDay:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("sdn.csv", "ofac-sdn-csv"),
            ("sdn-2024-05-01.csv.gz", "ofac-sdn-csv"),
            ("events.jsonl", "jsonl"),
            ("events.jsonl.gz", "jsonl"),
        ],
    )
    def test_the_format_is_detected_from_the_file_name(
        self, tmp_path: Path, name: str, expected: str
    ) -> None:
        path = tmp_path / name
        path.write_bytes(b"")

        assert detect_format(path) == expected

    def test_the_content_decides_when_the_name_does_not(
        self, tmp_path: Path, first_lines: dict[str, str]
    ) -> None:
        snapshot = write_snapshot(tmp_path / "download.dat", [first_lines[BANK]])
        zipped = tmp_path / "download"
        zipped.write_bytes(gzip.compress(snapshot.read_bytes()))
        events = tmp_path / "events.txt"
        events.write_text('{"type": "entity_registered"}\n', encoding="utf-8")

        assert [detect_format(p) for p in (snapshot, zipped, events)] == [
            "ofac-sdn-csv",
            "ofac-sdn-csv",
            "jsonl",
        ]

    def test_the_observed_day_is_read_from_the_file_name(self) -> None:
        assert observed_from_name("faulty-sdn-2024-05-04-empty.csv") == date(2024, 5, 4)
        assert observed_from_name("sdn.csv") is None

    def test_a_file_name_with_two_days_is_refused(self) -> None:
        with pytest.raises(SnapshotOrderError) as refused:
            observed_from_name("sdn-2024-05-01-from-2024-04-02.csv")

        assert str(refused.value) == (
            "sdn-2024-05-01-from-2024-04-02.csv: the file name holds several days "
            "(2024-04-02, 2024-05-01): give the day the snapshot was observed with --observed"
        )

    def test_a_snapshot_without_a_day_in_its_name_needs_observed(
        self, tmp_path: Path, first_lines: dict[str, str]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        snapshot = write_snapshot(tmp_path / "sdn.csv", [first_lines[BANK]])

        code, out, err = run("import", str(snapshot), "--store", store)

        assert (code, out) == (2, "")
        assert err == (
            "error: sdn.csv: cannot tell when this snapshot was observed: give --observed "
            "YYYY-MM-DD or put the day in the file name (sdn-2024-05-01.csv)\n"
        )

    def test_observed_gives_the_day_of_a_snapshot(
        self, tmp_path: Path, first_lines: dict[str, str]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        snapshot = write_snapshot(tmp_path / "sdn.csv", [first_lines[BANK]])

        code, out, _ = run(
            "import", str(snapshot), "--observed", "2021-08-18", "--store", store, "--quiet"
        )

        assert code == 0
        assert out == (
            "imported sdn.csv (OFAC SDN snapshot 2021-08-18): 1 entries, 1 added, 0 removed, "
            "0 with program changes, 0 renamed; 5 new events\n"
        )

    def test_json_lines_and_snapshots_are_not_imported_in_one_command(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        events = tmp_path / "events.jsonl"
        events.write_text("", encoding="utf-8")

        code, _, err = run("import", str(two_snapshots[0]), str(events), "--store", store)

        assert code == 2
        assert err == (
            "error: import either JSON Lines files or OFAC snapshots in one command, not both: "
            "the snapshots are taken in date order, the JSON Lines files in the order given\n"
        )
        assert open_app(store).max_position() == 0

    def test_observed_is_refused_for_json_lines(self, tmp_path: Path) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        events = tmp_path / "events.jsonl"
        events.write_text("", encoding="utf-8")

        code, _, err = run("import", str(events), "--observed", "2024-05-01", "--store", store)

        assert (code, err) == (
            2,
            "error: --observed applies to OFAC snapshots (--format ofac-sdn-csv), "
            "not to JSON Lines\n",
        )

    def test_jsonl_files_are_still_imported_as_before(self, tmp_path: Path) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        events = tmp_path / "events.jsonl"
        events.write_text(
            '{"type": "entity_registered", "key": "acme", "entity": "Acme", "kind": "company",'
            ' "date": "2010", "source": {"title": "Report"}}\n',
            encoding="utf-8",
        )

        code, out, err = run("import", str(events), "--store", store)

        assert (code, out, err) == (0, "imported events.jsonl: 1 lines, 1 new events\n", "")


class TestImportingSnapshots:
    def test_entries_of_the_first_snapshot_were_listed_at_an_unknown_date_before_it(
        self, store_url: str, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(store_url)

        code, _, _ = run("import", str(two_snapshots[0]), "--store", store)

        app = open_app(store)
        imposed = [e for e in entity_events(app, BANK) if e.type == "sanction_imposed"]
        assert code == 0
        assert [(e.get("authority"), e.get("program")) for e in imposed] == [
            ("OFAC", LISTING),
            ("OFAC", "CUBA"),
        ]
        assert {e.effective for e in imposed} == {imposed[0].effective}
        assert imposed[0].effective is not None
        assert imposed[0].effective.as_json() == {
            "text": "..2021-08-18",
            "from": None,
            "until": "2021-08-19",
        }
        assert imposed[0].effective.how == "in OFAC snapshot 2021-08-18 (first on record)"
        assert status_on(app, BANK, date(2021, 8, 18)) is Status.SANCTIONED
        assert status_on(app, BANK, date(1990, 1, 1)) is Status.UNCERTAIN

    def test_a_new_entry_is_registered_and_listed_within_the_interval_between_snapshots(
        self, store_url: str, two_snapshots: tuple[Path, Path], second_lines: dict[str, str]
    ) -> None:
        store = empty_store(store_url)

        code, out, _ = run("import", *map(str, two_snapshots), "--store", store)

        app = open_app(store)
        events = entity_events(app, HIJAZI)
        assert code == 0
        assert out.splitlines()[1] == (
            "imported sdn-2021-09-02.csv (OFAC SDN snapshot 2021-09-02): 25 entries, 1 added, "
            "1 removed, 2 with program changes, 1 renamed; 11 new events"
        )
        assert [
            (e.type, e.get("name") or e.get("identifier") or e.get("program")) for e in events
        ] == [
            ("entity_registered", "HIJAZI, Khalil Ahmad"),
            ("identifier_added", "ofac-sdn:28444"),
            ("sanction_imposed", LISTING),
            ("sanction_imposed", "GLOMAG"),
        ]
        assert events[0].get("kind") == "person"
        assert {e.effective.text for e in events if e.effective} == {"2021-08-19/2021-09-02"}
        assert events[2].source.as_json() == {
            "title": "OFAC SDN list (sdn.csv) snapshot",
            "publisher": "U.S. Treasury OFAC",
            "published": "2021-09-02",
            "url": None,
            "quote": second_lines[HIJAZI],
        }
        assert status_on(app, HIJAZI, date(2021, 8, 18)) is Status.NOT_SANCTIONED
        assert status_on(app, HIJAZI, date(2021, 8, 25)) is Status.UNCERTAIN
        assert status_on(app, HIJAZI, date(2021, 9, 2)) is Status.SANCTIONED

    def test_a_vanished_entry_has_each_measure_lifted_within_the_interval(
        self, store_url: str, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(store_url)

        run("import", *map(str, two_snapshots), "--store", store)

        app = open_app(store)
        lifted = [e for e in entity_events(app, HERMANN) if e.type == "sanction_lifted"]
        assert len(lifted) == 2  # the listing and its one program, CUBA
        assert {e.effective for e in lifted} == {lifted[0].effective}
        assert lifted[0].effective is not None
        assert lifted[0].effective.text == "2021-08-19/2021-09-02"
        assert lifted[0].effective.how == (
            "absent from OFAC snapshot 2021-09-02, present in 2021-08-18"
        )
        assert status_on(app, HERMANN, date(2021, 8, 25)) is Status.UNCERTAIN
        assert status_on(app, HERMANN, date(2021, 9, 2)) is Status.LIFTED

    def test_a_program_change_lifts_one_measure_and_imposes_another_while_listed(
        self, store_url: str, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(store_url)

        run("import", *map(str, two_snapshots), "--store", store)

        app = open_app(store)
        between = date(2021, 8, 25)
        assert programs_in_force(app, KOKSOKHIMTRANS, date(2021, 9, 2)) == {
            LISTING: "in_force",
            "UKRAINE-EO13685": "in_force",
            "PEESA": "lifted",
            "PEESA-EO": "in_force",
        }
        assert programs_in_force(app, BELARUSKALI, between) == {
            LISTING: "in_force",
            "BELARUS-EO": "uncertain",
            "BELARUS-EO14038": "uncertain",
        }
        assert status_on(app, BELARUSKALI, between) is Status.SANCTIONED
        assert status_on(app, KOKSOKHIMTRANS, between) is Status.SANCTIONED

    def test_a_renamed_entry_gets_its_new_name_as_an_alias(
        self, store_url: str, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(store_url)

        run("import", *map(str, two_snapshots), "--store", store)

        app = open_app(store)
        aliases = [e for e in entity_events(app, SAND_SWAN) if e.type == "alias_added"]
        assert [(e.get("alias"), e.effective and e.effective.text) for e in aliases] == [
            ("ANA I", "..2021-08-18"),  # f.k.a. in the remarks
            ("EBANO", "2021-08-19/2021-09-02"),
        ]
        assert app.find("EBANO") == app.find("SAND SWAN")

    def test_files_are_taken_in_date_order_whatever_order_they_are_given_in(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))

        code, out, _ = run("import", str(two_snapshots[1]), str(two_snapshots[0]), "--store", store)

        assert code == 0
        assert [line.split(" ")[1] for line in out.splitlines()] == [
            "sdn-2021-08-18.csv",
            "sdn-2021-09-02.csv",
            "2",
        ]

    def test_reimporting_snapshots_adds_nothing(
        self, store_url: str, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(store_url)
        run("import", *map(str, two_snapshots), "--store", store)
        before = open_app(store).max_position()

        code, out, _ = run("import", *map(str, two_snapshots), "--store", store)

        assert code == 0
        assert out == (
            "imported sdn-2021-08-18.csv (OFAC SDN snapshot 2021-08-18): already on record, "
            "0 new events\n"
            "imported sdn-2021-09-02.csv (OFAC SDN snapshot 2021-09-02): already on record, "
            "0 new events\n"
            "imported 2 OFAC snapshots: 0 new events\n"
        )
        assert open_app(store).max_position() == before

    def test_a_snapshot_older_than_the_latest_on_record_is_refused(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path], first_lines: dict[str, str]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        run("import", *map(str, two_snapshots), "--store", store)
        before = open_app(store).max_position()
        older = write_snapshot(tmp_path / "sdn-2021-08-30.csv", [first_lines[BANK]])

        code, out, err = run("import", str(older), "--store", store)

        assert (code, out) == (2, "")
        assert err == (
            "error: sdn-2021-08-30.csv: snapshot observed 2021-08-30 is older than the latest "
            "OFAC SDN snapshot on record (2021-09-02): snapshots are imported in date order, "
            "and placing an older one would change the dates of events already recorded; "
            "nothing was imported\n"
        )
        assert open_app(store).max_position() == before

    def test_a_different_snapshot_for_a_day_on_record_is_refused(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path], first_lines: dict[str, str]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        run("import", str(two_snapshots[0]), "--store", store)
        other = write_snapshot(tmp_path / "sdn-2021-08-18.csv", [first_lines[BANK]])

        code, _, err = run("import", str(other), "--store", store)

        assert code == 2
        assert err.startswith(
            "error: sdn-2021-08-18.csv: a different OFAC SDN snapshot observed on 2021-08-18 "
            "is already on record or in this import (sha256 "
        )
        assert err.endswith("one snapshot per day; nothing was imported\n")

    def test_the_series_on_record_lists_each_snapshot_and_the_latest_entries(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))

        run("import", *map(str, two_snapshots), "--store", store)

        series = load_series(open_app(store), LIST_NAME)
        assert [s["observed"] for s in series.snapshots] == ["2021-08-18", "2021-09-02"]
        assert series.latest() == date(2021, 9, 2)
        assert HIJAZI in series.entries
        assert HERMANN not in series.entries
        assert series.entries[SAND_SWAN][0] == "EBANO"


class TestRefusingFaultyDownloads:
    def test_the_real_empty_download_is_refused_and_nothing_is_written(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        run("import", *map(str, two_snapshots), "--store", store)
        before = open_app(store).max_position()

        code, out, err = run("import", str(EMPTY_DOWNLOAD), "--store", store)

        assert (code, out) == (2, "")
        assert err == (
            "error: faulty-sdn-2024-05-04-empty.csv: the file is empty (0 bytes): an OFAC SDN "
            "snapshot lists thousands of entries, so this looks like a faulty download; "
            "nothing was imported\n"
        )
        assert open_app(store).max_position() == before

    def test_a_refused_file_among_several_means_none_of_them_is_written(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))

        code, _, err = run(
            "import", *map(str, two_snapshots), str(EMPTY_DOWNLOAD), "--store", store
        )

        assert code == 2
        assert err.startswith("error: faulty-sdn-2024-05-04-empty.csv: the file is empty")
        assert open_app(store).max_position() == 0

    @pytest.fixture
    def cut_down(
        self, tmp_path: Path, first_lines: dict[str, str], second_lines: dict[str, str]
    ) -> tuple[Path, Path]:
        """40 real entries, then a well-formed snapshot holding only 30 of them."""
        kept = [e for e in first_lines if e in second_lines][:40]
        return (
            write_snapshot(tmp_path / "sdn-2021-08-18.csv", [first_lines[e] for e in kept]),
            write_snapshot(tmp_path / "sdn-2021-09-02.csv", [second_lines[e] for e in kept[:30]]),
        )

    def test_a_snapshot_delisting_more_than_a_tenth_of_the_list_is_refused(
        self, tmp_path: Path, cut_down: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        run("import", str(cut_down[0]), "--store", store)
        before = open_app(store).max_position()

        code, _, err = run("import", str(cut_down[1]), "--store", store)

        assert code == 2
        assert err == (
            "error: sdn-2021-09-02.csv: 10 of the 40 entries of the snapshot of 2021-08-18 are "
            "missing (25.0%), more than the 10% that may be delisted at once: this looks like a "
            "faulty download; nothing was imported (pass --allow-mass-removal if OFAC really "
            "delisted them)\n"
        )
        assert open_app(store).max_position() == before

    def test_a_mass_removal_is_imported_when_allowed(
        self, tmp_path: Path, cut_down: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        run("import", str(cut_down[0]), "--store", store)

        code, out, _ = run("import", str(cut_down[1]), "--allow-mass-removal", "--store", store)

        assert code == 0
        assert ": 30 entries, 0 added, 10 removed," in out

    def test_the_share_of_the_list_that_may_go_at_once_can_be_set(
        self, tmp_path: Path, cut_down: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        run("import", str(cut_down[0]), "--store", store)

        code, _, _ = run("import", str(cut_down[1]), "--max-removal", "25", "--store", store)

        assert code == 0

    def test_a_file_cut_in_the_middle_of_a_row_is_refused(self, tmp_path: Path) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        data = gzip.decompress(FIRST.read_bytes())
        cut = tmp_path / "sdn-2021-08-18.csv"
        cut.write_bytes(data[: data.index(b"a.k.a. 'BNC'") + 9] + b"\x1a")

        code, _, err = run("import", str(cut), "--store", store)

        assert code == 2
        assert err == (
            "error: sdn-2021-08-18.csv: line 3 cannot be read as CSV (unexpected end of data): "
            "the file looks cut short or is not OFAC's sdn.csv; nothing was imported\n"
        )
        assert open_app(store).max_position() == 0

    def test_a_row_with_missing_columns_is_refused(
        self, tmp_path: Path, first_lines: dict[str, str]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        row = first_lines[BANK]
        cut = write_snapshot(tmp_path / "sdn-2021-08-18.csv", [row, row[: row.index(",-0-")]])

        code, _, err = run("import", str(cut), "--store", store)

        assert code == 2
        assert err == (
            "error: sdn-2021-08-18.csv: line 2 has 2 columns, an sdn.csv row has 12: the file "
            "looks cut short or is not OFAC's sdn.csv; nothing was imported\n"
        )

    def test_a_file_without_the_end_of_file_byte_is_refused(self, tmp_path: Path) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        data = gzip.decompress(FIRST.read_bytes())
        cut = tmp_path / "sdn-2021-08-18.csv"
        cut.write_bytes(data[: data.index(b"\r\n", len(data) // 2) + 2])

        code, _, err = run("import", str(cut), "--store", store)

        assert code == 2
        assert err == (
            "error: sdn-2021-08-18.csv: the file does not end with OFAC's end-of-file byte "
            "(\\x1a) after its last row: the download looks cut short; nothing was imported\n"
        )

    def test_a_gzip_download_cut_short_is_refused(self, tmp_path: Path) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        cut = tmp_path / "sdn-2021-08-18.csv.gz"
        cut.write_bytes(FIRST.read_bytes()[:100_000])

        code, _, err = run("import", str(cut), "--store", store)

        assert code == 2
        assert err == (
            "error: sdn-2021-08-18.csv.gz: the gzip data is damaged or cut short (Compressed "
            "file ended before the end-of-stream marker was reached): the download looks "
            "faulty; nothing was imported\n"
        )

    def test_a_page_saved_instead_of_the_list_is_refused(self, tmp_path: Path) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))
        page = tmp_path / "sdn-2024-05-04.csv"
        page.write_text("<html><body>Service Unavailable</body></html>\n", encoding="utf-8")

        code, _, err = run("import", str(page), "--store", store)

        assert code == 2
        assert err == (
            "error: sdn-2024-05-04.csv: the first line ('<html><body>Service Unavailable</body>"
            "</') does not start with an ent_num and a quoted name: the file is not OFAC's "
            "sdn.csv (a faulty download?); nothing was imported\n"
        )


class TestProgress:
    def test_progress_is_shown_on_a_terminal_and_cleared(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))

        code, _, err = run("import", *map(str, two_snapshots), "--store", store, err=Terminal())

        assert code == 0
        assert err.startswith("\rreading:   0%|")
        assert "| 2/2 [" in err
        assert "sdn-2021-09-02.csv: 50 entries, " in err
        *_, blank, end = err.split("\r")
        assert (blank.strip(), end) == ("", "")  # the bar is wiped

    def test_quiet_shows_no_progress(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))

        code, _, err = run(
            "import", *map(str, two_snapshots), "--quiet", "--store", store, err=Terminal()
        )

        assert (code, err) == (0, "")

    def test_no_progress_when_standard_error_is_not_a_terminal(
        self, tmp_path: Path, two_snapshots: tuple[Path, Path]
    ) -> None:
        store = empty_store(str(tmp_path / "events.sqlite"))

        code, _, err = run("import", *map(str, two_snapshots), "--store", store)

        assert (code, err) == (0, "")


# -- the whole real series ---------------------------------------------------------------


@pytest.fixture(scope="module")
def whole_series(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """All 34 real snapshots imported into an empty store, and every entity's record."""
    store = empty_store(str(tmp_path_factory.mktemp("series") / "events.sqlite"))
    code, out, err = run("import", *map(str, SERIES), "--store", store)
    assert (code, err) == (0, "")
    app = open_app(store)
    records = all_records(app, Horizon())
    by_entry = {}
    for record in records:
        (ent_num,) = [i.removeprefix("ofac-sdn:") for i in record.identifiers]
        chains = {m.measure_id: Chain.of(m.chain()) for m in record.measures}
        by_entry[ent_num] = (record, chains)
    days = [date.fromisoformat(p.name[4:14]) for p in SERIES]
    return {
        "store": store,
        "output": out,
        "by_entry": by_entry,
        "snapshots": [(day, entries_of(p)) for day, p in zip(days, SERIES, strict=True)],
    }


def statuses_on(series: dict[str, Any], day: date) -> dict[str, Status]:
    cut = cut_after(day)
    return {
        ent_num: status_at(record, cut, chains).status
        for ent_num, (record, chains) in series["by_entry"].items()
    }


@pytest.mark.slow
class TestTheWholeRealSeries:
    def test_every_snapshot_is_imported(self, whole_series: dict[str, Any]) -> None:
        lines = whole_series["output"].splitlines()

        assert len(lines) == len(SERIES) + 1 == 35
        assert lines[0].startswith(
            "imported sdn-2021-08-18.csv.gz (OFAC SDN snapshot 2021-08-18): 9083 entries, "
            "9083 added, 0 removed,"
        )
        assert lines[-1].startswith("imported 34 OFAC snapshots: ")

    def test_at_every_snapshot_date_the_sanctioned_entities_are_its_entries_all_certain(
        self, whole_series: dict[str, Any]
    ) -> None:
        for day, entries in whole_series["snapshots"]:
            statuses = statuses_on(whole_series, day)

            sanctioned = {e for e, s in statuses.items() if s is Status.SANCTIONED}
            uncertain = {e for e, s in statuses.items() if s is Status.UNCERTAIN}
            assert (day, sanctioned) == (day, entries)
            assert (day, uncertain) == (day, set())

    def test_between_two_snapshots_only_the_entries_added_or_removed_are_uncertain(
        self, whole_series: dict[str, Any]
    ) -> None:
        snapshots = whole_series["snapshots"]
        for (before, listed), (after, relisted) in itertools.pairwise(snapshots):
            between = before + timedelta(days=(after - before).days // 2)
            statuses = statuses_on(whole_series, between)

            uncertain = {e for e, s in statuses.items() if s is Status.UNCERTAIN}
            sanctioned = {e for e, s in statuses.items() if s is Status.SANCTIONED}
            assert (between, uncertain) == (between, listed ^ relisted)
            assert (between, sanctioned) == (between, listed & relisted)

    def test_reimporting_the_whole_series_adds_nothing(self, whole_series: dict[str, Any]) -> None:
        before = open_app(whole_series["store"]).max_position()

        code, out, _ = run("import", *map(str, SERIES), "--store", whole_series["store"])

        assert (code, out.splitlines()[-1]) == (0, "imported 34 OFAC snapshots: 0 new events")
        assert open_app(whole_series["store"]).max_position() == before

    def test_the_real_empty_download_after_the_series_delists_nothing(
        self, whole_series: dict[str, Any]
    ) -> None:
        before = open_app(whole_series["store"]).max_position()

        code, _, _ = run("import", str(EMPTY_DOWNLOAD), "--store", whole_series["store"])

        assert code == 2
        assert open_app(whole_series["store"]).max_position() == before


class TestRestoringFromAnExport:
    def test_a_snapshot_after_a_restore_is_compared_with_the_last_one_on_record(
        self, tmp_path: Path
    ) -> None:
        rows = list(real_lines(SNAPSHOTS / "sdn-2021-08-18.csv.gz").values())[:60]
        first = write_snapshot(tmp_path / "sdn-2021-08-18.csv", rows[:50])
        second = write_snapshot(tmp_path / "sdn-2021-09-02.csv", rows[:48] + rows[50:55])
        original = empty_store(str(tmp_path / "original.sqlite"))
        assert run("import", str(first), "--store", original)[0] == 0
        export_file = tmp_path / "log.jsonl"
        assert run("export", "--output", str(export_file), "--store", original)[0] == 0
        restored = empty_store(str(tmp_path / "restored.sqlite"))
        assert run("import", str(export_file), "--store", restored)[0] == 0

        results = [
            run("import", str(second), "--store", store, "--quiet")
            for store in (original, restored)
        ]
        answers = [
            json.loads(run("status", "--as-of", "2021-08-25", "--format", "json", "--store", s)[1])
            for s in (original, restored)
        ]

        assert results[0][1] == results[1][1]  # the same changes: 5 listed, 2 delisted
        assert answers[0] == answers[1]
        uncertain = [e for e in answers[1]["entities"] if e["status"] == "uncertain"]
        assert len(uncertain) == 7  # between the two snapshots: 5 listed, 2 delisted
