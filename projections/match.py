"""Candidate links: entities that may be one party with a name, or pairs across the store.

Reads every entity's names, aliases and identifiers (one pass over the log) and scores them
with domain/matching.py. Entities already in one party are not proposed again; nothing is
linked here (``link`` does that, when a person has decided).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.utils import get_topic

from domain.entity import Entity, to_recorded
from domain.matching import Names, Score, blocking_keys, common_words, ranked, score
from domain.party import Parties
from domain.record import META_TYPES, EntityRecord, Recorded
from events_log.app import SanctionsApp
from projections.parties import known_parties
from projections.views import Horizon, record_of

COMMON = 50  # a blocking key shared by more entities than this does not pair them


@attrs.frozen
class Candidate:
    record: EntityRecord
    score: Score


@attrs.frozen
class Match:
    query: str
    entity: EntityRecord | None  # the entity the query names, when it is on record
    candidates: list[Candidate]


@attrs.frozen
class Pair:
    first: EntityRecord
    second: EntityRecord
    score: Score


IDENTITY_TOPICS = [
    get_topic(cls)
    for cls in (
        Entity.Registered,
        Entity.AliasAdded,
        Entity.IdentifierAdded,
        Entity.EventCorrected,
        Entity.EventRetracted,
    )
]


def identities(app: SanctionsApp) -> dict[str, EntityRecord]:
    """Every entity's name, aliases and identifiers, from the events that give them (an
    entity with corrections or retractions is folded whole)."""
    grouped: dict[str, list[Recorded]] = {}
    fixed: set[str] = set()
    for notification in app.iter_notifications(topics=IDENTITY_TOPICS):
        event: Any = app.mapper.to_domain_event(notification)
        recorded = to_recorded(event)
        grouped.setdefault(recorded.entity_id, []).append(recorded)
        if recorded.type in META_TYPES:
            fixed.add(recorded.entity_id)
    found = {}
    for entity_id, events in grouped.items():
        if entity_id in fixed:
            events = app.entity_events(UUID(entity_id))
        record = record_of(entity_id, events, Horizon())
        if record.name:
            found[entity_id] = record
    return found


def _names(record: EntityRecord) -> Names:
    return Names.of((record.name, *record.aliases), record.identifiers)


class Index:
    """Every entity's prepared names, and the parties the links make."""

    def __init__(self, app: SanctionsApp) -> None:
        self.records = identities(app)
        self.names = {i: _names(r) for i, r in self.records.items()}
        self.common = common_words(self.names.values())
        self.parties: Parties = known_parties(app, Horizon())
        self.app = app

    def matches(self, query: str, min_score: float) -> Match:
        """Candidates for a name: the entity it names (if any) against all others, else
        the text itself."""
        found = self.app.lookup(query)
        entity = self.records.get(str(found[0])) if len(found) == 1 else None
        names = _names(entity) if entity is not None else Names.of([query], [query])
        skip = set(self.parties.members(entity.entity_id)) if entity is not None else set()
        scored = [
            (entity_id, score(names, other, self.common))
            for entity_id, other in self.names.items()
            if entity_id not in skip
        ]
        kept = ranked(scored, min_score)
        return Match(query, entity, [Candidate(self.records[i], s) for i, s in kept])

    def pairs(self, min_score: float) -> list[Pair]:
        """Pairs across the store that share a blocking key, scored, best first."""
        keyed: dict[str, list[str]] = {}
        for entity_id, names in self.names.items():
            for key in blocking_keys(names):
                keyed.setdefault(key, []).append(entity_id)
        seen: set[tuple[str, str]] = set()
        scored: list[tuple[str, Score]] = []
        for members in keyed.values():
            if len(members) < 2 or len(members) > COMMON:
                continue
            for index, a in enumerate(members):
                for b in members[index + 1 :]:
                    both = (a, b) if a < b else (b, a)
                    if both in seen or self.parties.same_party(a, b):
                        continue
                    seen.add(both)
                    scored.append(
                        (f"{both[0]}|{both[1]}", score(self.names[a], self.names[b], self.common))
                    )
        result = []
        for key, found in ranked(scored, min_score):
            a, b = key.split("|")
            first, second = sorted((self.records[a], self.records[b]), key=lambda r: r.name)
            result.append(Pair(first, second, found))
        return result


def candidate_json(record: EntityRecord, found: Score) -> dict[str, Any]:
    return {
        "entity_id": record.entity_id.replace("-", ""),
        "name": record.name,
        "aliases": list(record.aliases),
        "identifiers": list(record.identifiers),
        "score": found.score,
        "reasons": list(found.reasons),
    }


def match_json(match: Match) -> dict[str, Any]:
    return {
        "query": match.query,
        "candidates": [candidate_json(c.record, c.score) for c in match.candidates],
    }


def matches_json(found: Sequence[Match]) -> dict[str, Any]:
    """One name: its match; several: ``{"matches": [...]}``."""
    if len(found) == 1:
        return match_json(found[0])
    return {"matches": [match_json(m) for m in found]}


def pairs_json(found: Sequence[Pair]) -> dict[str, Any]:
    return {
        "pairs": [
            {
                "a": candidate_json(p.first, p.score),
                "b": candidate_json(p.second, p.score),
                "score": p.score.score,
                "reasons": list(p.score.reasons),
            }
            for p in found
        ]
    }


def match_table(found: Sequence[Match]) -> str:
    lines: list[str] = []
    for match in found:
        if lines:
            lines.append("")
        named = (
            f" ({match.entity.name})" if match.entity and match.entity.name != match.query else ""
        )
        lines.append(f"Candidates for {match.query}{named}")
        for candidate in match.candidates:
            record = candidate.record
            lines.append(f"  {candidate.score.score:.2f}  {record.name}  [{record.entity_id[:8]}]")
            lines += [f"        {reason}" for reason in candidate.score.reasons]
        if not match.candidates:
            lines.append("  (no candidates)")
    return "\n".join(lines)


def pairs_table(found: Sequence[Pair]) -> str:
    lines = []
    for pair in found:
        lines.append(f"{pair.score.score:.2f}  {pair.first.name}  =  {pair.second.name}")
        lines += [f"      {reason}" for reason in pair.score.reasons]
    return "\n".join(lines) if lines else "(no candidate pairs)"
