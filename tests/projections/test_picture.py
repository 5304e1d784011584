"""The timeline picture, read back from its SVG: rows, bars, marks, legend, years, bytes."""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from cli import main
from domain.record import EntityRecord
from events_log.app import SanctionsApp
from events_log.bundled import BUNDLED_DATASET
from events_log.store import resolve_store
from projections import picture
from projections.views import Horizon, record_of

SVG = "{http://www.w3.org/2000/svg}"
SOURCE = ["--source", "Test report", "--source-date", "2020-01-15"]


def run(store: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--store", str(store)], stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("picture") / "s.sqlite"
    assert run(store, "init", "--empty")[0] == 0  # the article alone: one entity per name
    assert run(store, "import", str(BUNDLED_DATASET))[0] == 0
    return store


def records(store: Path, *names: str) -> list[EntityRecord]:
    app = SanctionsApp(resolve_store(str(store), {}))
    ids = [app.find(name) for name in names]
    return [record_of(str(i), app.entity_events(i), Horizon()) for i in ids]


def parse(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)


def by_id(root: ET.Element, prefix: str) -> dict[str, ET.Element]:
    return {e.get("id", ""): e for e in root.iter() if e.get("id", "").startswith(prefix)}


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in element.iter(SVG + "text")]


def path_xs(element: ET.Element) -> list[float]:
    """The x coordinates of a bar's outline."""
    (path,) = element.iter(SVG + "path")
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
    return numbers[0::2]


def row_y(element: ET.Element) -> float:
    (text,) = element.iter(SVG + "text")
    match = re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", text.get("transform", ""))
    if match:
        return float(match.group(2))
    return float(text.get("y", "0"))


class TestOneEntity:
    def test_rows_are_the_entity_its_source_its_measure_and_its_marks(self, bundled: Path) -> None:
        (norinco,) = records(bundled, "Norinco")

        root = parse(picture.render(picture.entity_groups([norinco]), "svg"))

        rows = by_id(root, "row-")
        assert sorted(rows) == [
            "row-0-group",
            "row-1-source",
            "row-2-measure",
            "row-3-marks",
            "row-4-marks",
            "row-5-marks",
        ]
        assert texts(rows["row-0-group"]) == ["China North Industries Corp."]
        assert texts(rows["row-1-source"])[0].startswith("source: China Asks U.S. to Lift")
        assert texts(rows["row-2-measure"])[0].startswith("U.S. sanctions (program not named")
        assert [texts(rows[f"row-{i}-marks"])[0] for i in (3, 4, 5)] == [
            "delisting requests: 1",
            "negotiations: 2",
            "reported activities: 3",
        ]
        ys = [row_y(rows[k]) for k in sorted(rows)]
        assert ys == sorted(ys)
        assert len(set(ys)) == len(ys)

    def test_the_bar_is_light_while_an_event_may_not_have_happened_and_solid_between(
        self, bundled: Path
    ) -> None:
        (norinco,) = records(bundled, "Norinco")
        (measure,) = norinco.measures
        tag = measure.measure_id[:8]

        root = parse(picture.render(picture.entity_groups([norinco]), "svg"))

        bars = by_id(root, f"bar-{tag}")
        assert sorted(bars) == [
            f"bar-{tag}-certain-0",
            f"bar-{tag}-uncertain-0",
            f"bar-{tag}-uncertain-1",
        ]
        imposed = path_xs(bars[f"bar-{tag}-uncertain-0"])  # "early 2000s": 2000 to 2003
        certain = path_xs(bars[f"bar-{tag}-certain-0"])  # 2004 to 2007
        ended = path_xs(bars[f"bar-{tag}-uncertain-1"])  # "2007"
        assert max(imposed) == pytest.approx(min(certain), abs=0.01)
        assert max(certain) == pytest.approx(min(ended), abs=0.01)
        year = (max(certain) - min(certain)) / 3
        assert max(imposed) - min(imposed) == pytest.approx(4 * year, rel=0.01)
        assert max(ended) - min(ended) == pytest.approx(year, rel=0.01)
        for light in (f"bar-{tag}-uncertain-0", f"bar-{tag}-uncertain-1"):
            (path,) = bars[light].iter(SVG + "path")
            assert "opacity: 0.3" in path.get("style", "")
        (solid,) = bars[f"bar-{tag}-certain-0"].iter(SVG + "path")
        assert "opacity" not in solid.get("style", "")
        assert "#0072b2" in solid.get("style", "")
        assert not by_id(root, f"open-{tag}")  # it ended: no arrow

    def test_marks_show_each_request_negotiation_and_activity(self, bundled: Path) -> None:
        (norinco,) = records(bundled, "Norinco")

        root = parse(picture.render(picture.entity_groups([norinco]), "svg"))

        marks = [k for k in by_id(root, "mark-") if not k.endswith("-span")]
        assert sorted({k.split("-")[1] for k in marks}) == ["activity", "negotiation", "request"]
        assert len([k for k in marks if "-negotiation-" in k]) == len(norinco.negotiations)
        assert len([k for k in marks if "-activity-" in k]) == len(norinco.activities)

    def test_the_legend_names_every_colour_and_mark(self, bundled: Path) -> None:
        (norinco,) = records(bundled, "Norinco")

        root = parse(picture.render(picture.entity_groups([norinco]), "svg"))

        (legend,) = by_id(root, "legend").values()
        assert texts(legend) == [
            "in force",
            "may or may not have happened yet",
            "waived",
            "delisting request",
            "delisting decision",
            "negotiation",
            "reported activity",
        ]

    def test_years_are_on_the_axis_and_from_and_to_narrow_them(self, bundled: Path) -> None:
        (norinco,) = records(bundled, "Norinco")
        groups = picture.entity_groups([norinco])

        whole = parse(picture.render(groups, "svg"))
        narrow = parse(
            picture.render(groups, "svg", start=date(2003, 1, 1), end=date(2008, 12, 31))
        )

        years = sorted(by_id(whole, "year-"))
        assert years[0] == "year-2000"
        assert years[-1] == "year-2014"
        assert [texts(e)[0] for _, e in sorted(by_id(narrow, "year-").items())] == [
            str(y) for y in range(2003, 2010)
        ]

    def test_the_same_store_gives_the_same_bytes(self, bundled: Path) -> None:
        first = picture.render(picture.entity_groups(records(bundled, "Norinco", "China")), "svg")
        again = picture.render(picture.entity_groups(records(bundled, "Norinco", "China")), "svg")
        png = picture.render(picture.entity_groups(records(bundled, "Norinco")), "png")
        png_again = picture.render(picture.entity_groups(records(bundled, "Norinco")), "png")

        assert first == again
        assert png == png_again
        assert png.startswith(b"\x89PNG")
        assert b"<dc:date>" not in first


@pytest.fixture(scope="module")
def party(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five members with ten measures, one of them waived and another still in force."""
    store = tmp_path_factory.mktemp("party") / "s.sqlite"
    assert run(store, "init", "--empty")[0] == 0
    for n in range(5):
        name = f"Member {n} Trading & Shipping <Holding> Company Limited of the Eastern Region"
        assert (
            run(
                store,
                "append",
                "registration",
                "--entity",
                name,
                "--kind",
                "company",
                "--date",
                "2001",
                *SOURCE,
            )[0]
            == 0
        )
        for program in ("NPWMD", "IFSR"):
            code, _, err = run(
                store,
                "append",
                "imposition",
                "--entity",
                name,
                "--authority",
                "OFAC",
                "--program",
                f"{program}-{n}",
                "--date",
                f"{2005 + n}-06",
                *SOURCE,
            )
            assert code == 0, err
        assert (
            run(
                store,
                "append",
                "lapse",
                "--entity",
                name,
                "--measure",
                f"NPWMD-{n}",
                "--date",
                f"{2012 + n}",
                *SOURCE,
            )[0]
            == 0
        )
        assert (
            run(
                store,
                "append",
                "negotiation",
                "--entity",
                name,
                "--forum",
                "JCCT",
                "--date",
                "2015-03-02",
                *SOURCE,
            )[0]
            == 0
        )
    name0 = "Member 0 Trading & Shipping <Holding> Company Limited of the Eastern Region"
    assert (
        run(
            store,
            "append",
            "waiver",
            "--entity",
            name0,
            "--measure",
            "IFSR-0",
            "--date",
            "2016",
            *SOURCE,
        )[0]
        == 0
    )
    return store


class TestAPartyOfFive:
    def test_every_member_and_measure_has_its_own_row(self, party: Path) -> None:
        members = records(
            party,
            *(
                f"Member {n} Trading & Shipping <Holding> Company Limited of the Eastern Region"
                for n in range(5)
            ),
        )

        svg = picture.render([("The party", members)], "svg")
        root = parse(svg)

        rows = by_id(root, "row-")
        kinds = [k.split("-", 2)[2] for k in sorted(rows, key=lambda k: int(k.split("-")[1]))]
        assert kinds.count("group") == 1
        assert kinds.count("entity") == 5
        assert kinds.count("measure") == 10
        assert kinds.count("marks") == 5
        labels = [texts(e)[0] for e in rows.values()]
        assert all(len(label) <= picture.LABEL_CHARS for label in labels)
        assert any(label.endswith("\u2026") for label in labels)  # long names are cut
        ys = sorted(row_y(e) for e in rows.values())
        gaps = [b - a for a, b in itertools.pairwise(ys)]
        assert min(gaps) > 15  # points: rows do not overlap at 9-point text
        assert b"&lt;Holding&gt;" in svg

    def test_a_waiver_is_orange_and_a_measure_in_force_runs_off_the_right(
        self, party: Path
    ) -> None:
        (member,) = records(
            party, "Member 0 Trading & Shipping <Holding> Company Limited of the Eastern Region"
        )
        waived = next(m for m in member.measures if m.program == "IFSR-0")
        tag = waived.measure_id[:8]

        root = parse(picture.render(picture.entity_groups([member]), "svg"))

        bars = by_id(root, f"bar-{tag}")
        (after_waiver,) = bars[f"bar-{tag}-certain-1"].iter(SVG + "path")
        assert "#e69f00" in after_waiver.get("style", "")
        assert by_id(root, f"open-{tag}")


class TestTimelineCommand:
    def test_writes_an_svg_and_says_so(self, bundled: Path, tmp_path: Path) -> None:
        target = tmp_path / "t.svg"

        code, out, err = run(bundled, "timeline", "Norinco", "Kunlun Bank", "-o", str(target))

        assert (code, err) == (0, "")
        size = target.stat().st_size
        assert out == f"wrote {target} (svg, {size} bytes, 2 entities)\n"
        assert texts(by_id(parse(target.read_bytes()), "row-0-group")["row-0-group"]) == [
            "China North Industries Corp."
        ]

    def test_writes_a_png(self, bundled: Path, tmp_path: Path) -> None:
        target = tmp_path / "t.png"

        code, _, _ = run(bundled, "timeline", "Norinco", "-o", str(target), "--from", "1999")

        assert code == 0
        assert target.read_bytes().startswith(b"\x89PNG")

    def test_another_suffix_is_refused(self, bundled: Path, tmp_path: Path) -> None:
        target = tmp_path / "t.jpg"

        code, out, err = run(bundled, "timeline", "Norinco", "-o", str(target))

        assert (code, out) == (2, "")
        assert err == f"error: timeline output {str(target)!r} must end in .svg or .png\n"
        assert not target.exists()

    def test_to_before_from_is_refused(self, bundled: Path, tmp_path: Path) -> None:
        target = tmp_path / "t.svg"

        code, _, err = run(
            bundled, "timeline", "Norinco", "-o", str(target), "--from", "2010", "--to", "2005"
        )

        assert code == 2
        assert err == "error: timeline --to 2005-12-31 is before --from 2010-01-01\n"
        assert not target.exists()

    def test_an_unknown_name_is_refused(self, bundled: Path, tmp_path: Path) -> None:
        code, _, err = run(bundled, "timeline", "Nobody", "-o", str(tmp_path / "t.svg"))

        assert code == 2
        assert err.startswith("error: entity 'Nobody' is not on record")
