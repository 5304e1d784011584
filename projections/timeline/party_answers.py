"""Every linked party's §8/§10 JSON composed from its members' timeline rows.

What ``render.entity_json(parties.party_view(...))`` gives for a party folded from its
members' events, read instead from what the timeline keeps per member (its head, display
and party fields, and its measures' possible states at both cuts), with the rules of
``answers`` on day ordinals and of ``domain.status.entity_statuses`` on bit sets
(``segments.status_text``): the party's status over all its members' measures, per source
over each source's measures alone; members, links, measures with their sources, pending
requests, negotiations, activities and changes merged in the fold's order; conflicts of
every member's requests against every member's measures.

A party is left to the fold (absent from the answer) when a member has no rows or no
registration on record. Property test:
``tests/projections/test_party_answers.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from domain.party import Parties
from domain.status import Status
from events_log.app import SanctionsApp
from projections.party_render import source_json
from projections.timeline import links as stored_links
from projections.timeline.all_rows import AllRows, Row
from projections.timeline.answers import (
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

    def __init__(
        self, entity_id: str, name: str, display: bytes, at_start: str | None, at_end: str | None
    ) -> None:
        self.entity_id = entity_id
        self.hex_id = entity_id.replace("-", "")
        self.name = name
        self.shown = decode_display(display)
        self.at_start = states_of(at_start)
        self.at_end = states_of(at_end)
        # a member without a registration on record is folded
        self.composable = self.shown["party"][0] is not None


def stored_parties(app: SanctionsApp) -> Parties:
    """The parties the links in force make, as the timeline keeps them (caught up first):
    ``parties.known_parties`` within no horizon, without reading the link events."""
    catch_up(app)
    return stored_links.parties_of(timeline_view(app).select(stored_links.STORED))


def party_answers(
    read: AllRows, made: Callable[[dict[str, Any]], Any] | None = None
) -> dict[tuple[str, ...], tuple[Key, Any]]:
    """Each linked party's key and JSON, composed from its members' rows in the read
    (``all_rows``), its links those the read gives; without them (``read.links`` None),
    what the csv and table answers read of the JSON (``answers.FIELDS`` and ``members``);
    or what ``made`` makes of either (the encoded text, say); by its members (as
    ``Parties.groups`` gives them); none for a party left to the fold. Each party's
    members are decoded when it is composed, and let go after."""
    members, links = read.members, read.links
    start, end, bounds = read.start, read.end, read.bounds
    found = {}
    made_sources: dict[Any, dict[str, Any]] = {}  # the JSON of each source, made once
    for group in read.groups:
        rows = [_Member(*members[m]) if m in members else None for m in group]  # LINKED's
        if all(r is not None and r.composable for r in rows):
            party = [r for r in rows if r is not None]
            if links is None:
                key, data = party_fields(party, start, end, bounds)
            else:
                key, data = party_data(party, links[group], start, end, bounds, made_sources)
            found[group] = (key, data if made is None else made(data))
    return found


def _order(member: _Member) -> tuple[str, str]:
    """``parties.build_party``'s order: by registration, then entity id."""
    return (member.shown["party"][0], member.entity_id)


class _Bits:
    """Every measure of a party's members, in order: its ending's kind, its window, its
    possible states at both cuts as bit sets; and the measures of each source (by the
    source's publisher, else title: ``party_render``'s key), as (measure, entity, index)."""

    def __init__(self, members: Sequence[_Member]) -> None:
        self.kinds: list[int] = []
        self.windows: list[tuple[int, int]] = []
        self.at_start: list[int] = []
        self.at_end: list[int] = []
        self.grouped: dict[str, list[tuple[str, str, int]]] = {}
        for member in members:
            shown = member.shown
            _, ends, stored_sources = shown["party"]
            for measure, (ending, low, high, source) in zip(shown["measures"], ends, strict=True):
                self.kinds.append(ending_bit(ending))
                self.windows.append((low, high))
                at_start = member.at_start.get(measure[0])
                at_end = member.at_end.get(measure[0])
                self.at_start.append(NOT_IMPOSED_BIT if at_start is None else state_bits(at_start))
                self.at_end.append(NOT_IMPOSED_BIT if at_end is None else state_bits(at_end))
                stored = stored_sources[source]  # as _SOURCE_FIELDS
                key = stored[1] or stored[0]
                index = len(self.kinds) - 1
                self.grouped.setdefault(key, []).append((measure[0], member.hex_id, index))

    def status(self, start: int, end: int) -> tuple[tuple[str, str], tuple[str, str]]:
        """The party's status and possible statuses at the end, and at the start."""
        return (
            status_text(self.at_end, self.kinds, self.windows, end),
            status_text(self.at_start, self.kinds, self.windows, start),
        )

    def by_source(self, end: int, overall: tuple[str, str]) -> list[tuple[str, str, str]]:
        """Each source's key, status and possible statuses at the end, over its measures."""
        found = []
        for key, items in self.grouped.items():
            if len(items) == len(self.kinds):  # one source for every measure: the party's
                found.append((key, *overall))
                continue
            alone = [i for _, _, i in items]
            word, words = status_text(
                [self.at_end[i] for i in alone],
                [self.kinds[i] for i in alone],
                [self.windows[i] for i in alone],
                end,
            )
            found.append((key, word, words))
        return found


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
    links: Sequence[Row],
    start: int,
    end: int,
    bounds: tuple[str, str],
    made_sources: dict[Any, dict[str, Any]] | None = None,
) -> tuple[Key, dict[str, Any]]:
    """A party's key and ``render.entity_json`` of its view, from its members' rows and
    its stored links (``links.STORED``'s rows; ``made_sources``: the sources' JSON
    already made, shared between parties)."""
    known = {} if made_sources is None else made_sources
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
            made = known.get(as_key := tuple(stored))
            if made is None:
                made = known[as_key] = dict(zip(_SOURCE_FIELDS, stored, strict=True))
            sources.append(made)
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
        "links": [
            {
                "link_id": link_id,
                "entity_ids": [a.replace("-", ""), b.replace("-", "")],
                "reason": reason,
                "source": _link_source(stored, known),
            }
            for a, b, link_id, reason, stored, _ in links
        ],
        "sources": [
            {
                "source": key,
                "status": word,
                "possible_statuses": words.split(SEPARATOR),
                "measure_ids": [m for m, _, _ in bits.grouped[key]],
                "entity_ids": list(dict.fromkeys(e for _, e, _ in bits.grouped[key])),
            }
            for key, word, words in by_source
        ],
        "disagreement": _disagree(by_source),
        "conflicts": _conflicts(members),
    }
    return (first.name.casefold(), first.entity_id), data


_SOURCE_FIELDS = ("title", "publisher", "published", "url")


def _link_source(stored: str, known: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    """A link's source's JSON, from its stored text (made once per text)."""
    made = known.get(stored)
    if made is None:
        made = known[stored] = source_json(stored_links.source_of(stored).as_json())
    return made


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
