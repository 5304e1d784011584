"""Reading FtM entity files: lines to proxies, proxies to the facts the tracker records.

A file is refused whole (nothing is written) when a line is not JSON, names no known
schema or no id, or when a ``Sanction`` names an entity that is not a party in the file.

What the facts are (documented in the README, FtM section):

- A party is any ``LegalEntity`` (``Person``, ``Company``, ``Organization``, ...) or a
  ``Vessel``/``Airplane``; other schemas (addresses, ownerships, ...) are not parties.
- The imposition is dated by ``startDate``, else ``listingDate``, else as unknown on or
  before the record's ``first_seen``. With several values the earliest dates it: a
  measure began with its first listing; the later dates (re-listings, amendments) and
  every ``reason`` stay in the source's quote.
- The ending is dated by ``endDate`` (the latest, when several). An end date whose whole
  period lies after the record's ``last_seen`` is a planned end, not yet an ending: the
  measure stays in force, and the quote keeps the date. A ``status`` such as ``expired``
  says it lapsed, ``lifted``/``revoked``/... that it was lifted; a past end date with no
  such word is read as a lapse (the term ran out), and the ``how`` says so. An ending
  status with no end date dates the ending as unknown on or before ``last_seen``.
- Waivers, which FtM has no property for: see :mod:`events_log.ftm.waivers`.
- Values are taken on one line (FtM texts may hold line breaks; the tracker's names,
  reasons and quotes may not): white space runs become one space.
- A later copy of a Sanction already on record whose imposition date, authority, program
  or reason differ corrects the imposition (an ``event_corrected``, sourced by the copy as
  last seen); importing that copy again adds nothing.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import attrs
from followthemoney import model
from followthemoney.exc import FollowTheMoneyException
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry

from domain.dates import DateInterval
from domain.errors import DomainError, InvalidDateError
from domain.record import SANCTION_LAPSED, SANCTION_LIFTED, Source
from events_log.ftm.dates import before_day, prefix_interval, timestamp_day
from events_log.ftm.waivers import Step, waiver_steps

KIND_OF_SCHEMA = (
    ("Person", "person"),
    ("Vessel", "vessel"),
    ("Airplane", "aircraft"),
    ("Company", "company"),
    ("Organization", "organisation"),
    ("LegalEntity", "legal entity"),
)
LAPSE_WORDS = frozenset({"expired", "lapsed", "ended by expiry"})
LIFT_WORDS = frozenset(
    {"lifted", "revoked", "removed", "delisted", "terminated", "cancelled", "withdrawn"}
)


QUOTE_LIMIT = 600  # characters of a record's values kept in a source's quote


class FtmError(DomainError):
    """An FtM file or delta feed cannot be read as the tracker's facts."""


@attrs.frozen
class Line:
    where: str
    proxy: EntityProxy
    data: dict[str, Any]

    @property
    def first_seen(self) -> date | None:
        return timestamp_day(self.data.get("first_seen"))

    @property
    def last_seen(self) -> date | None:
        return timestamp_day(self.data.get("last_seen"))

    @property
    def datasets(self) -> list[str]:
        found = self.data.get("datasets")
        return [str(d) for d in found] if isinstance(found, list) else []


@attrs.frozen
class Party:
    ftm_id: str
    kind: str
    name: str
    aliases: tuple[str, ...]
    country: str | None
    identifiers: tuple[str, ...]
    target: bool
    source: Source


@attrs.frozen
class Ending:
    type: str
    effective: DateInterval
    source: Source


@attrs.frozen
class SanctionFacts:
    ftm_id: str
    entity: str
    authority: str
    program: str
    reason: str | None
    imposed: DateInterval
    source: Source
    steps: tuple[Step, ...]  # waivers and their ends, in order (events_log/ftm/waivers.py)
    ending: Ending | None
    revision: Source  # the record as last seen: the source of a correction it implies


def read_lines(lines: Iterable[str], name: str) -> Iterator[Line]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{name}:{number}"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            msg = f"{where}: not valid JSON ({error.msg})"
            raise FtmError(msg) from None
        yield read_entity(data, where)


def read_entity(data: Any, where: str) -> Line:
    if not isinstance(data, dict):
        msg = f"{where}: each line must be a JSON object (an FtM entity)"
        raise FtmError(msg)
    data = one_line_values(data)
    try:
        proxy = model.get_proxy(data)
    except FollowTheMoneyException as error:
        msg = f"{where}: schema {data.get('schema')!r} is not an FtM schema ({error})"
        raise FtmError(msg) from None
    if not proxy.id:
        msg = f"{where}: FtM entity of schema {proxy.schema.name} has no 'id'"
        raise FtmError(msg)
    return Line(where=where, proxy=proxy, data=data)


def one_line(text: str) -> str:
    """The text on one line: line breaks and runs of white space as one space, other
    control characters left out (names, reasons and quotes are printable text)."""
    printable = "".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc")
    return " ".join(printable.split())


def one_line_values(data: dict[str, Any]) -> dict[str, Any]:
    """The entity with every property value and its caption on one line."""
    properties = data.get("properties")
    cleaned = dict(data)
    if isinstance(data.get("caption"), str):
        cleaned["caption"] = one_line(data["caption"])
    if isinstance(properties, dict):
        cleaned["properties"] = {
            name: [one_line(v) if isinstance(v, str) else v for v in values]
            if isinstance(values, list)
            else values
            for name, values in properties.items()
        }
    return cleaned


def is_party(proxy: EntityProxy) -> bool:
    return any(proxy.schema.is_a(name) for name, _ in KIND_OF_SCHEMA)


def kind_of(proxy: EntityProxy) -> str:
    return next(kind for name, kind in KIND_OF_SCHEMA if proxy.schema.is_a(name))


def identifiers_of(proxy: EntityProxy) -> tuple[str, ...]:
    """``ftm:<id>``; identifiers written ``scheme:value`` as is; other codes by property."""
    found = [f"ftm:{proxy.id}"]
    for prop, value in proxy.itervalues():
        if prop.type != registry.identifier or prop.name in ("programId", "uniqueEntityId"):
            continue
        scheme, _, rest = value.partition(":")
        found.append(
            value
            if scheme and rest and prop.name in ("idNumber", "registrationNumber")
            else f"{prop.name}:{value}"
        )
    return tuple(dict.fromkeys(found))


def party_of(line: Line) -> Party:
    proxy = line.proxy
    names = [n for n in proxy.get("name") if n.strip()]
    written = line.data.get("caption")
    caption = proxy.caption if proxy.caption != proxy.schema.label else None
    name = next(
        (n for n in (written, caption, *names, *proxy.get("alias")) if isinstance(n, str) and n),
        str(proxy.id),
    )
    aliases = [n for n in (*names, *proxy.get("alias")) if n.casefold() != name.casefold()]
    countries = proxy.get("country")
    notes = [n[len("country: ") :] for n in proxy.get("notes") if n.startswith("country: ")]
    country = registry.country.caption(countries[0]) if countries else None
    return Party(
        ftm_id=str(proxy.id),
        kind=kind_of(proxy),
        name=name,
        aliases=tuple(dict.fromkeys(aliases)),
        country=notes[0] if notes else country,
        identifiers=identifiers_of(proxy),
        target=bool(line.data.get("target")) or "sanction" in proxy.get("topics"),
        source=source_of(line, line.first_seen, _quote(proxy, ("name", "country"))),
    )


def source_of(line: Line, published: date | None, quote: str) -> Source:
    datasets = ", ".join(line.datasets) or "no dataset named"
    urls = line.proxy.get("sourceUrl")
    publisher = line.proxy.first("publisher")
    return Source(
        title=f"FtM {line.proxy.schema.name} {line.proxy.id} ({datasets})",
        publisher=publisher,
        published=published,
        url=urls[0] if urls else None,
        quote=quote,
    )


def _quote(proxy: EntityProxy, names: Sequence[str]) -> str:
    """The record's own values for these properties, verbatim."""
    parts = [f"{n}: {'; '.join(proxy.get(n))}" for n in names if proxy.get(n)]
    text = " | ".join(parts) or f"{proxy.schema.name} {proxy.id}"
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 2] + " …"


def sanction_of(line: Line) -> SanctionFacts:
    proxy = line.proxy
    where = f"{line.where}: Sanction {proxy.id}"
    quote = _quote(
        proxy,
        (
            "authority",
            "program",
            "programId",
            "startDate",
            "listingDate",
            "endDate",
            "status",
            "reason",
        ),
    )
    authority = proxy.first("authority") or proxy.first("publisher")
    if not authority:
        msg = f"{where} names no 'authority' (nor 'publisher'): a measure needs one"
        raise FtmError(msg)
    program = (
        "; ".join(proxy.get("program"))
        or "; ".join(proxy.get("programId"))
        or "; ".join(proxy.get("provisions"))
        or f"{', '.join(line.datasets) or 'FtM'} listing"
    )
    try:
        imposed = imposition_of(proxy, line.first_seen)
        ending = ending_of(proxy, line.last_seen)
    except InvalidDateError as error:
        raise FtmError(f"{where}: {error}") from None
    source = source_of(line, line.first_seen, quote)
    last = source_of(line, line.last_seen, quote)
    ended = None
    if ending is not None:
        ended = Ending(ending[0], ending[1], last)
    return SanctionFacts(
        ftm_id=str(proxy.id),
        entity=proxy.first("entity") or "",
        authority=authority,
        program=program,
        reason="; ".join(proxy.get("reason")) or None,
        imposed=imposed,
        source=source,
        steps=waiver_steps(proxy, line.datasets, line.last_seen, last),
        ending=ended,
        revision=source_of(line, line.last_seen or line.first_seen, quote),
    )


def imposition_of(proxy: EntityProxy, first_seen: date | None) -> DateInterval:
    for prop in ("startDate", "listingDate"):
        values = proxy.get(prop)
        if values:
            dated = [(prefix_interval(v, ""), v) for v in values]
            interval, text = min(dated, key=lambda d: (d[0].start, d[0].until))
            how = f"FtM {prop} {text}"
            if len(values) > 1:
                how += f" (the earliest of {', '.join(values)})"
            return attrs.evolve(interval, how=how)
    if first_seen is not None:
        return before_day(
            first_seen, "no startDate or listingDate: on or before the record's first_seen"
        )
    return DateInterval(text="..", start=None, until=None, how="no date in the FtM record")


def ending_of(proxy: EntityProxy, last_seen: date | None) -> tuple[str, DateInterval] | None:
    words = {s.strip().casefold() for s in proxy.get("status")}
    said = SANCTION_LIFTED if words & LIFT_WORDS else None
    said = said or (SANCTION_LAPSED if words & LAPSE_WORDS else None)
    values = proxy.get("endDate")
    if values:
        dated = [(prefix_interval(v, ""), v) for v in values]
        interval, text = max(dated, key=lambda d: (d[0].start, d[0].until))
        assert interval.start is not None
        if last_seen is not None and interval.start > last_seen and said is None:
            return None  # a planned end: the quote keeps it
        how = f"FtM endDate {text}" + (
            f", status {', '.join(proxy.get('status'))}" if words else ""
        )
        if said is None:
            how += ": no status saying it was lifted, read as a lapse (the term ran out)"
            said = SANCTION_LAPSED
        return said, attrs.evolve(interval, how=how)
    if said is not None and last_seen is not None:
        how = f"FtM status {', '.join(proxy.get('status'))}, no endDate: on or before last_seen"
        return said, before_day(last_seen, how)
    return None
