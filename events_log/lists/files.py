"""List copies in files: their bytes, their format, and the day each was observed."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Sequence
from datetime import date
from functools import partial
from pathlib import Path

from domain.dates import parse_day
from events_log.lists.engine import FaultySnapshotError, Reader, SnapshotOrderError, Version

JSONL = "jsonl"
OFAC = "ofac-sdn-csv"
ISN = "isn-csv"
UNSC = "un-sc-xml"
LIST_FORMATS = (OFAC, ISN, UNSC)
FORMATS = (JSONL, *LIST_FORMATS)

_DAY_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
_OFAC_ROW = re.compile(rb'^\s*\d+,"')
_ISN_HEADER = re.compile(rb"^(\xef\xbb\xbf)?\s*(Programs,Name,|Source List,)")
_XML = re.compile(rb"^(\xef\xbb\xbf)?\s*(<\?xml|<CONSOLIDATED_LIST)")


def detect_format(path: Path) -> str:
    """A list format or ``jsonl``, from the file's first bytes, else from its name.

    A ``.jsonl``/``.json``/``.ndjson`` is JSON Lines; a ``.xml`` the UN list; a ``.csv``
    the ISN list if its header is the ISN header, else OFAC's ``sdn.csv`` (which has no
    header). Any other name is told by its first bytes, else JSON Lines (the format
    before snapshots existed).
    """
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return JSONL
    try:
        head = _read_head(path)
    except (OSError, EOFError, zlib.error):
        head = b""
    if _ISN_HEADER.match(head):
        return ISN
    if name.endswith(".xml") or _XML.match(head):
        return UNSC
    if name.endswith(".csv") or _OFAC_ROW.match(head):
        return OFAC
    return JSONL


def _read_head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as raw:
        head = raw.read(size)
    if head.startswith(b"\x1f\x8b"):
        with gzip.open(path, "rb") as unzipped:
            head = unzipped.read(size)
    return head


def observed_from_name(name: str) -> date | None:
    """The one ``YYYY-MM-DD`` day written in a file name, or None if there is none."""
    days = set(_DAY_IN_NAME.findall(name))
    if not days:
        return None
    if len(days) > 1:
        listed = ", ".join(sorted(days))
        msg = (
            f"{name}: the file name holds several days ({listed}): "
            "give the day the snapshot was observed with --observed"
        )
        raise SnapshotOrderError(msg)
    return parse_day(days.pop())


def decompress(data: bytes, name: str) -> bytes:
    """The data, decompressed if it is gzip."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as error:
        msg = (
            f"{name}: the gzip data is damaged or cut short ({error}): "
            "the download looks faulty; nothing was imported"
        )
        raise FaultySnapshotError(msg) from None


def read_bytes(path: Path) -> bytes:
    """The file's content, decompressed if it is gzip."""
    return decompress(path.read_bytes(), path.name)


def file_versions(reader: Reader, paths: Sequence[Path], observed: date | None) -> list[Version]:
    """Each file as a copy with the day it was observed, in date order.

    The day is ``--observed``, else the day the copy gives itself (UN: ``dateGenerated``),
    else the day in its file name.
    """
    if observed is not None and len(paths) > 1:
        msg = (
            f"--observed {observed.isoformat()} names one day but {len(paths)} snapshot files "
            "were given: import them one at a time, or put each day in its file name"
        )
        raise SnapshotOrderError(msg)
    versions = []
    for path in paths:
        day = observed
        if reader.dated_by_content:
            own = reader.observed_in(read_bytes(path), path.name)
            if own is not None and day is not None and own != day:
                msg = (
                    f"{path.name}: the copy says it was generated on {own.isoformat()}, "
                    f"not on --observed {day.isoformat()}: the copy's own day is used; "
                    "leave out --observed"
                )
                raise SnapshotOrderError(msg)
            day = day or own
        day = day or observed_from_name(path.name)
        if day is None:
            msg = (
                f"{path.name}: cannot tell when this snapshot was observed: give "
                "--observed YYYY-MM-DD or put the day in the file name (sdn-2024-05-01.csv)"
            )
            raise SnapshotOrderError(msg)
        versions.append(Version(path.name, day, partial(read_bytes, path)))
    return sorted(versions, key=lambda v: (v.observed or date.min, v.name))
