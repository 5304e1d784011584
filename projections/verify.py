"""``verify``: recompute the hash chain from the log and compare it with the kept one.

The two are walked side by side in position order. The first position where they part is
named, with what the difference says happened there:

``edited``    the event stored there is not the one chained there (bytes changed)
``moved``     the event stored there was chained at another position (rows reordered)
``deleted``   a chained event is no longer in the log
``inserted``  the log holds an event that was never chained
``altered``   the event matches, its kept link does not (the kept chain was changed)

A head printed earlier (``POSITION:HASH``, or the hash alone) is checked against the chain
recomputed from the log: the log extends the head when its link at that position is that
hash. This holds only if nobody rewrote history up to that position, whatever was done to
the kept chain meanwhile.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from events_log.app import SanctionsApp
from projections.chain import (
    GENESIS,
    ChainError,
    catch_up,
    event_hash,
    keeper,
    next_link,
    read_rows,
)

_HEAD = re.compile(r"(?:(?P<position>[0-9]+):)?(?P<hash>[0-9a-fA-F]{64})")


@attrs.frozen
class Head:
    """A position of the log and the chain's link there."""

    position: int
    hash: str

    def __str__(self) -> str:
        return f"{self.position}:{self.hash}"


@attrs.frozen
class GivenHead:
    """A head as the user gave it: the position may be left out."""

    position: int | None
    hash: str


def parse_head(text: str) -> GivenHead:
    """``POSITION:HASH`` or ``HASH`` (64 hexadecimal digits), as ``verify`` prints it."""
    found = _HEAD.fullmatch(text.strip())
    if found is None or found["position"] == "0":
        msg = (
            f"head {text!r} must be POSITION:HASH or HASH, with HASH of 64 hexadecimal "
            "digits, as 'sanctions verify' prints it (e.g. 65:9f86d0...)"
        )
        raise ChainError(msg)
    position = found["position"]
    return GivenHead(None if position is None else int(position), found["hash"].lower())


@attrs.frozen
class Mismatch:
    """The first position where the log no longer matches its kept chain."""

    position: int
    kind: str  # edited, moved, deleted, inserted, altered
    detail: str


@attrs.frozen
class HeadCheck:
    """Whether the log extends a head given to ``verify``."""

    given: GivenHead
    extends: bool
    detail: str


@attrs.frozen
class Verification:
    entries: int  # entries chained (the log up to the kept chain's end)
    matching: int  # entries, from the start, where the log matches the kept chain
    head: Head | None  # the log's head (its last chained position); None if empty
    mismatch: Mismatch | None
    head_check: HeadCheck | None
    caught_up: int  # entries chained by this call (written since the last chained one)

    @property
    def ok(self) -> bool:
        return self.mismatch is None and (self.head_check is None or self.head_check.extends)


Kept = tuple[int, bytes, bytes]  # position, event hash, link


@attrs.define
class _Parting:
    """Where the log and the kept chain first part: each side's entry there, if any."""

    log: tuple[int, bytes] | None
    kept: Kept | None
    kept_event_later: bool = False  # the kept event there is further down the log


def verify(app: SanctionsApp, given: GivenHead | None = None) -> Verification:
    """Chain what was written since the last write was chained, then compare everything."""
    caught_up = catch_up(app)
    kept = keeper(app)
    end = kept.max_tracking_id(app.name) or 0
    kept_links = kept.links(end)
    link = GENESIS
    entries = matching = 0
    parting: _Parting | None = None
    heads = _HeadWatch(given)
    expected = next(kept_links, None)
    for row in read_rows(app, 0, end):
        position = int(row[0])
        event = event_hash(*row[1:])
        link = next_link(link, event)
        entries += 1
        heads.see(position, link, entries)
        if parting is not None:
            if parting.kept is not None and event == parting.kept[1]:
                parting.kept_event_later = True
        elif expected == (position, event, link):
            matching += 1
            expected = next(kept_links, None)
        else:
            parting = _Parting((position, event), expected)
    if parting is None and expected is not None:
        parting = _Parting(None, expected)
    last = Head(position, link.hex()) if entries else None
    mismatch = None if parting is None else _mismatch(kept, parting)
    return Verification(entries, matching, last, mismatch, heads.verdict(entries, last), caught_up)


def _mismatch(kept: Any, parting: _Parting) -> Mismatch:
    """What the first difference says happened there.

    Two questions settle it: is the event the chain expected there further down the log
    (then something came before it: inserted, or moved), and is the event the log holds
    there anywhere in the chain (then it is known: the expected one was deleted, or they
    were moved)? An event neither here nor there was edited.
    """
    if parting.log is None:  # the kept chain goes on past the log's end
        assert parting.kept is not None
        return _deleted(parting.kept[0])
    position, event = parting.log
    if parting.kept is None:
        return _inserted(position)
    kept_position, kept_event, _ = parting.kept
    if (kept_position, kept_event) == (position, event):
        detail = "the event matches but its kept link does not (the kept chain was altered)"
        return Mismatch(position, "altered", detail)
    chained_at = kept.positions_of(event)
    if parting.kept_event_later and chained_at:
        detail = f"the event stored there was chained at position {chained_at[0]} (rows moved)"
        return Mismatch(position, "moved", detail)
    if parting.kept_event_later:
        return _inserted(position)
    if chained_at or kept_position < position:
        return _deleted(kept_position)
    detail = "the event stored there is not the one chained there (edited)"
    return Mismatch(position, "edited", detail)


def _inserted(position: int) -> Mismatch:
    detail = "the log holds an event there that was never chained (inserted)"
    return Mismatch(position, "inserted", detail)


def _deleted(position: int) -> Mismatch:
    detail = "the event chained there is no longer in the log (deleted)"
    return Mismatch(position, "deleted", detail)


class _HeadWatch:
    """Watches the recomputed chain go by for the head given to ``verify``."""

    def __init__(self, given: GivenHead | None) -> None:
        self.given = given
        self.found: tuple[int, int] | None = None  # position, entries up to it
        self.passed: int | None = None  # the log's link at the head's position, if not it
        self.missing = False  # the log skips the head's position

    def see(self, position: int, link: bytes, entries: int) -> None:
        given = self.given
        if given is None or self.found is not None or self.passed is not None or self.missing:
            return
        if given.position is None or position == given.position:
            if link.hex() == given.hash:
                self.found = (position, entries)
            elif given.position is not None:
                self.passed = position
                self.link = link.hex()
        elif position > given.position:
            self.missing = True

    def verdict(self, entries: int, last: Head | None) -> HeadCheck | None:
        given = self.given
        if given is None:
            return None
        if self.found is not None:
            position, upto = self.found
            later = entries - upto
            detail = (
                f"at position {position}, {later} {'entry' if later == 1 else 'entries'} after it"
            )
            return HeadCheck(given, True, detail)
        if self.passed is not None:
            detail = f"at position {self.passed} the log's link is {self.link}: history changed"
            return HeadCheck(given, False, detail)
        if self.missing:
            return HeadCheck(given, False, f"the log has no position {given.position} any more")
        if given.position is None:
            return HeadCheck(given, False, "no position of the log has that link")
        ends = 0 if last is None else last.position
        return HeadCheck(given, False, f"the log ends at position {ends}, before it")


# -- what the user sees -------------------------------------------------------------------


def report_lines(result: Verification) -> list[str]:
    """The lines of a successful verification (standard output)."""
    if result.head is None:
        return ["the log is empty: nothing to verify"]
    lines = [
        f"verified {result.entries} log entries: the log matches its hash chain",
        f"head {result.head}",
    ]
    check = result.head_check
    if check is not None:
        where = "" if check.given.position is None else f"{check.given.position}:"
        lines.append(f"the log extends head {where}{check.given.hash} ({check.detail})")
    return lines


def error_line(result: Verification) -> str:
    """Why a verification failed, in one line (without the 'error: ' prefix)."""
    parts = []
    if result.mismatch is not None:
        found = result.mismatch
        parts.append(
            f"the log no longer matches its hash chain at position {found.position}: "
            f"{found.detail}; the {result.matching} entries before it match"
        )
    check = result.head_check
    if check is not None and not check.extends:
        where = "" if check.given.position is None else f"{check.given.position}:"
        parts.append(f"the log does not extend head {where}{check.given.hash}: {check.detail}")
    return "; and ".join(parts)


def report_json(result: Verification) -> dict[str, Any]:
    check = result.head_check
    return {
        "verified": result.ok,
        "entries": result.entries,
        "matching": result.matching,
        "head": None if result.head is None else attrs.asdict(result.head),
        "mismatch": None if result.mismatch is None else attrs.asdict(result.mismatch),
        "head_check": None
        if check is None
        else {
            "position": check.given.position,
            "hash": check.given.hash,
            "extends": check.extends,
            "detail": check.detail,
        },
    }
