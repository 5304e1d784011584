"""Histories, replays, the log and the entity list, as tables and JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.record import EntityRecord, Recorded
from events_log.jsonl import export_line, interval_to_json
from projections import terminal
from projections.phrases import WIDTH, date_text, describe, quote_lines, status_word, wrap
from projections.views import (
    HistoryEntry,
    ReplayStep,
)


def entity_head_json(record: EntityRecord) -> dict[str, Any]:
    return {
        "entity_id": record.entity_id.replace("-", ""),
        "name": record.name,
        "kind": record.kind,
        "country": record.country,
        "aliases": list(record.aliases),
        "identifiers": list(record.identifiers),
    }


def event_json(event: Recorded) -> dict[str, Any]:
    """An event with its envelope and own fields, as ``log`` and ``history`` print it."""
    data = {"position": event.position, **export_line(event)}
    data["effective"] = None if event.effective is None else interval_to_json(event.effective)
    return data


def history_json(record: EntityRecord, entries: Sequence[HistoryEntry]) -> dict[str, Any]:
    events = []
    for entry in entries:
        data = event_json(entry.event)
        del data["position"]  # positions belong to the whole log (see `log`)
        data["belief"] = entry.belief
        if entry.believed is not None and entry.belief == "corrected":
            data["corrected_to"] = {
                "effective": interval_to_json(entry.believed.effective),
                **{k: v for k, v in entry.believed.fields.items() if v != entry.event.get(k)},
            }
        events.append(data)
    return {"entity": entity_head_json(record), "events": events}


def history_table(
    record: EntityRecord, entries: Sequence[HistoryEntry], names: Mapping[str, str] | None = None
) -> str:
    lines = [*wrap(f"History of {record.name}", 0), ""]
    if names:
        lines[-1:-1] = wrap("party of " + "; ".join(names.values()), 2)
    for entry in entries:
        event = entry.event
        mark = {"current": "", "corrected": " [corrected]", "retracted": " [retracted]"}[
            entry.belief
        ]
        on = f"  ({names[event.entity_id]})" if names else ""
        lines += wrap(f"{date_text(event.effective)}  {event.event_id[:8]}{mark}{on}", 0)
        lines += wrap(describe(event), 4)
        if entry.belief == "corrected" and entry.believed is not None:
            lines += wrap(
                f"now believed: {date_text(entry.believed.effective)}; {describe(entry.believed)}",
                4,
            )
        lines += quote_lines(event, 4)
    if not entries:
        lines.append("(no events)")
    return "\n".join(lines)


def replay_table(steps: Sequence[ReplayStep], names: Mapping[str, str] | None = None) -> str:
    lines = []
    for step in steps:
        member = (names or {}).get(step.event.entity_id, step.record.name)
        on = "" if member == step.record.name else f" ({member})"
        lines += wrap(f"{date_text(step.event.effective)}  {step.record.name}{on}", 0)
        lines += wrap(describe(step.event), 4)
        lines += wrap(f"-> {status_word(step.after)}", 4)
    if not steps:
        lines.append("(no events in range)")
    return "\n".join(lines)


def replay_json(steps: Sequence[ReplayStep]) -> dict[str, Any]:
    return {
        "steps": [
            {
                "entity_id": step.record.entity_id.replace("-", ""),
                "name": step.record.name,
                "event": event_json(step.event),
                "status_after": step.after.status.value,
                "possible_statuses_after": step.after.possible_statuses,
            }
            for step in steps
        ]
    }


def log_table(events: Sequence[Recorded], names: dict[str, str]) -> str:
    lines = [f"{'POS':>5} {'RECORDED (UTC)':<19} {'ENTITY':<22} EVENT"]
    for event in events:
        recorded = event.recorded_at.strftime("%Y-%m-%d %H:%M:%S")
        name = terminal.pad(names.get(event.entity_id, event.entity_id[:8]), 22)
        lines.append(
            f"{event.position or 0:>5} {recorded:<19} {name} "
            + terminal.fit(f"{event.type} {event.event_id[:8]}", WIDTH - 49)
        )
    return "\n".join(lines)


def entities_table(records: Sequence[EntityRecord]) -> str:
    lines = [f"{'ID':<8} {'KIND':<10} {'NAME':<34} ALIASES / IDENTIFIERS"]
    for record in records:
        extra = "; ".join([*record.aliases, *record.identifiers])
        lines.append(
            f"{record.entity_id.replace('-', '')[:8]:<8} {terminal.pad(record.kind, 10)} "
            f"{terminal.pad(record.name, 34)} {terminal.fit(extra, WIDTH - 55)}".rstrip()
        )
    if not records:
        lines.append("(no entities)")
    return "\n".join(lines)
