"""What the record says: recorded events, the belief after corrections and retractions.

These are plain values, shared by the aggregate (to check a command against the record)
and by the read side (to answer questions). Nothing here touches storage or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from domain.dates import DateInterval

# Event type names, as DESIGN.md §8 spells them.
ENTITY_REGISTERED = "entity_registered"
ALIAS_ADDED = "alias_added"
IDENTIFIER_ADDED = "identifier_added"
SANCTION_IMPOSED = "sanction_imposed"
SANCTION_LAPSED = "sanction_lapsed"
SANCTION_LIFTED = "sanction_lifted"
SANCTION_WAIVED = "sanction_waived"
WAIVER_ENDED = "waiver_ended"
DELISTING_REQUESTED = "delisting_requested"
DELISTING_DECIDED = "delisting_decided"
NEGOTIATION_MENTIONED = "negotiation_mentioned"
ACTIVITY_REPORTED = "activity_reported"
EVENT_CORRECTED = "event_corrected"
EVENT_RETRACTED = "event_retracted"
ENTITIES_LINKED = "entities_linked"
ENTITIES_UNLINKED = "entities_unlinked"

ENDINGS = (SANCTION_LAPSED, SANCTION_LIFTED)
WAIVER_STEPS = (SANCTION_WAIVED, WAIVER_ENDED)
MEASURE_STEPS = (*ENDINGS, *WAIVER_STEPS)
IDENTITY_TYPES = (ENTITY_REGISTERED, ALIAS_ADDED, IDENTIFIER_ADDED)
META_TYPES = (EVENT_CORRECTED, EVENT_RETRACTED)
LINK_TYPES = (ENTITIES_LINKED, ENTITIES_UNLINKED)

# Fields a correction may replace, per event type ("effective" is the date).
CORRECTABLE_FIELDS: Mapping[str, tuple[str, ...]] = {
    ENTITY_REGISTERED: ("effective", "name", "kind", "country"),
    ALIAS_ADDED: ("effective", "alias"),
    IDENTIFIER_ADDED: ("effective", "identifier"),
    SANCTION_IMPOSED: ("effective", "authority", "program", "reason"),
    SANCTION_LAPSED: ("effective", "measure_id"),
    SANCTION_LIFTED: ("effective", "measure_id"),
    SANCTION_WAIVED: ("effective", "measure_id"),
    WAIVER_ENDED: ("effective", "measure_id"),
    DELISTING_REQUESTED: ("effective", "requested_by", "forum"),
    DELISTING_DECIDED: ("effective", "outcome", "request_id"),
    NEGOTIATION_MENTIONED: ("effective", "forum", "summary"),
    ACTIVITY_REPORTED: ("effective", "summary"),
}


@attrs.frozen
class Source:
    """Where a fact comes from: a title, who published it and when, and its own words."""

    title: str
    publisher: str | None = None
    published: date | None = None
    url: str | None = None
    quote: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "publisher": self.publisher,
            "published": None if self.published is None else self.published.isoformat(),
            "url": self.url,
            "quote": self.quote,
        }


@attrs.frozen
class Recorded:
    """One event as the store holds it: envelope plus the fields of its kind."""

    type: str
    event_id: str
    entity_id: str
    effective: DateInterval | None
    source: Source
    recorded_at: datetime
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    correlation_id: str | None = None
    position: int | None = None
    version: int | None = None

    def get(self, name: str) -> Any:
        return self.fields.get(name)

    @property
    def reported_on(self) -> date:
        """The day the event became public: its source's date, else the day it was recorded."""
        if self.source.published is not None:
            return self.source.published
        return self.recorded_at.date()


@attrs.frozen
class Belief:
    """The record after corrections and retractions, and what happened to each event."""

    facts: tuple[Recorded, ...]
    belief: Mapping[str, str]
    corrections: Mapping[str, tuple[Recorded, ...]]
    retractions: Mapping[str, Recorded]


def believe(events: Iterable[Recorded]) -> Belief:
    """Apply corrections and retractions, in recorded order, to the events given.

    The latest recorded correction of a field wins; a retracted correction no longer
    applies, so retracting it restores the belief it replaced.
    """
    ordered = list(events)
    retractions: dict[str, Recorded] = {}
    for event in ordered:
        if event.type == EVENT_RETRACTED:
            retractions[event.get("target")] = event
    corrections: dict[str, list[Recorded]] = {}
    for event in ordered:
        if event.type == EVENT_CORRECTED and event.event_id not in retractions:
            corrections.setdefault(event.get("target"), []).append(event)
    facts: list[Recorded] = []
    belief: dict[str, str] = {}
    for event in ordered:
        if event.event_id in retractions:
            belief[event.event_id] = "retracted"
            continue
        if event.type in META_TYPES:
            belief[event.event_id] = "current"
            continue
        fixes = corrections.get(event.event_id)
        if fixes:
            belief[event.event_id] = "corrected"
            event = apply_corrections(event, fixes)
        else:
            belief[event.event_id] = "current"
        facts.append(event)
    return Belief(
        facts=tuple(facts),
        belief=belief,
        corrections={k: tuple(v) for k, v in corrections.items()},
        retractions=retractions,
    )


def apply_corrections(event: Recorded, fixes: Sequence[Recorded]) -> Recorded:
    effective = event.effective
    fields = dict(event.fields)
    for fix in fixes:
        changes: Mapping[str, Any] = fix.get("changes") or {}
        for name, value in changes.items():
            if name == "effective":
                effective = value
            else:
                fields[name] = value
    return attrs.evolve(event, effective=effective, fields=fields)


@attrs.frozen
class MeasureRecord:
    """One measure: its imposition, its waiver steps, and how it ended (if it did)."""

    imposition: Recorded
    steps: tuple[Recorded, ...]
    ending: Recorded | None

    @property
    def measure_id(self) -> str:
        return self.imposition.event_id

    @property
    def authority(self) -> str:
        return str(self.imposition.get("authority"))

    @property
    def program(self) -> str:
        return str(self.imposition.get("program"))

    def chain(self) -> list[Recorded]:
        """The measure's transitions in the only order the record allows."""
        return [self.imposition, *self.steps, *([self.ending] if self.ending else [])]

    def label(self) -> str:
        return f"{self.authority} / {self.program}"

    def is_waived_now(self) -> bool:
        return bool(self.steps) and self.steps[-1].type == SANCTION_WAIVED


@attrs.frozen
class RequestRecord:
    request: Recorded
    decision: Recorded | None


@attrs.frozen
class EntityRecord:
    """An entity's believed record, grouped for the status rules."""

    entity_id: str
    name: str
    kind: str
    country: str | None
    aliases: tuple[str, ...]
    identifiers: tuple[str, ...]
    measures: tuple[MeasureRecord, ...]
    requests: tuple[RequestRecord, ...]
    negotiations: tuple[Recorded, ...]
    activities: tuple[Recorded, ...]
    facts: tuple[Recorded, ...]

    def measure(self, measure_id: str) -> MeasureRecord | None:
        for measure in self.measures:
            if measure.measure_id == measure_id:
                return measure
        return None


def type_word(event_type: str) -> str:
    """How a person calls an event of this type ("lapse", "waiver end")."""
    return {
        SANCTION_IMPOSED: "imposition",
        SANCTION_LAPSED: "lapse",
        SANCTION_LIFTED: "lifting",
        SANCTION_WAIVED: "waiver",
        WAIVER_ENDED: "waiver end",
        DELISTING_REQUESTED: "request",
        DELISTING_DECIDED: "decision",
        EVENT_CORRECTED: "correction",
        EVENT_RETRACTED: "retraction",
        ENTITIES_LINKED: "link",
        ENTITIES_UNLINKED: "unlink",
        NEGOTIATION_MENTIONED: "negotiation mention",
        ACTIVITY_REPORTED: "reported activity",
        ENTITY_REGISTERED: "registration",
        ALIAS_ADDED: "alias",
        IDENTIFIER_ADDED: "identifier",
    }.get(event_type, event_type.replace("_", " "))
