"""``ofac-sdn-csv``: OFAC's ``sdn.csv`` (DESIGN.md §9).

No header; columns ent_num, name, type, programs, title, call sign, vessel type, tonnage,
GRT, vessel flag, vessel owner, remarks; latin-1; ``-0-`` means empty, an empty type an
organisation; programs packed as ``NPWMD] [IFSR``; ``a.k.a.``/``f.k.a.``/``n.k.a.`` names
in the remarks are aliases; a trailing ``\\x1a``. Identifier ``ofac-sdn:<ent_num>``.

Measures. Every entry has one measure per (OFAC, program), and also one ``OFAC / SDN
listing`` measure, in force while the entry is on the list at all. The listing is what a
snapshot shows for certain: an entry present in two snapshots was on the list between
them, even when its programs changed (program X lifted and program Y imposed, each
somewhere in the interval, would otherwise leave a gap the record cannot rule out).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import attrs

from domain.record import Source
from events_log.lists.engine import Entry, FaultySnapshotError, ListCopy, Measure, Reader

FORMAT = "ofac-sdn-csv"
LIST_NAME = "ofac-sdn"
AUTHORITY = "OFAC"
LISTING = "SDN listing"
SOURCE_TITLE = "OFAC SDN list (sdn.csv) snapshot"
PUBLISHER = "U.S. Treasury OFAC"

COLUMNS = (
    "ent_num",
    "name",
    "type",
    "programs",
    "title",
    "call sign",
    "vessel type",
    "tonnage",
    "GRT",
    "vessel flag",
    "vessel owner",
    "remarks",
)
EMPTY = "-0-"
EOF_BYTE = b"\x1a"
KINDS = {"": "organisation", "individual": "person", "vessel": "vessel", "aircraft": "aircraft"}

_ALIAS = re.compile(r"(?<![\w.])[afn]\.k\.a\.\s+'(.+?)'(?=\s*;|\.?\s*$)")
OFAC_ROW = re.compile(rb'^\s*\d+,"')


@attrs.frozen
class SdnEntry:
    """One row of ``sdn.csv``: what the tracker keeps of it, and the row as written."""

    ent_num: str
    name: str
    kind: str
    programs: tuple[str, ...]
    aliases: tuple[str, ...]
    raw: str

    def compact(self) -> list[Any]:
        """What the series aggregate keeps of the entry (lists only: events hold no tuples)."""
        return [self.name, self.kind, list(self.programs), list(self.aliases)]

    def entry(self) -> Entry:
        return Entry(
            key=self.ent_num,
            name=self.name,
            kind=self.kind,
            measures=tuple(Measure(p) for p in self.programs),
            raw=self.raw,
            aliases=self.aliases,
            identifiers=(identifier(self.ent_num),),
        )


def identifier(ent_num: str) -> str:
    return f"{LIST_NAME}:{ent_num}"


def _check_whole(data: bytes, name: str) -> None:
    if not data.strip():
        msg = (
            f"{name}: the file is empty ({len(data)} bytes): an OFAC SDN snapshot lists "
            "thousands of entries, so this looks like a faulty download; nothing was imported"
        )
        raise FaultySnapshotError(msg)
    if not OFAC_ROW.match(data):
        first = data.lstrip().split(b"\n", 1)[0][:40].decode("latin-1")
        msg = (
            f"{name}: the first line ({first!r}) does not start with an ent_num and a quoted "
            "name: the file is not OFAC's sdn.csv (a faulty download?); nothing was imported"
        )
        raise FaultySnapshotError(msg)
    if not data.endswith(EOF_BYTE):
        msg = (
            f"{name}: the file does not end with OFAC's end-of-file byte (\\x1a) after its "
            "last row: the download looks cut short; nothing was imported"
        )
        raise FaultySnapshotError(msg)


def parse_sdn(data: bytes, name: str) -> dict[str, SdnEntry]:
    """Every entry of an ``sdn.csv`` file, by ent_num; refuses a file that looks faulty."""
    _check_whole(data, name)
    text = data[: -len(EOF_BYTE)].decode("latin-1")
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), strict=True)
    entries: dict[str, SdnEntry] = {}
    while True:
        consumed.clear()
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            msg = (
                f"{name}: line {reader.line_num} cannot be read as CSV ({error}): the file "
                "looks cut short or is not OFAC's sdn.csv; nothing was imported"
            )
            raise FaultySnapshotError(msg) from None
        if not row:
            continue
        _add(entries, _entry(row, "".join(consumed).rstrip("\r\n"), name, reader.line_num), name)
    _check_some(entries, name)
    return entries


def _add(entries: dict[str, Any], entry: SdnEntry, name: str, line: int | None = None) -> None:
    if entry.ent_num in entries:
        where = f"line {line}: " if line else ""
        msg = (
            f"{name}: {where}ent_num {entry.ent_num} appears twice: "
            "each entry of sdn.csv has its own number; nothing was imported"
        )
        raise FaultySnapshotError(msg)
    entries[entry.ent_num] = entry


def _check_some(entries: dict[str, Any], name: str) -> None:
    if not entries:
        msg = f"{name}: the file holds no entries: not an OFAC SDN snapshot; nothing was imported"
        raise FaultySnapshotError(msg)


def _entry(row: Sequence[str], raw: str, file_name: str, line: int) -> SdnEntry:
    if len(row) != len(COLUMNS):
        msg = (
            f"{file_name}: line {line} has {len(row)} columns, an sdn.csv row has "
            f"{len(COLUMNS)}: the file looks cut short or is not OFAC's sdn.csv; "
            "nothing was imported"
        )
        raise FaultySnapshotError(msg)
    ent_num, name, kind, programs = (_value(v) for v in row[:4])
    if not ent_num.isdigit():
        msg = (
            f"{file_name}: line {line}: ent_num {ent_num!r} is not a number: "
            "the file is not OFAC's sdn.csv; nothing was imported"
        )
        raise FaultySnapshotError(msg)
    if not name:
        msg = f"{file_name}: line {line}: entry {ent_num} has no name; nothing was imported"
        raise FaultySnapshotError(msg)
    kind = kind.lower()
    return SdnEntry(
        ent_num=ent_num.lstrip("0") or "0",
        name=name,
        kind=KINDS.get(kind, kind),
        programs=split_programs(programs),
        aliases=aliases_in(row[11], name),
        raw=raw,
    )


def _value(text: str) -> str:
    value = text.strip()
    return "" if value == EMPTY else value


def split_programs(text: str) -> tuple[str, ...]:
    """``NPWMD] [IFSR`` (outer brackets stripped by OFAC) as ``('NPWMD', 'IFSR')``."""
    inner = text.strip().removeprefix("[").removesuffix("]")
    programs = [p.strip() for p in inner.split("] [")]
    return tuple(dict.fromkeys(p for p in programs if p))


def aliases_in(remarks: str, name: str) -> tuple[str, ...]:
    """The ``a.k.a.``, ``f.k.a.`` and ``n.k.a.`` names in the remarks, other than the name.

    OFAC cuts remarks at 1,000 characters; a name cut off with them (no closing quote)
    is not taken.
    """
    if ".k.a." not in remarks:
        return ()
    found: dict[str, str] = {name.casefold(): name}
    for match in _ALIAS.finditer(remarks):
        alias = " ".join(match.group(1).split())
        if alias:
            found.setdefault(alias.casefold(), alias)
    return tuple(list(found.values())[1:])


class OfacReader(Reader):
    """Reads ``sdn.csv`` copies; a row already read in the previous copy is not read again.

    Successive copies share almost all their rows, so the reader keeps the previous copy's
    entries by row text. A copy whose rows span lines (a quoted line break) is read whole
    by :func:`parse_sdn`.
    """

    format = FORMAT
    list_name = LIST_NAME
    label = "OFAC SDN"
    short = "OFAC"
    authority = AUTHORITY
    publisher = PUBLISHER
    listing = LISTING

    def __init__(self) -> None:
        self._rows: dict[str, Entry] = {}

    def parse(self, data: bytes, name: str, observed: date | None = None) -> ListCopy:
        _check_whole(data, name)
        text = data[: -len(EOF_BYTE)].decode("latin-1")
        lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
        if lines and not lines[-1]:
            lines.pop()
        if any(line.count('"') % 2 for line in lines):
            entries = {k: e.entry() for k, e in parse_sdn(data, name).items()}
            self._rows = {e.raw: e for e in entries.values()}
            return ListCopy(entries)
        known, rows = self._rows, {}
        entries = {}
        for number, line in enumerate(lines, start=1):
            entry = known.get(line)
            if entry is None:
                if not line.strip():
                    continue
                entry = self._read_line(line, name, number)
            if entry.key in entries:
                msg = (
                    f"{name}: line {number}: ent_num {entry.key} appears twice: "
                    "each entry of sdn.csv has its own number; nothing was imported"
                )
                raise FaultySnapshotError(msg)
            entries[entry.key] = entry
            rows[line] = entry
        _check_some(entries, name)
        self._rows = rows
        return ListCopy(entries)

    def _read_line(self, line: str, name: str, number: int) -> Entry:
        try:
            rows = list(csv.reader([line], strict=True))
        except csv.Error as error:
            msg = (
                f"{name}: line {number} cannot be read as CSV ({error}): the file "
                "looks cut short or is not OFAC's sdn.csv; nothing was imported"
            )
            raise FaultySnapshotError(msg) from None
        return _entry(rows[0], line, name, number).entry()

    def compact(self, entry: Entry) -> list[Any]:
        return [
            entry.name,
            entry.kind,
            [m.program for m in entry.measures],
            list(entry.aliases),
        ]

    def restore(self, key: str, compact: Sequence[Any]) -> Entry:
        return Entry(
            key=key,
            name=compact[0],
            kind=compact[1],
            measures=tuple(Measure(p) for p in compact[2]),
            raw="",
            aliases=tuple(compact[3]),
            identifiers=(identifier(key),),
        )

    def copy_source(self, observed: date, quote: str) -> Source:
        return Source(
            title=SOURCE_TITLE, publisher=PUBLISHER, published=observed, url=None, quote=quote
        )

    def is_own(self, title: str) -> bool:
        return title == SOURCE_TITLE
