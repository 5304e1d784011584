"""Every linked party's §8/§10 JSON composed from its stored row and its members' rows.

What ``render.entity_json(parties.party_view(...))`` gives for a party folded from its
members' events, read instead from what the timeline keeps: per party (``party_rows``: its
members in order, its status at both cuts over all its members' measures and each
source's over that source's measures, its sources' and links' JSON) and per member (its
head, display and party fields, and its measures' possible states at the end), with the
rules of ``answers`` on day ordinals: measures with their sources, pending requests,
negotiations, activities and changes merged in the fold's order; conflicts of every
member's requests against every member's measures. ``party_texts`` gives the JSON
encoded: each measure's source is encoded once, and the stored links and sources are put
into the party's text; ``party_answers`` gives what the csv and table read of it.

A party is left to the fold (absent from the answer) when a member has no rows or no
registration on record. Property test:
``tests/projections/test_party_answers.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from json.encoder import encode_basestring
from typing import Any

from domain.party import Parties
from domain.status import Status
from events_log.app import SanctionsApp
from projections.stream import Encoded
from projections.timeline import links as stored_links
from projections.timeline import party_rows
from projections.timeline.all_rows import AllRows, Row
from projections.timeline.answers import (
    ENCODE,
    Item,
    Key,
    activity_items,
    change_items,
    conflict_items,
    in_order,
    measure_fields,
    measure_windows,
    measures_at,
    negotiation_items,
    pending_items,
    states_of,
    statuses_json,
)
from projections.timeline.display import decode_display
from projections.timeline.projection import catch_up
from projections.timeline.segments import SEPARATOR
from projections.timeline.tables import timeline_view

_UNCERTAIN = Status.UNCERTAIN.value
_UNIT = "\x1f"  # between the parts of one row in the query's answer
_RECORD = "\x1e"  # between rows


class _Member:
    """One member's stored head and display, and its measures' possible states at the end."""

    __slots__ = ("at_end", "entity_id", "hex_id", "name", "shown")

    def __init__(self, entity_id: str, name: str, display: bytes, at_end: str | None) -> None:
        self.entity_id = entity_id
        self.hex_id = entity_id.replace("-", "")
        self.name = name
        self.shown = decode_display(display)
        self.at_end = states_of(at_end)


def stored_parties(app: SanctionsApp) -> Parties:
    """The parties the links in force make, as the timeline keeps them (caught up first):
    ``parties.known_parties`` within no horizon, without reading the link events."""
    catch_up(app)
    return stored_links.parties_of(timeline_view(app).select(stored_links.STORED))


def party_answers(read: AllRows) -> dict[tuple[str, ...], tuple[Key, dict[str, Any]]]:
    """Each linked party's key and what the csv and table answers read of its JSON
    (``answers.FIELDS`` and ``members``), composed from its stored row and its members'
    rows in the read (``all_rows``), by its members (as ``Parties.groups`` gives them);
    none for a party left to the fold. Each party's members are decoded when it is
    composed."""
    start, end, bounds = read.start, read.end, read.bounds
    return {
        group: party_fields(party, stored, start, end, bounds)
        for group, party, stored in _composable(read)
    }


def party_texts(read: AllRows) -> dict[tuple[str, ...], tuple[Key, Encoded]]:
    """Each linked party's key and ``render.entity_json``, encoded as
    ``json.dumps(..., ensure_ascii=False)`` encodes it, composed from its stored row (with
    its links' JSON: ``all_rows`` with links) and its members' rows, as ``party_answers``."""
    start, end, bounds = read.start, read.end, read.bounds
    found = {}
    sources: dict[tuple[Any, ...], str] = {}  # each measure source's encoded JSON
    for group, party, stored in _composable(read):
        assert stored.links is not None, "a read without links"
        markers: dict[tuple[Any, ...], int] = {}
        key, data = party_data(party, stored, start, end, bounds, markers)
        made = []  # each marker's source, encoded
        for source_key in markers:
            source = sources.get(source_key)
            if source is None:
                source = sources[source_key] = ENCODE(
                    dict(zip(_SOURCE_FIELDS, source_key, strict=True))
                )
            made.append(source)
        # one pass: a marker is ``-1 - index``, so its piece starts with ``index + 1`` and ``}``
        pieces = ENCODE(data).split(_MARKER)
        texts = [pieces[0]]
        for piece in pieces[1:]:
            cut = piece.index("}")
            texts += ['"source": ', made[int(piece[:cut]) - 1], piece[cut:]]
        last = texts[-1]
        cut = last.rindex(_NO_LINKS)
        texts[-1:] = [
            last[:cut],
            ', "links": [',
            stored.links,
            '], "sources": [',
            stored.sources_text(),
            "]",
            last[cut + len(_NO_LINKS) :],
        ]
        found[group] = key, Encoded("".join(texts))
    return found


class _Stored:
    """A party's stored row as read (``all_rows.PARTIES``): its sources' JSON parts, its
    links' JSON, its status at both cuts and each source's at the end."""

    __slots__ = ("at_end", "at_start", "by_source", "links", "parts")

    def __init__(self, row: Row) -> None:
        _, _, _, sources, self.links, at_end, at_start, by_source = row
        self.parts = party_rows.source_parts(sources)
        self.at_end: list[str] = at_end.split(_UNIT)
        self.at_start: list[str] = at_start.split(_UNIT)
        if len(self.parts) < 2:  # one source (or none): its status is the party's
            self.by_source = [self.at_end] * len(self.parts)
        else:
            words: list[list[str]] = [[]] * len(self.parts)
            for part in by_source.split(_RECORD):
                index, word, possible = part.split(_UNIT)
                words[int(index)] = [word, possible]
            self.by_source = words

    def disagree(self) -> bool:
        """Whether two sources give different certain statuses."""
        return len({word for word, _ in self.by_source if word != _UNCERTAIN}) > 1

    def sources_text(self) -> str:
        """The party's ``sources``, encoded: each with its status at the end."""
        return ", ".join(
            [
                f"{head}{_STRING(word)}, "
                f'"possible_statuses": [{", ".join([_STRING(w) for w in words.split(SEPARATOR)])}]'
                f"{tail}"
                for (head, tail), (word, words) in zip(self.parts, self.by_source, strict=True)
            ]
        )


def _composable(read: AllRows) -> Iterator[tuple[tuple[str, ...], list[_Member], _Stored]]:
    """Each party of the read whose members all have rows and a registration on record
    (as its stored row says), with its members' rows decoded in the party's order
    (``read.members``, the ``LINKED`` rows)."""
    members = read.members
    for group, row in read.parties.items():
        if row[2]:
            ordered = row[1].split(party_rows.MEMBER_SEPARATOR)
            yield group, [_Member(*members[m]) for m in ordered], _Stored(row)


# ``party_data``'s links and sources, empty, as encoded: the party's texts go in their
# place (a key's quotes are bare; within a string they are escaped)
_NO_LINKS = ', "links": [], "sources": []'
_MARKER = '"source": -'  # and a marker's number: no other ``source`` is a bare number


def _conflicts(members: Sequence[_Member]) -> list[dict[str, Any]]:
    """Every member's requests against every member's measures (made only with requests)."""
    if not any(m.shown["requests"] for m in members):
        return []
    every_window = [w for m in members for w in measure_windows(m.shown["measures"])]
    return [c for m in members for c in conflict_items(m.shown["requests"], every_window, m.hex_id)]


def party_fields(
    members: Sequence[_Member], stored: _Stored, start: int, end: int, bounds: tuple[str, str]
) -> tuple[Key, dict[str, Any]]:
    """A party's key and what the csv and table answers read of ``party_data``'s JSON:
    ``answers.FIELDS`` and ``members`` (their ``answers.MEMBER_FIELDS``)."""
    first = members[0]
    data = statuses_json(stored.at_end, stored.at_start)
    measures: list[dict[str, Any]] = []
    changes: list[Item] = []
    pending: list[Item] = []
    for member in members:
        shown = member.shown
        measures += measure_fields(shown["measures"], member.at_end)
        changes += change_items(shown["changes"], start, end, bounds)
        pending += pending_items(shown["requests"], end, member.hex_id)
    data.update(
        entity_id=first.hex_id,
        name=first.name,
        identifiers=first.shown["identifiers"],
        changed_within=in_order(changes),
        measures=measures,
        pending_delisting_requests=in_order(pending),
        members=[{"entity_id": m.hex_id, "name": m.name} for m in members],
        disagreement=stored.disagree(),
        conflicts=_conflicts(members),
    )
    return (first.name.casefold(), first.entity_id), data


def party_data(
    members: Sequence[_Member],
    stored: _Stored,
    start: int,
    end: int,
    bounds: tuple[str, str],
    markers: dict[tuple[Any, ...], int],
) -> tuple[Key, dict[str, Any]]:
    """A party's key and ``render.entity_json`` of its view, from its stored row and its
    members' rows, less its links and sources (``[]``) and with a marker for each
    measure's source: a negative number, by stored source as ``markers`` gives them
    (filled here). ``party_texts`` puts the links, the sources and the measures' sources
    in: the measure's source is its last key, and only a marker follows a bare
    ``"source": `` with a number."""
    first = members[0]
    measures: list[dict[str, Any]] = []
    changes: list[Item] = []
    pending: list[Item] = []
    negotiations: list[Item] = []
    activities: list[Item] = []
    for member in members:
        shown = member.shown
        _, ends, stored_sources = shown["party"]
        sources = []
        for source in stored_sources:
            marker = markers.get(as_key := tuple(source))
            if marker is None:
                marker = markers[as_key] = -1 - len(markers)
            sources.append(marker)
        measures += measures_at(
            shown["measures"], member.at_end, member.hex_id, [sources[e[3]] for e in ends]
        )
        changes += change_items(shown["changes"], start, end, bounds)
        pending += pending_items(shown["requests"], end, member.hex_id)
        negotiations += negotiation_items(shown["negotiations"], end, member.hex_id)
        activities += activity_items(shown["activities"], end, member.hex_id)
    heads = [_head(m) for m in members]
    data = {
        **heads[0],
        **statuses_json(stored.at_end, stored.at_start),
        "changed_within": in_order(changes),
        "measures": measures,
        "pending_delisting_requests": in_order(pending),
        "negotiations": in_order(negotiations),
        "activities": in_order(activities),
        "members": heads,
        "links": [],  # the encoded links and sources go here: party_texts
        "sources": [],
        "disagreement": stored.disagree(),
        "conflicts": _conflicts(members),
    }
    return (first.name.casefold(), first.entity_id), data


_SOURCE_FIELDS = ("title", "publisher", "published", "url")


_STRING = encode_basestring  # what ENCODE makes of a string


def _head(member: _Member) -> dict[str, Any]:
    """``party_render.member_json`` of a member (and the head of ``entity_json``)."""
    shown = member.shown
    return {
        "entity_id": member.hex_id,
        "name": member.name,
        "kind": shown["kind"],
        "country": shown["country"],
        "aliases": shown["aliases"],
        "identifiers": shown["identifiers"],
    }
