"""``import --format ftm``: an FtM entity file as registrations and measures.

Every line is read and checked before anything is written; then the commands go through
an :class:`ImportSession`, the same entity commands a JSON Lines import uses, and are
saved in one transaction. Ids derive from FtM ids (``ftm:<id>`` keys), so importing the
same file twice adds nothing; an entity that already carries the identifier
``ftm:<id>`` (say, linked by hand) receives the facts.

Parties with no ``Sanction`` in the file: one that the file marks as a target (``target:
true`` or the ``sanction`` topic) is not registered, because the file does not say who
sanctioned it or when, and a bare registration would read ``not_sanctioned``; any other
party is registered without measures (the file says it is not a target).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import attrs

from domain.entity import Entity
from domain.errors import DomainError
from domain.record import EVENT_CORRECTED, SANCTION_WAIVED, Recorded
from events_log.app import SanctionsApp
from events_log.ftm.reader import (
    FtmError,
    Line,
    Party,
    SanctionFacts,
    is_party,
    party_of,
    read_lines,
    sanction_of,
)
from events_log.jsonl import key_to_entity_id, key_to_event_id
from events_log.session import ImportSession


@attrs.frozen
class FtmResult:
    """What one FtM file held, and what importing it added."""

    file_name: str
    entities: int
    parties: int
    sanctions: int
    unsanctioned: int
    skipped_targets: int
    others: dict[str, int]
    events: int

    def summary(self) -> str:
        others = ", ".join(f"{n} {schema}" for schema, n in sorted(self.others.items()))
        return (
            f"imported {self.file_name}: {self.entities} FtM entities; "
            f"{self.parties} parties with {self.sanctions} Sanctions; "
            f"{self.unsanctioned} parties without a Sanction registered, "
            f"{self.skipped_targets} targets without a Sanction not registered; "
            f"not parties: {others or 'none'}; {self.events} new events"
        )


def event_key(ftm_id: str, what: str) -> str:
    return key_to_event_id(f"ftm:{ftm_id}:{what}")


class FtmWriter:
    """The entity commands for parties and Sanctions, through an import session."""

    def __init__(self, session: ImportSession) -> None:
        self.session = session

    def entity_id(self, ftm_id: str) -> UUID:
        holders = self.session.find_label(f"ftm:{ftm_id}")
        return holders[0] if len(holders) == 1 else key_to_entity_id(f"ftm:{ftm_id}")

    def party(self, party: Party, correlation: str | None = None) -> Entity:
        entity = self.session.register(
            entity_id=self.entity_id(party.ftm_id),
            name=party.name,
            kind=party.kind,
            country=party.country,
            effective=None,
            event_id=event_key(party.ftm_id, "registered"),
            source=party.source,
            correlation_id=correlation,
        )
        self.names(entity, party, party.aliases, correlation)
        for identifier in party.identifiers:
            entity.add_identifier(
                identifier,
                event_id=event_key(party.ftm_id, f"identifier:{identifier.casefold()}"),
                effective=None,
                source=party.source,
                correlation_id=correlation,
            )
        return entity

    def names(
        self, entity: Entity, party: Party, names: Iterable[str], correlation: str | None
    ) -> None:
        record_name = entity.record().name.casefold()
        for alias in names:
            if alias.casefold() != record_name:
                entity.add_alias(
                    alias,
                    event_id=event_key(party.ftm_id, f"alias:{alias.casefold()}"),
                    effective=None,
                    source=party.source,
                    correlation_id=correlation,
                )

    def revise(self, entity: Entity, imposed: str, facts: SanctionFacts) -> None:
        """Correct the imposition where a later copy of the Sanction says otherwise."""
        changes = changes_of(entity.believed(imposed), facts)
        if not changes:
            return
        shown = {k: v.canonical() if k == "effective" else v for k, v in sorted(changes.items())}
        done = sum(
            1 for e in entity.events if e.type == EVENT_CORRECTED and e.get("target") == imposed
        )
        what = json.dumps(shown, sort_keys=True)
        corrected = event_key(facts.ftm_id, f"corrected:{done}:{what}")
        if self.session.has_event(entity, corrected):
            return
        entity.correct(
            imposed,
            changes,
            event_id=corrected,
            effective=None,
            source=facts.revision,
            correlation_id=None,
        )

    def sanction(self, entity: Entity, facts: SanctionFacts) -> None:
        imposed = event_key(facts.ftm_id, "imposed")
        if self.session.has_event(entity, imposed):
            self.revise(entity, imposed, facts)
        else:
            entity.impose(
                facts.authority,
                facts.program,
                facts.reason,
                event_id=imposed,
                effective=facts.imposed,
                source=facts.source,
                correlation_id=None,
            )
        self.steps(entity, imposed, facts)
        ending = facts.ending
        if ending is None:
            return
        ended = event_key(facts.ftm_id, "ended")
        measure = entity.record().measure(imposed)
        if self.session.has_event(entity, ended) or measure is None or measure.ending:
            return
        entity.end_measure(
            ending.type,
            imposed,
            event_id=ended,
            effective=ending.effective,
            source=ending.source,
            correlation_id=None,
        )

    def steps(self, entity: Entity, imposed: str, facts: SanctionFacts) -> None:
        """The Sanction's waivers and their ends not yet on record, in order."""
        for index, step in enumerate(facts.steps):
            key = event_key(facts.ftm_id, f"step:{index}")
            measure = entity.record().measure(imposed)
            if self.session.has_event(entity, key) or measure is None or measure.ending:
                continue
            command = entity.waive if step.type == SANCTION_WAIVED else entity.end_waiver
            command(
                imposed,
                event_id=key,
                effective=step.effective,
                source=step.source,
                correlation_id=None,
            )


def changes_of(believed: Recorded, facts: SanctionFacts) -> dict[str, Any]:
    """What a later copy of a Sanction says differently of its imposition."""
    effective = believed.effective
    changes: dict[str, Any] = {}
    if effective is None or effective.bounds() != facts.imposed.bounds():
        changes["effective"] = facts.imposed
    for name, value in (
        ("authority", facts.authority),
        ("program", facts.program),
        ("reason", facts.reason),
    ):
        if believed.get(name) != value:
            changes[name] = value
    return changes


@attrs.frozen
class FtmPlan:
    """A whole file read and checked: its parties, their Sanctions, and the rest."""

    file_name: str
    entities: int
    parties: dict[str, Line]
    sanctions: dict[str, list[SanctionFacts]]
    sanction_count: int
    others: dict[str, int]


def plan_file(lines: Iterable[str], name: str) -> FtmPlan:
    """Read and check every line; raises before anything is written."""
    read = list(read_lines(lines, name))
    parties = {str(line.proxy.id): line for line in read if is_party(line.proxy)}
    sanctions = [line for line in read if line.proxy.schema.name == "Sanction"]
    others = Counter(
        line.proxy.schema.name
        for line in read
        if str(line.proxy.id) not in parties and line.proxy.schema.name != "Sanction"
    )
    by_party: dict[str, list[SanctionFacts]] = {}
    for line in sanctions:
        facts = sanction_of(line)
        if facts.entity not in parties:
            msg = (
                f"{line.where}: Sanction {facts.ftm_id} names entity {facts.entity!r}, "
                "which is not a party (Person, Company, Organization, Vessel, ...) in the file"
            )
            raise FtmError(msg)
        by_party.setdefault(facts.entity, []).append(facts)
    for line in parties.values():
        _party(line)
    return FtmPlan(
        file_name=name,
        entities=len(read),
        parties=parties,
        sanctions=by_party,
        sanction_count=len(sanctions),
        others=dict(others),
    )


def write_plan(app: SanctionsApp, plan: FtmPlan) -> FtmResult:
    """The plan's commands, saved in one transaction (none when a command is refused)."""
    session = ImportSession(app)
    writer = FtmWriter(session)
    skipped = unsanctioned = 0
    for ftm_id, line in plan.parties.items():
        party = _party(line)
        found = plan.sanctions.get(ftm_id, [])
        if not found and party.target:
            skipped += 1
            continue
        unsanctioned += not found
        entity = writer.party(party)
        for facts in found:
            _apply(writer, entity, facts, line)
    return FtmResult(
        file_name=plan.file_name,
        entities=plan.entities,
        parties=len(plan.sanctions),
        sanctions=plan.sanction_count,
        unsanctioned=unsanctioned,
        skipped_targets=skipped,
        others=plan.others,
        events=session.flush(),
    )


def import_file(app: SanctionsApp, lines: Iterable[str], name: str) -> FtmResult:
    return write_plan(app, plan_file(lines, name))


def _party(line: Line) -> Party:
    try:
        return party_of(line)
    except ValueError as error:
        raise FtmError(f"{line.where}: {error}") from None


def _apply(writer: FtmWriter, entity: Entity, facts: SanctionFacts, line: Line) -> None:
    try:
        writer.sanction(entity, facts)
    except DomainError as error:
        if isinstance(error, FtmError):
            raise
        msg = f"{line.where}: Sanction {facts.ftm_id} of {facts.entity}: {error}"
        raise type(error)(msg) from None
