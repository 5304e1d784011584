"""Answers for parties: any member's name answers for every entity linked to it.

A party's record is folded from its members' events (domain/party.py merges them), within
the same horizon as everything else: a link counts from its record time for
``--recorded-by`` and from its source's date for ``--reported-by``, like any event.

All-entity answers read each entity's rows from the status timeline, as before, and replace
the rows of linked entities by their party, composed from the members' rows (or folded
from their events where the rows cannot answer). Links do not change an entity's own rows,
so the timeline stays per entity; it keeps the links in force beside them, and those say
which entities are one party (see the property tests).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

import attrs

from domain.dates import DateInterval
from domain.party import Link, Parties, merge, registered_at
from domain.record import EntityRecord, Recorded
from events_log.app import SanctionsApp
from events_log.bulk_read import histories
from events_log.links import link_events
from projections import render, timeline
from projections.stream import Encoded
from projections.views import EntityView, Horizon, all_records, record_of, view


@attrs.frozen
class Party:
    """Linked entities as one: their merged record, each member's own, and the links."""

    record: EntityRecord
    members: tuple[EntityRecord, ...]
    links: tuple[Link, ...]
    events: tuple[Recorded, ...]  # every member's events, recorded order per member

    def names(self) -> dict[str, str]:
        return {m.entity_id: m.name for m in self.members}

    @property
    def linked(self) -> bool:
        return len(self.members) > 1


def known_parties(app: SanctionsApp, horizon: Horizon) -> Parties:
    """The parties the links within the horizon make."""
    return Parties(e for e in link_events(app) if horizon.admits(e))


def _registered_at(record: EntityRecord) -> tuple[object, ...]:
    found = registered_at(record)
    return () if found is None else (found, record.entity_id)


def party_of(
    app: SanctionsApp,
    member_ids: Sequence[str],
    known: Parties,
    horizon: Horizon,
    first: str | None = None,
) -> Party:
    return build_party(histories(app, member_ids), known, horizon, first)


def build_party(
    histories: dict[str, list[Recorded]],
    known: Parties,
    horizon: Horizon,
    first: str | None = None,
) -> Party:
    """The party of these members' histories, named by ``first`` (the member asked about),
    else by the first registered member."""
    records = sorted(
        (record_of(m, events, horizon) for m, events in histories.items()),
        key=lambda r: (r.entity_id != first, *_registered_at(r)),
    )
    return Party(
        record=merge(records),
        members=tuple(records),
        links=tuple(known.links_within(list(histories))),
        events=tuple(e for events in histories.values() for e in events),
    )


def find_member(app: SanctionsApp, ref: str, known: Parties) -> UUID:
    """The entity a name refers to; a name that fits several members of one party is
    that party's, so it is not ambiguous."""
    found = app.lookup(ref)
    if len(found) > 1 and len({known.members(str(e)) for e in found}) == 1:
        return found[0]
    return app.find(ref)


def parties_for(app: SanctionsApp, names: Iterable[str], horizon: Horizon) -> list[Party]:
    """The party of each name, each party once, in the order of the names."""
    known = known_parties(app, horizon)
    result: dict[tuple[str, ...], Party] = {}
    for name in names:
        entity_id = str(find_member(app, name, known))
        members = known.members(entity_id)
        if members not in result:
            result[members] = party_of(app, members, known, horizon, entity_id)
    return list(result.values())


def all_parties(app: SanctionsApp, horizon: Horizon) -> list[Party]:
    """Every party within the horizon, each once, sorted by name (one pass over the log)."""
    known = known_parties(app, horizon)
    records = {r.entity_id: r for r in all_records(app, horizon)}
    result = []
    done: set[str] = set()
    linked = known.linked()
    for entity_id, record in records.items():
        if entity_id in done:
            continue
        if entity_id not in linked:
            result.append(Party(record, (record,), (), record.facts))
            continue
        members = [m for m in known.members(entity_id) if m in records]
        done.update(members)
        result.append(party_of(app, members, known, horizon))
    return sorted(result, key=lambda p: p.record.name.casefold())


def party_view(party: Party, as_of: DateInterval) -> EntityView:
    return attrs.evolve(view(party.record, as_of), party=party)


def combine(
    app: SanctionsApp, views: Iterable[EntityView], as_of: DateInterval
) -> list[EntityView]:
    return list(combine_stream(app, views, as_of))


def _order(item: EntityView) -> tuple[str, str]:
    return (item.record.name.casefold(), item.record.entity_id)


def combine_stream(
    app: SanctionsApp,
    views: Iterable[EntityView],
    as_of: DateInterval,
    known: Parties | None = None,
) -> Iterator[EntityView]:
    """Every entity's view from the timeline (sorted by name, then id), with the linked
    ones replaced by their parties' views, folded, in the same order (the parties of the
    log's links, or ``known``)."""
    known = known_parties(app, Horizon()) if known is None else known
    linked = known.linked()
    if not linked:
        yield from views
        return
    kept = (v for v in views if v.record.entity_id not in linked)
    folded = _party_views(app, known, as_of)
    yield from heapq.merge(kept, sorted(folded, key=_order), key=_order)


def status_texts(app: SanctionsApp, as_of: DateInterval) -> Generator[Encoded, None, None]:
    """Every entity's ``render.entity_json``, encoded, sorted by name (then id), as
    ``combine_stream`` gives the views: the timeline's rows encoded for the entities
    without links and for the parties (composed from their members' rows), a party folded
    from its members' events where its rows cannot answer."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    yield from _merged(
        app,
        as_of,
        timeline.entity_texts,
        lambda v: Encoded(encode(render.entity_json(v))),
        timeline.party_texts,
        fields=False,
    )


def status_fields(app: SanctionsApp, as_of: DateInterval) -> Generator[dict[str, Any], None, None]:
    """``status_texts``'s entities and parties as what the csv and table answers read of
    their JSON (``timeline.entity_fields``: no ``members`` for an entity without links; a
    party folded from its events gives all its JSON)."""
    yield from _merged(
        app, as_of, timeline.entity_fields, render.entity_json, timeline.party_answers, fields=True
    )


_T = TypeVar("_T")


def _merged(
    app: SanctionsApp,
    as_of: DateInterval,
    alone: Callable[[timeline.AllRows], Iterator[tuple[tuple[str, str], _T]]],
    of_view: Callable[[EntityView], _T],
    of_parties: Callable[[timeline.AllRows], Mapping[tuple[str, ...], tuple[tuple[str, str], _T]]],
    fields: bool,
) -> Generator[_T, None, None]:
    """The entities without links as ``alone`` makes them of the timeline's rows, with the
    parties' answers (as ``of_parties`` makes them of the rows: their JSON, or its
    ``fields``; else ``of_view`` of their folded views) merged in by name, then id. The
    parties are the timeline's (its stored links; with ``fields``, only which entities are
    one party, unless one is folded). Elsewhere than SQLite, ``of_view`` of every view."""
    read = timeline.all_rows(app, as_of, with_links=not fields)
    if read is None:
        known = timeline.stored_parties(app)
        views = combine_stream(app, timeline.iter_views(app, as_of), as_of, known)
        yield from (of_view(v) for v in views)
        return
    items = alone(read)
    if not read.groups:
        yield from (item for _, item in items)
        return
    composed = of_parties(read)
    answers = list(composed.values())
    rest = [g for g in read.groups if g not in composed]
    if rest:
        known = timeline.stored_parties(app)
        answers += [(_order(v), of_view(v)) for v in _party_views(app, known, as_of, rest)]
    answers.sort(key=lambda item: item[0], reverse=True)
    # the few parties merged into the entities' stream by key (both are sorted)
    for key, item in items:
        while answers and answers[-1][0] < key:
            yield answers.pop()[1]
        yield item
    while answers:
        yield answers.pop()[1]


def _party_views(
    app: SanctionsApp,
    known: Parties,
    as_of: DateInterval,
    groups: Sequence[tuple[str, ...]] | None = None,
) -> list[EntityView]:
    """The view of every party with links (or of these), folded from its members' events."""
    groups = known.groups() if groups is None else groups
    if not groups:
        return []
    read = histories(app, [m for members in groups for m in members])
    return [
        party_view(build_party({m: read[m] for m in members}, known, Horizon()), as_of)
        for members in groups
    ]


def changed_parties(
    app: SanctionsApp, changed: Iterable[str], horizon: Horizon
) -> list[EntityRecord]:
    """The records of the entities whose status changed, as parties, with every linked
    party (its status can change while no member's own does)."""
    known = known_parties(app, horizon)
    wanted = {known.members(e) for e in changed} | set(known.groups())
    records = [party_of(app, members, known, horizon).record for members in wanted]
    # by name, then id (as ``timeline.changed``): the set's order differs run to run
    return sorted(records, key=lambda r: (r.name.casefold(), r.entity_id))


def matching(found: Sequence[Party], query: str | None) -> list[Party]:
    """The parties with a member whose name, alias or identifier contains the query."""
    if not query:
        return list(found)
    needle = query.casefold()
    return [
        p
        for p in found
        if any(
            needle in text.casefold()
            for m in p.members
            for text in (m.name, *m.aliases, *m.identifiers)
        )
    ]
