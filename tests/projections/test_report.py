"""The HTML report: one self-contained file, escaped, with the status table, the pictures,
the measures and the sources with their quotes."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cli import main

NASTY = "Acme <Holdings> & \"Sons\" 'Ltd'"
QUOTE = 'It said "<script>alert(1)</script>" & more'
SOURCE = ["--source", "Notes <b>bold</b> & co", "--source-date", "2020-01-15"]


def run(store: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--store", str(store)], stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "s.sqlite"
    assert run(path, "init")[0] == 0
    steps = [
        ("registration", "--kind", "company", "--date", "2019", "--alias", "A&S <Ltd>"),
        (
            "imposition",
            "--authority",
            "OFAC",
            "--program",
            "SDGT <x>",
            "--date",
            "2020-01",
            "--quote",
            QUOTE,
            "--url",
            "javascript:alert(1)",
        ),
        ("negotiation", "--forum", "Talks & <more>", "--date", "2020"),
    ]
    for kind, *options in steps:
        code, _, err = run(path, "append", kind, "--entity", NASTY, *options, *SOURCE)
        assert code == 0, err
    return path


class Cells(HTMLParser):
    """The text of each table cell, row by row, of the first table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tables = 0
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables += 1
        if self.tables == 1 and tag == "tr":
            self.rows.append([])
        if self.tables == 1 and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


@pytest.fixture(scope="module")
def html(store: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path_factory.mktemp("out") / "r.html"
    code, out, err = run(store, "report", NASTY, "Norinco", "--as-of", "2010", "-o", str(target))
    assert (code, err) == (0, ""), err
    assert out == f"wrote {target} ({target.stat().st_size} bytes, 2 entities)\n"
    return target.read_text(encoding="utf-8")


class TestReport:
    def test_names_sources_and_quotes_from_lists_come_out_escaped(self, html: str) -> None:
        assert "Acme &lt;Holdings&gt; &amp; &#34;Sons&#34; &#39;Ltd&#39;" in html
        assert "It said &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34; &amp; more" in html
        assert "Notes &lt;b&gt;bold&lt;/b&gt; &amp; co" in html
        assert "<script" not in html
        assert "<b>" not in html
        assert "javascript:" not in html  # a link only for http(s) addresses

    def test_it_is_one_file_that_fetches_nothing(self, html: str) -> None:
        for needle in ("<link", "src=", "@import", "<iframe", "<object", 'xlink:href="http'):
            assert needle not in html
        assert re.findall(r"url\(([^)]*)\)", html)  # the pictures' clip paths ...
        assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", html))
        assert html.count("<svg") == 2  # one picture per entity
        assert "<style>" in html
        assert "@media print" in html

    def test_the_status_table_holds_every_entity_as_of_the_date(self, html: str) -> None:
        cells = Cells()
        cells.feed(html)

        assert cells.rows == [
            ["Entity", "Status", "At start of period", "Measures"],
            [f"{NASTY} (aka A&S <Ltd>)", "not_sanctioned", "not_sanctioned", "0"],
            # the article's measure and the two of its ISN entries, linked in the bundle
            ["China North Industries Corp. (aka Norinco)", "lapsed", "lapsed", "3"],
        ]

    def test_each_inline_picture_is_valid_svg_with_its_rows(self, html: str) -> None:
        pictures = re.findall(r"<svg.*?</svg>", html, flags=re.S)

        names = []
        for svg in pictures:
            root = ET.fromstring(svg)
            group = next(e for e in root.iter() if e.get("id") == "row-0-group")
            names.append("".join(group.itertext()).strip())
        assert names == [NASTY, "China North Industries Corp."]
        # The as-of line where the date falls within the picture (2010: before Acme's).
        assert ['id="as-of"' in svg for svg in pictures] == [False, True]

    def test_measures_sources_and_quotes_are_listed_later_in_time(
        self, store: Path, tmp_path: Path
    ) -> None:
        target = tmp_path / "r.html"

        assert run(store, "report", NASTY, "--as-of", "2021", "-o", str(target))[0] == 0
        html = target.read_text(encoding="utf-8")

        assert "SDGT &lt;x&gt;" in html
        assert "in_force" in html
        assert "Talks &amp; &lt;more&gt;" in html
        assert html.count("<blockquote>") == 1
        assert "sanctioned</td>" in html

    def test_another_suffix_is_refused_and_nothing_written(
        self, store: Path, tmp_path: Path
    ) -> None:
        target = tmp_path / "r.pdf"

        code, out, err = run(store, "report", "--as-of", "2010", "-o", str(target))

        assert (code, out) == (2, "")
        assert err == f"error: report output {str(target)!r} must end in .html\n"
        assert not target.exists()

    def test_a_bad_as_of_date_is_refused(self, store: Path, tmp_path: Path) -> None:
        code, _, err = run(store, "report", "--as-of", "soon", "-o", str(tmp_path / "r.html"))

        assert code == 2
        assert err.startswith("error: cannot read date 'soon'")
