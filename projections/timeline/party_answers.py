"""Every linked party's §8/§10 JSON composed from its members' timeline rows.

What ``render.entity_json(parties.party_view(...))`` gives for a party folded from its
members' events, read instead from what the timeline keeps per member (its head, display
and party fields, and its measures' possible states at both cuts), with the rules of
``answers`` on day ordinals and of ``domain.status.entity_statuses`` on bit sets
(``segments.status_text``): the party's status over all its members' measures, per source
over each source's measures alone; members, links, measures with their sources, pending
requests, negotiations, activities and changes merged in the fold's order; conflicts of
every member's requests against every member's measures. ``party_texts`` gives the JSON
encoded: each link and each source is encoded once and put into the party's text;
``party_answers`` gives what the csv and table read of it.

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
from projections.party_render import source_json
from projections.stream import Encoded
from projections.timeline import links as stored_links
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
from projections.timeline.segments import (
    NOT_IMPOSED_BIT,
    SEPARATOR,
    ending_bit,
    state_bits,
    status_text,
)
from projections.timeline.tables import timeline_view

_UNCERTAIN = Status.UNCERTAIN.value


class _Member:
    """One member's stored head and display, and its measures' possible states."""

    __slots__ = ("at_end", "at_start", "composable", "entity_id", "hex_id", "name", "shown")

    def __init__(
        self, entity_id: str, name: str, display: bytes, at_start: str | None, at_end: str | None
    ) -> None:
        self.entity_id = entity_id
        self.hex_id = entity_id.replace("-", "")
        self.name = name
        self.shown = decode_display(display)
        self.at_end = states_of(at_end)
        # the same states at both cuts, mostly: then the same mapping
        self.at_start = self.at_end if at_start == at_end else states_of(at_start)
        # a member without a registration on record is folded
        self.composable = self.shown["party"][0] is not None


def stored_parties(app: SanctionsApp) -> Parties:
    """The parties the links in force make, as the timeline keeps them (caught up first):
    ``parties.known_parties`` within no horizon, without reading the link events."""
    catch_up(app)
    return stored_links.parties_of(timeline_view(app).select(stored_links.STORED))


def party_answers(read: AllRows) -> dict[tuple[str, ...], tuple[Key, dict[str, Any]]]:
    """Each linked party's key and what the csv and table answers read of its JSON
    (``answers.FIELDS`` and ``members``), composed from its members' rows in the read
    (``all_rows``), by its members (as ``Parties.groups`` gives them); none for a party
    left to the fold. Each party's members are decoded when it is composed."""
    start, end, bounds = read.start, read.end, read.bounds
    return {group: party_fields(party, start, end, bounds) for group, party in _composable(read)}


def party_texts(read: AllRows) -> dict[tuple[str, ...], tuple[Key, Encoded]]:
    """Each linked party's key and ``render.entity_json``, encoded as
    ``json.dumps(..., ensure_ascii=False)`` encodes it, composed from its members' rows
    and its stored links in the read (``all_rows`` with links), as ``party_answers``."""
    links = read.links
    assert links is not None, "a read without links"
    start, end, bounds = read.start, read.end, read.bounds
    found = {}
    sources: dict[tuple[Any, ...], str] = {}  # each measure source's encoded JSON
    link_sources: dict[str, str] = {}  # each link source's encoded JSON, by stored text
    for group, party in _composable(read):
        markers: dict[tuple[Any, ...], int] = {}
        key, data = party_data(party, start, end, bounds, markers)
        made = []  # each marker's source, encoded
        for stored in markers:
            source = sources.get(stored)
            if source is None:
                source = sources[stored] = ENCODE(dict(zip(_SOURCE_FIELDS, stored, strict=True)))
            made.append(source)
        # one pass: a marker is ``-1 - index``, so its piece starts with ``index + 1`` and ``}``
        pieces = ENCODE(data).split(_MARKER)
        texts = [pieces[0]]
        for piece in pieces[1:]:
            cut = piece.index("}")
            texts += ['"source": ', made[int(piece[:cut]) - 1], piece[cut:]]
        last = texts[-1]
        cut = last.rindex(_NO_LINKS)
        link_texts = ", ".join([_link_text(row, link_sources) for row in links[group]])
        texts[-1:] = [last[:cut], ', "links": [', link_texts, "]", last[cut + _SKIP :]]
        found[group] = key, Encoded("".join(texts))
    return found


def _composable(read: AllRows) -> Iterator[tuple[tuple[str, ...], list[_Member]]]:
    """Each party of the read whose members all have rows and a registration on record,
    with its members' rows decoded (``read.members``, the ``LINKED`` rows)."""
    members = read.members
    for group in read.groups:
        rows = [_Member(*members[m]) if m in members else None for m in group]
        if all(r is not None and r.composable for r in rows):
            yield group, [r for r in rows if r is not None]


# ``party_data``'s links, empty, as encoded: the party's link texts go in their place (a
# key's quotes are bare; within a string they are escaped)
_NO_LINKS = ', "links": [], "sources": '
_SKIP = len(', "links": []')
_MARKER = '"source": -'  # and a marker's number: no other ``source`` is a bare number


def _order(member: _Member) -> tuple[str, str]:
    """``parties.build_party``'s order: by registration, then entity id."""
    return (member.shown["party"][0], member.entity_id)


class _Bits:
    """Every measure of a party's members, in order: its id and entity, its ending's kind,
    its window, its possible states at both cuts as bit sets; and the measures of each
    source (by the source's publisher, else title: ``party_render``'s key), as indices."""

    def __init__(self, members: Sequence[_Member]) -> None:
        ids: list[str] = []
        owners: list[str] = []
        kinds: list[int] = []
        windows: list[tuple[int, int]] = []
        at_start: list[int] = []
        at_end: list[int] = []
        grouped: dict[str, list[int]] = {}
        index = 0
        for member in members:
            shown = member.shown
            _, ends, stored_sources = shown["party"]
            keys = [stored[1] or stored[0] for stored in stored_sources]  # as _SOURCE_FIELDS
            starts, stops, hex_id = member.at_start, member.at_end, member.hex_id
            for measure, (ending, low, high, source) in zip(shown["measures"], ends, strict=True):
                measure_id = measure[0]
                ids.append(measure_id)
                owners.append(hex_id)
                kinds.append(ending_bit(ending))
                windows.append((low, high))
                found = stops.get(measure_id)
                bits = NOT_IMPOSED_BIT if found is None else state_bits(found)
                at_end.append(bits)
                if starts is not stops:
                    found = starts.get(measure_id)
                    bits = NOT_IMPOSED_BIT if found is None else state_bits(found)
                at_start.append(bits)
                group = grouped.get(keys[source])
                if group is None:
                    group = grouped[keys[source]] = []
                group.append(index)
                index += 1
        self.ids, self.owners, self.grouped = ids, owners, grouped
        self.kinds, self.windows, self.at_start, self.at_end = kinds, windows, at_start, at_end

    def status(self, start: int, end: int) -> tuple[tuple[str, str], tuple[str, str]]:
        """The party's status and possible statuses at the end, and at the start."""
        at_end = status_text(self.at_end, self.kinds, self.windows, end)
        if not any(self.kinds) and self.at_start == self.at_end:
            return at_end, at_end  # the cut counts only through an ending's window
        return at_end, status_text(self.at_start, self.kinds, self.windows, start)

    def by_source(self, end: int, overall: tuple[str, str]) -> list[tuple[str, str, str]]:
        """Each source's key, status and possible statuses at the end, over its measures."""
        found = []
        for key, alone in self.grouped.items():
            if len(alone) == len(self.kinds):  # one source for every measure: the party's
                found.append((key, *overall))
                continue
            word, words = status_text(
                [self.at_end[i] for i in alone],
                [self.kinds[i] for i in alone],
                [self.windows[i] for i in alone],
                end,
            )
            found.append((key, word, words))
        return found

    def source_json(self, key: str, word: str, words: str) -> dict[str, Any]:
        """A source's entry in the party's ``sources``: its status and its measures."""
        alone = self.grouped[key]
        every = len(alone) == len(self.ids)
        return {
            "source": key,
            "status": word,
            "possible_statuses": words.split(SEPARATOR),
            "measure_ids": self.ids if every else [self.ids[i] for i in alone],
            "entity_ids": list(
                dict.fromkeys(self.owners if every else [self.owners[i] for i in alone])
            ),
        }


def _disagree(by_source: Sequence[tuple[str, str, str]]) -> bool:
    """Whether two sources give different certain statuses."""
    return len({word for _, word, _ in by_source if word != _UNCERTAIN}) > 1


def _conflicts(members: Sequence[_Member]) -> list[dict[str, Any]]:
    """Every member's requests against every member's measures (made only with requests)."""
    if not any(m.shown["requests"] for m in members):
        return []
    every_window = [w for m in members for w in measure_windows(m.shown["measures"])]
    return [c for m in members for c in conflict_items(m.shown["requests"], every_window, m.hex_id)]


def party_fields(
    rows: Sequence[_Member], start: int, end: int, bounds: tuple[str, str]
) -> tuple[Key, dict[str, Any]]:
    """A party's key and what the csv and table answers read of ``party_data``'s JSON:
    ``answers.FIELDS`` and ``members`` (their ``answers.MEMBER_FIELDS``)."""
    members = sorted(rows, key=_order)
    first = members[0]
    bits = _Bits(members)
    at_end, at_start = bits.status(start, end)
    data = statuses_json(at_end, at_start)
    measures: list[dict[str, Any]] = []
    changes: list[Item] = []
    pending: list[Item] = []
    for member in members:
        shown = member.shown
        measures += measure_fields(shown["measures"], member.at_end)
        changes += change_items(shown["changes"], start, end, bounds)
        pending += pending_items(shown["requests"], end, member.hex_id)
    by_source = bits.by_source(end, at_end) if len(bits.grouped) > 1 else []
    data.update(
        entity_id=first.hex_id,
        name=first.name,
        identifiers=first.shown["identifiers"],
        changed_within=in_order(changes),
        measures=measures,
        pending_delisting_requests=in_order(pending),
        members=[{"entity_id": m.hex_id, "name": m.name} for m in members],
        disagreement=_disagree(by_source),
        conflicts=_conflicts(members),
    )
    return (first.name.casefold(), first.entity_id), data


def party_data(
    rows: Sequence[_Member],
    start: int,
    end: int,
    bounds: tuple[str, str],
    markers: dict[tuple[Any, ...], int],
) -> tuple[Key, dict[str, Any]]:
    """A party's key and ``render.entity_json`` of its view, from its members' rows, less
    its links (``[]``) and with a marker for each measure's source: a negative number, by
    stored source as ``markers`` gives them (filled here). ``party_texts`` puts the links
    and the sources in: the measure's source is its last key, and only a marker follows a
    bare ``"source": `` with a number."""
    members = sorted(rows, key=_order)
    first = members[0]
    bits = _Bits(members)
    at_end, at_start = bits.status(start, end)
    measures: list[dict[str, Any]] = []
    changes: list[Item] = []
    pending: list[Item] = []
    negotiations: list[Item] = []
    activities: list[Item] = []
    for member in members:
        shown = member.shown
        _, ends, stored_sources = shown["party"]
        sources = []
        for stored in stored_sources:
            marker = markers.get(as_key := tuple(stored))
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
    by_source = bits.by_source(end, at_end)
    heads = [_head(m) for m in members]
    data = {
        **heads[0],
        **statuses_json(at_end, at_start),
        "changed_within": in_order(changes),
        "measures": measures,
        "pending_delisting_requests": in_order(pending),
        "negotiations": in_order(negotiations),
        "activities": in_order(activities),
        "members": heads,
        "links": [],  # the encoded links go here: party_texts
        "sources": [bits.source_json(*source) for source in by_source],
        "disagreement": _disagree(by_source),
        "conflicts": _conflicts(members),
    }
    return (first.name.casefold(), first.entity_id), data


_SOURCE_FIELDS = ("title", "publisher", "published", "url")


def _link_text(row: Row, sources: dict[str, str]) -> str:
    """A stored link (``links.STORED``'s row) as ``party_render.extend_entity_json`` writes it,
    encoded as ``ENCODE`` would encode it (its source's JSON made once per stored text)."""
    a, b, link_id, reason, stored, _ = row
    source = sources.get(stored)
    if source is None:
        made = source_json(stored_links.source_of(stored).as_json())
        source = sources[stored] = ENCODE(made)
    return (
        f'{{"link_id": {_STRING(link_id)}, '
        f'"entity_ids": [{_STRING(a.replace("-", ""))}, {_STRING(b.replace("-", ""))}], '
        f'"reason": {"null" if reason is None else _STRING(reason)}, "source": {source}}}'
    )


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
