"""``isn-csv``: the State Department's ISN nonproliferation sanctions list (DESIGN.md §9).

Three header layouts over time (7, 31 and 9 columns); bytes are UTF-8 in some copies and
Windows-1252 in others; no identifiers. Each row is one measure: its program (verbatim,
typos included), its Federal Register notices, its effective day, and in older copies
what ended it (``Date Lifted/Waived/Expired``). Rows naming one party under one spelling
make one entry; a bracketed acronym (``(CPMIEC)``) is an alias and a bracketed country
(``(China)``) the country. From 2015-08 the copies leave out entries no longer in effect.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from events_log.jsonl import interval_from_json, interval_to_json
from events_log.lists.engine import (
    Ending,
    Entry,
    FaultySnapshotError,
    ListCopy,
    Measure,
    Reader,
)
from events_log.lists.files import read_bytes
from events_log.lists.isn_cells import (
    COUNTRIES,
    END,
    decode,
    endings,
    exact,
    name_key,
    notice_day,
    notices,
    split_name,
)

FORMAT = "isn-csv"
LIST_NAME = "isn"
AUTHORITY = "US State Dept"
PUBLISHER = "U.S. Department of State, Bureau of International Security and Nonproliferation"
TITLE = "State Department ISN nonproliferation sanctions list"
# The list does not say whether a row names a person or an organisation ("SDN Type" is
# empty in every copy): FollowTheMoney's word for either.
KIND = "legal entity"
REQUIRED = ("Programs", "Name", "Federal Register Notice", "Effective Date")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAG = re.compile(r"^effective (\d{4}-\d{2}-\d{2})")


class IsnReader(Reader):
    """Reads ISN list copies: every layout and encoding; one entry per spelling of a party."""

    format = FORMAT
    list_name = LIST_NAME
    label = "ISN"
    short = "ISN"
    authority = AUTHORITY
    publisher = PUBLISHER
    title = TITLE

    def parse(self, data: bytes, name: str, observed: date | None = None) -> ListCopy:
        if not data.strip():
            msg = (
                f"{name}: the file is empty ({len(data)} bytes): the ISN list holds hundreds "
                "of entries, so this looks like a faulty copy; nothing was imported"
            )
            raise FaultySnapshotError(msg)
        text, notes = decode(data, name)
        rows, columns = _rows(text, name)
        grouped: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            if not row["Name"].strip():
                continue
            shown, _, _ = split_name(row["Name"])
            grouped.setdefault(name_key(shown), []).append(row)
        if not grouped:
            msg = f"{name}: the file holds no entries: not an ISN list copy; nothing was imported"
            raise FaultySnapshotError(msg)
        entries = {key: _entry(key, group, observed) for key, group in grouped.items()}
        return ListCopy(entries, notes=notes, layout=f"{columns} columns")

    def compact(self, entry: Entry) -> list[Any]:
        return [
            entry.name,
            entry.kind,
            [_measure_form(m) for m in entry.measures],
            list(entry.aliases),
            entry.country,
        ]

    def restore(self, key: str, compact: Sequence[Any]) -> Entry:
        return Entry(
            key=key,
            name=compact[0],
            kind=compact[1],
            measures=tuple(_measure_of(form) for form in compact[2]),
            raw="",
            aliases=tuple(compact[3]),
            country=compact[4],
        )

    def rekey(self, copy: ListCopy, previous: Mapping[str, Entry]) -> ListCopy:
        """A re-spelled party keeps its key when its program, effective day and notice agree."""
        fresh = [e for k, e in copy.entries.items() if k not in previous]
        gone = [e for k, e in previous.items() if k not in copy.entries]
        if not fresh or not gone:
            return copy
        claims: dict[str, list[Entry]] = {}
        gone_anchors = [(old, _anchors(old)) for old in gone]
        for entry in fresh:
            anchors = _anchors(entry)
            matches = [old for old, theirs in gone_anchors if theirs & anchors]
            if len(matches) == 1:
                claims.setdefault(matches[0].key, []).append(entry)
        renamed = {
            entries[0].key: old_key for old_key, entries in claims.items() if len(entries) == 1
        }
        if not renamed:
            return copy
        entries = {}
        for key, entry in copy.entries.items():
            new_key = renamed.get(key, key)
            entries[new_key] = Entry(
                key=new_key,
                name=entry.name,
                kind=entry.kind,
                measures=entry.measures,
                raw=entry.raw,
                aliases=entry.aliases,
                country=entry.country,
            )
        return ListCopy(entries, copy.observed, copy.notes, copy.layout)

    def tag_of(self, reason: str | None) -> str:
        found = _TAG.match(reason or "")
        return found.group(1) if found else ""


def read_isn(source: Path | bytes, observed: date | None = None, name: str = "") -> list[Entry]:
    """Every entry of one ISN list copy (a path, or its bytes) observed on ``observed``.

    The day, if given, is the copy's: a notice dated after it is kept as text without a
    publication day (``Vol. 80, No. 170, 09/02/34`` in a 2016 copy). For bundling the
    list's history and for tests; imports go through :class:`IsnReader` and the engine.
    """
    if isinstance(source, Path):
        data, name = read_bytes(source), name or source.name
    else:
        data, name = source, name or "isn.csv"
    return list(IsnReader().parse(data, name, observed).entries.values())


def _rows(text: str, name: str) -> tuple[list[dict[str, str]], int]:
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            msg = (
                f"{name}: the header lacks {', '.join(repr(c) for c in missing)}: "
                "not an ISN list copy (7, 31 or 9 columns with these names); nothing was imported"
            )
            raise FaultySnapshotError(msg)
        rows = []
        while True:
            consumed.clear()
            row = next(reader, None)
            if row is None:
                break
            if not any(v.strip() for v in row):
                continue
            if len(row) < len(header):
                msg = (
                    f"{name}: line {reader.line_num} has {len(row)} columns, the header "
                    f"{len(header)}: the copy looks cut short; nothing was imported"
                )
                raise FaultySnapshotError(msg)
            # A quote is one printable line: a line break inside a quoted cell reads as a space.
            raw = _CONTROL.sub(" ", "".join(consumed).rstrip("\r\n"))
            rows.append(dict(zip(header, row, strict=False)) | {"": raw})
    except csv.Error as error:
        msg = (
            f"{name}: line {reader.line_num} cannot be read as CSV ({error}): "
            "the copy looks cut short or is not an ISN list copy; nothing was imported"
        )
        raise FaultySnapshotError(msg) from None
    return rows, len(header)


def _entry(key: str, rows: Iterable[dict[str, str]], observed: date | None) -> Entry:
    rows = list(rows)
    first = rows[0]
    shown, acronyms, tagged = split_name(first["Name"])
    bare = " ".join(
        re.sub(
            r"\(([^()]*)\)", lambda m: "" if m.group(1) in acronyms else m.group(0), shown
        ).split()
    )
    aliases = [*acronyms, *([bare] if acronyms and bare else [])]
    measures: dict[str, Measure] = {}
    countries = []
    for row in rows:
        for alt in row.get("Alternative Names", "").split(";"):
            if alt.strip() and alt.strip() not in aliases:
                aliases.append(alt.strip())
        measure = _measure(row, observed)
        measures.setdefault(measure.key, measure)
        code = row.get("Country", "").strip()
        countries.append(COUNTRIES.get(code, code) if code else None)
    country = tagged or next((c for c in countries if c), None)
    return Entry(
        key=key,
        name=shown,
        kind=KIND,
        measures=tuple(measures.values()),
        raw=first[""],  # the row that names the entry; each measure quotes its own
        aliases=tuple(a for a in aliases if a.casefold() != shown.casefold()),
        country=country,
    )


def _measure(row: dict[str, str], observed: date | None) -> Measure:
    program = " ".join(row["Programs"].split())
    effective = row["Effective Date"].strip()
    day = notice_day(effective)
    cited = notices(row["Federal Register Notice"], observed)
    stated = exact(day, effective, "the list's 'Effective Date'") if day else None
    citation = "; ".join(c for c, _ in cited)
    days = [d for _, d in cited if d is not None]
    tag = day.isoformat() if day else ""
    return Measure(
        program=program,
        tag=tag,
        stated=stated,
        citation=f"Federal Register {citation}" if citation else None,
        published=min(days) if days else None,
        reason=f"effective {tag or effective or 'undated'}"
        + (f"; Federal Register {citation}" if citation else ""),
        endings=endings(row.get(END, ""), cited),
        quote=row[""],
    )


def _anchors(entry: Entry) -> set[tuple[str, str, str]]:
    return {
        (m.program.casefold(), m.tag, re.sub(r"\D", "", m.citation or "")[:12])
        for m in entry.measures
        if m.tag
    }


def _measure_form(m: Measure) -> list[Any]:
    return [
        m.program,
        m.tag,
        interval_to_json(m.stated),
        m.citation,
        m.published.isoformat() if m.published else None,
        m.reason,
        [[e.kind, interval_to_json(e.effective), e.citation, _iso(e.published)] for e in m.endings],
    ]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _measure_of(form: Sequence[Any]) -> Measure:
    program, tag, stated, citation, published, reason, ends = form
    return Measure(
        program=program,
        tag=tag,
        stated=interval_from_json(stated) if stated else None,
        citation=citation,
        published=_day(published),
        reason=reason,
        endings=tuple(
            Ending(kind, interval_from_json(effective), cited, _day(day))
            for kind, effective, cited, day in ends
        ),
    )
