"""Reading the ISN list's cells: its bytes, names, notices and end dates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from domain.dates import ONE_DAY, DateInterval
from domain.record import SANCTION_LIFTED, SANCTION_WAIVED
from events_log.lists.engine import Ending, FaultySnapshotError

END = "Date Lifted/Waived/Expired"
BOM = b"\xef\xbb\xbf"
# Bytes that are no text in Windows-1252 (undefined there), or 0xFF, which the list's
# copies hold only where a space belongs (``7th\xffof Tir``, ``Valfajr 8th\xffShipping``).
STRAY = frozenset(b"\x81\x8d\x8f\x90\x9d\xff")
COUNTRIES = {
    "AE": "United Arab Emirates", "BY": "Belarus", "CN": "China", "IR": "Iran",
    "IQ": "Iraq", "KP": "North Korea", "PK": "Pakistan", "RU": "Russia", "SD": "Sudan",
    "SY": "Syria", "TR": "Turkey", "VE": "Venezuela", "MY": "Malaysia", "IN": "India",
    "KZ": "Kazakhstan", "UA": "Ukraine", "TW": "Taiwan", "SG": "Singapore",
    "EG": "Egypt", "LB": "Lebanon", "GE": "Georgia", "MK": "Macedonia", "DE": "Germany",
    "GB": "United Kingdom", "CH": "Switzerland", "HK": "Hong Kong", "LK": "Sri Lanka",
    "CZ": "Czech Republic", "TH": "Thailand", "PL": "Poland", "AT": "Austria", "IT": "Italy",
    "AU": "Australia", "JO": "Jordan", "IL": "Israel", "ZA": "South Africa", "UG": "Uganda",
}  # fmt: skip
COUNTRY_NAMES = {c.casefold(): c for c in (*COUNTRIES.values(), "North Korea", "D.P.R.K.")}
_DATE = re.compile(r"(?<!\d)(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})(?!\d)")
_BRACKET = re.compile(r"\s*\(([^()]*)\)\s*$")
_ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9&.\- ]{1,14}$")


def decode(data: bytes, name: str) -> tuple[str, tuple[str, ...]]:
    """The copy's text, read by its own bytes: UTF-8 if it is, else Windows-1252.

    A byte that is no text in either (a stray byte) is read as a space, with a note naming
    it; nothing is read silently as a wrong letter.
    """
    if b"\x00" in data[:4096]:
        msg = (
            f"{name}: the file holds NUL bytes (binary, or UTF-16 text): an ISN list copy is "
            "UTF-8 or Windows-1252 CSV; nothing was imported"
        )
        raise FaultySnapshotError(msg)
    data = data.removeprefix(BOM)
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError:
        pass
    notes = [f"{name}: not UTF-8: read as Windows-1252"]
    fixed = bytearray(data)
    for index, byte in enumerate(data):
        if byte in STRAY:
            line = data.count(b"\n", 0, index) + 1
            around = data[max(0, index - 12) : index + 12].decode("cp1252", errors="replace")
            notes.append(
                f"{name}: line {line}: byte 0x{byte:02X} in {around!r} is no text in "
                "UTF-8 or Windows-1252: read as a space"
            )
            fixed[index] = 0x20
    return bytes(fixed).decode("cp1252", errors="strict"), tuple(notes)


def notice_day(text: str) -> date | None:
    """The day written as ``m/d/yy``, ``m/d/yyyy`` or ``m-d-yy``, or None."""
    found = _DATE.search(text)
    if found is None:
        return None
    month, day, year = (int(g) for g in found.groups())
    if year < 100:
        year += 1900 if year >= 50 else 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def exact(day: date, text: str, how: str) -> DateInterval:
    return DateInterval(text=text, start=day, until=day + ONE_DAY, how=how)


def notices(cell: str, before: date | None = None) -> list[tuple[str, date | None]]:
    """Each Federal Register notice a cell cites, with its publication day."""
    found = []
    for part in re.split(r";\s*", cell.strip()):
        part = part.strip(" ,")
        if part:
            day = notice_day(part)
            found.append((part, None if day and before and day > before else day))
    return found


def endings(cell: str, cited: Sequence[tuple[str, date | None]]) -> tuple[Ending, ...]:
    """What the end column says, with the reading in ``how`` (never more than the text)."""
    text = cell.strip()
    if not text:
        return ()
    days = [(m.group(0), notice_day(m.group(0))) for m in _DATE.finditer(text)]
    days = [(t, d) for t, d in days if d is not None]
    if not days:
        return ()
    column = f"the list's {END!r} column"
    first_text, first = days[0]
    assert first is not None
    lowered = text.casefold()
    if lowered.startswith("waived"):
        kind, (said, day) = SANCTION_WAIVED, days[0]
        how = f"{column} says {text!r}: waived on {said}"
        if len(days) > 1:
            how += "; the extensions kept the waiver"
    elif "partial" in lowered or "remainder" in lowered:
        kind, (said, day) = SANCTION_LIFTED, days[-1]
        how = f"{column} says {text!r}: lifted in part first, the remainder on {said}"
    elif len(days) == 1 and text == first_text:
        kind, said, day = SANCTION_LIFTED, first_text, first
        how = (
            f"{column} gives {text} without saying whether the measure was lifted, "
            "waived or expired: recorded as ended (lifted) that day"
        )
    else:
        kind, said, day = SANCTION_LIFTED, first_text, first
        how = f"{column} says {text!r}: ended on {first_text}, as the column's first date"
        if "waiv" in lowered:
            how += "; the later waiver of an ended measure changes no status"
    assert day is not None
    citation, published = _cited_on_or_after(cited, day)
    return (Ending(kind, exact(day, said, how), citation, published),)


def _cited_on_or_after(
    cited: Sequence[tuple[str, date | None]], day: date
) -> tuple[str | None, date | None]:
    later = [(d, c) for c, d in cited if d is not None and d >= day]
    if not later:
        return None, None
    published, citation = min(later)
    return f"Federal Register {citation}", published


def split_name(name: str) -> tuple[str, list[str], str | None]:
    """The name without its bracketed country tag, its bracketed acronyms, the country."""
    name = " ".join(name.split())
    country = None
    acronyms: list[str] = []
    rest = name
    while (found := _BRACKET.search(rest)) is not None:
        inner = found.group(1).strip()
        if inner.casefold() in COUNTRY_NAMES and country is None:
            country = COUNTRY_NAMES[inner.casefold()]
            rest = rest[: found.start()]
            continue
        if _ACRONYM.match(inner) and any(c.isalpha() for c in inner):
            acronyms.append(inner)
        break
    for inner in re.findall(r"\(([^()]*)\)", rest):
        inner = inner.strip()
        if _ACRONYM.match(inner) and any(c.isalpha() for c in inner) and inner not in acronyms:
            acronyms.append(inner)
    return rest.strip(), acronyms, country


def name_key(name: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", name.casefold()).split())
