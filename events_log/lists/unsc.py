"""``un-sc-xml``: the UN Security Council consolidated list (DESIGN.md §9).

``CONSOLIDATED_LIST`` with ``INDIVIDUAL`` and ``ENTITY`` records; ``REFERENCE_NUMBER``
gives the identifier ``un-sc:<ref>``, ``UN_LIST_TYPE`` the program, ``LISTED_ON`` the
imposition day, ``*_ALIAS`` the aliases, and the root's ``dateGenerated`` the day of the
copy (its UTC day). The XML is read as a stream by ``defusedxml``, which refuses entity
declarations and external references: a copy cannot make the reader expand entities or
fetch anything.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from domain.dates import ONE_DAY, DateInterval
from events_log.jsonl import interval_from_json, interval_to_json
from events_log.lists.engine import Entry, FaultySnapshotError, ListCopy, Measure, Reader

FORMAT = "un-sc-xml"
LIST_NAME = "un-sc"
AUTHORITY = "UN Security Council"
PUBLISHER = "United Nations Security Council"
TITLE = "UN Security Council consolidated list"
KINDS = {"INDIVIDUAL": "person", "ENTITY": "organisation"}
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_GENERATED = re.compile(rb'dateGenerated="([^"]+)"')


def generated_day(stamp: str) -> date:
    """The UTC day of a ``dateGenerated`` timestamp (``2022-10-21T20:40:12.605-04:00``)."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


def _text(element: Element, tag: str) -> str:
    return " ".join((element.findtext(tag) or "").split())


class UnscReader(Reader):
    """Reads UN consolidated list copies, record by record."""

    format = FORMAT
    list_name = LIST_NAME
    label = "UN SC"
    short = "UN SC"
    authority = AUTHORITY
    publisher = PUBLISHER
    title = TITLE
    dated_by_content = True

    def observed_in(self, data: bytes, name: str) -> date | None:
        found = _GENERATED.search(data[:2048])
        if found is None:
            return None
        try:
            return generated_day(found.group(1).decode("ascii"))
        except ValueError:
            return None

    def parse(self, data: bytes, name: str, observed: date | None = None) -> ListCopy:
        if not data.strip():
            msg = (
                f"{name}: the file is empty: not a UN consolidated list copy; nothing was imported"
            )
            raise FaultySnapshotError(msg)
        entries: dict[str, Entry] = {}
        observed = None
        root_seen = False
        try:
            for event, element in iterparse(io.BytesIO(data), events=("start", "end")):
                if event == "start":
                    if not root_seen:
                        root_seen = True
                        if element.tag != "CONSOLIDATED_LIST":
                            msg = (
                                f"{name}: the root element is <{element.tag}>, not "
                                "<CONSOLIDATED_LIST>: not a UN consolidated list copy; "
                                "nothing was imported"
                            )
                            raise FaultySnapshotError(msg)
                        stamp = element.get("dateGenerated")
                        observed = generated_day(stamp) if stamp else None
                    continue
                if element.tag in KINDS:
                    entry = _entry(element, name)
                    entries[entry.key] = entry
                    element.clear()
        except (ParseError, DefusedXmlException, ValueError) as error:
            msg = (
                f"{name}: the XML cannot be read ({error}): the copy looks cut short, "
                "unsafe or is not the UN consolidated list; nothing was imported"
            )
            raise FaultySnapshotError(msg) from None
        if not entries:
            msg = f"{name}: the file holds no records: not a UN list copy; nothing was imported"
            raise FaultySnapshotError(msg)
        return ListCopy(entries, observed)

    def compact(self, entry: Entry) -> list[Any]:
        (measure,) = entry.measures
        return [
            entry.name,
            entry.kind,
            [measure.program],
            list(entry.aliases),
            interval_to_json(measure.stated),
        ]

    def restore(self, key: str, compact: Sequence[Any]) -> Entry:
        stated = interval_from_json(compact[4]) if compact[4] else None
        return Entry(
            key=key,
            name=compact[0],
            kind=compact[1],
            measures=(Measure(compact[2][0], stated=stated),),
            raw="",
            aliases=tuple(compact[3]),
            identifiers=(f"{LIST_NAME}:{key}",),
        )


def _entry(element: Element, name: str) -> Entry:
    ref = _text(element, "REFERENCE_NUMBER")
    if not ref:
        msg = f"{name}: a <{element.tag}> record has no REFERENCE_NUMBER; nothing was imported"
        raise FaultySnapshotError(msg)
    full = " ".join(p for p in (_text(element, t) for t in _NAME_PARTS) if p)
    if not full:
        msg = f"{name}: record {ref} has no name; nothing was imported"
        raise FaultySnapshotError(msg)
    aliases: dict[str, str] = {full.casefold(): full}
    for alias in element.iter(f"{element.tag}_ALIAS"):
        text = _text(alias, "ALIAS_NAME")
        if text:
            aliases.setdefault(text.casefold(), text)
    listed = _text(element, "LISTED_ON")
    stated = None
    if listed:
        try:
            day = date.fromisoformat(listed[:10])
        except ValueError:
            day = None
        if day is not None:
            stated = DateInterval(listed, day, day + ONE_DAY, "the list's LISTED_ON")
    program = _text(element, "UN_LIST_TYPE") or "UN list"
    return Entry(
        key=ref,
        name=full,
        kind=KINDS[element.tag],
        measures=(Measure(program, stated=stated),),
        raw=" ".join(tostring(element, encoding="unicode").split()),
        aliases=tuple(list(aliases.values())[1:]),
        identifiers=(f"{LIST_NAME}:{ref}",),
    )
