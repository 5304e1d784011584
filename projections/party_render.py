"""The JSON contract's party fields and the lines a person reads about a party.

Added to every entity of the §8 contract (whose fields keep their meaning; for a party,
the entity is its first registered member and the status is the party's):

- ``members``: each linked entity (``entity_id``, ``name``, ``kind``, ``country``,
  ``aliases``, ``identifiers``), the entity itself first; one member when it has no links;
- ``links``: each link within the party (``link_id``, ``entity_ids``, ``reason``, ``source``);
- ``sources``: the status per source of the measures (``source``, ``status``,
  ``possible_statuses``, ``measure_ids``, ``entity_ids``); ``null`` where the answer was read
  from the status timeline for an entity without links (the timeline keeps no sources);
- ``disagreement``: two sources give different certain statuses (``null`` with no sources);
- ``conflicts``: what cannot all be true (``kind``, ``event_id``, ``entity_id``, ``message``);
- in ``measures`` and the annotations, the ``entity_id`` that recorded each, and in
  ``measures`` its imposition's ``source`` (``null`` when read from the timeline).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from domain.party import by_source, conflicts, disagreement
from domain.record import EntityRecord
from projections import event_render
from projections.views import EntityView, Horizon, history

if TYPE_CHECKING:
    from projections.parties import Party


def _hex(entity_id: str) -> str:
    return entity_id.replace("-", "")


def member_json(record: EntityRecord) -> dict[str, Any]:
    return {
        "entity_id": _hex(record.entity_id),
        "name": record.name,
        "kind": record.kind,
        "country": record.country,
        "aliases": list(record.aliases),
        "identifiers": list(record.identifiers),
    }


def extend_entity_json(item: EntityView, data: dict[str, Any]) -> dict[str, Any]:
    """Add the party fields to an entity's §8 JSON (in place; returned for chaining)."""
    party = item.party
    at_end = item.at_end
    sources: list[dict[str, Any]] | None = None
    if party is not None:
        found = by_source(item.record, at_end.cut)
        sources = [
            {
                "source": s.source,
                "status": s.status.value,
                "possible_statuses": s.possible_statuses,
                "measure_ids": s.measure_ids,
                "entity_ids": [_hex(e) for e in s.entity_ids],
            }
            for s in found
        ]
    by_id = {m.measure.measure_id: m.measure for m in at_end.measures}
    for measure in data["measures"]:
        imposition = by_id[measure["measure_id"]].imposition
        measure["entity_id"] = _hex(imposition.entity_id)
        measure["source"] = None if party is None else source_json(imposition.source.as_json())
    annotations = [*at_end.pending_requests, *at_end.negotiations, *at_end.activities]
    entity_of = {a.event.event_id: a.event.entity_id for a in annotations}
    for key in ("pending_delisting_requests", "negotiations", "activities"):
        for annotation in data[key]:
            annotation["entity_id"] = _hex(entity_of[annotation["event_id"]])
    members = [item.record] if party is None else list(party.members)
    data["members"] = [member_json(m) for m in members]
    data["links"] = [
        {
            "link_id": link.link_id,
            "entity_ids": [_hex(e) for e in link.entity_ids],
            "reason": link.reason,
            "source": source_json(link.source.as_json()),
        }
        for link in (party.links if party is not None else ())
    ]
    data["sources"] = sources
    data["disagreement"] = None if sources is None else disagreement(found)
    data["conflicts"] = [
        {
            "kind": c.kind,
            "event_id": c.event.event_id,
            "entity_id": _hex(c.event.entity_id),
            "message": c.message,
        }
        for c in conflicts(item.record)
    ]
    return data


def source_json(source: Mapping[str, Any]) -> dict[str, Any]:
    return {k: source[k] for k in ("title", "publisher", "published", "url")}


def party_lines(item: EntityView) -> list[str]:
    """What the detail block of a status adds for a party: members, sources, conflicts."""
    party = item.party
    lines: list[str] = []
    if party is not None and party.linked:
        lines.append("members: " + "; ".join(m.name for m in party.members))
        for link in party.links:
            names = party.names()
            a, b = (names.get(e, e[:8]) for e in link.entity_ids)
            lines.append(
                f"link {link.link_id[:8]}: {a} = {b} ({link.source.title}"
                + (f"; {link.reason}" if link.reason else "")
                + ")"
            )
    if party is not None:
        found = by_source(item.record, item.at_end.cut)
        if len(found) > 1:
            for source in found:
                lines.append(f"per source: {source.source}: {_word(source.possible_statuses)}")
            if disagreement(found):
                lines.append("disagreement: the sources give different certain statuses")
    for conflict in conflicts(item.record):
        lines.append(f"conflict: {conflict.message}")
    return lines


def party_notes(item: EntityView) -> list[str]:
    """What a status table's row adds for a party: its other members, whether its sources
    disagree, and how many conflicts it holds (``status NAME`` says which)."""
    party = item.party
    if party is None or not party.linked:
        return []
    notes = [f"+ {m.name}" for m in party.members[1:]]
    if disagreement(by_source(item.record, item.at_end.cut)):
        notes.append("sources disagree")
    found = len(conflicts(item.record))
    if found:
        notes.append(f"{found} conflict(s)")
    return notes


def _word(possible: list[str]) -> str:
    return possible[0] if len(possible) == 1 else "uncertain: " + " or ".join(possible)


def names_of(item: EntityView) -> dict[str, str]:
    """Member names by entity id, for tables that show which entity recorded an event."""
    return {} if item.party is None or not item.party.linked else item.party.names()


def history_json(party: Party, horizon: Horizon) -> dict[str, Any]:
    """``history --format json`` for a party: its events merged, and its ``members``."""
    data = event_render.history_json(party.record, history(party.events, horizon))
    data["members"] = [member_json(m) for m in party.members]
    return data


def entities_json(found: Sequence[Party]) -> dict[str, Any]:
    """Each party once: its first member's head (as before), with ``members``."""
    return {
        "entities": [
            {**member_json(p.members[0]), "members": [member_json(m) for m in p.members]}
            for p in found
        ]
    }


def entities_table(found: Sequence[Party]) -> str:
    """One line per entity; a party's other members indented under its first."""
    lines = event_render.entities_table([p.members[0] for p in found]).splitlines()
    result = lines[:1]
    for party, line in zip(found, lines[1:], strict=False):
        result.append(line)
        for member in party.members[1:]:
            result.append("  = " + event_render.entities_table([member]).splitlines()[1])
    if not found:
        result += lines[1:]
    return "\n".join(result)
