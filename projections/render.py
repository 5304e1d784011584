"""The JSON contract (DESIGN.md §8) and the tables a person reads, from the views."""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from domain.dates import DateInterval
from domain.record import EntityRecord, Recorded
from domain.status import Annotation, MeasureAt, Status, StatusAt
from events_log.jsonl import export_line, interval_to_json
from projections import terminal
from projections.party_render import extend_entity_json, names_of, party_lines
from projections.views import (
    Change,
    Deciding,
    EntityView,
    Explanation,
    HistoryEntry,
    Horizon,
    ReplayStep,
)

WIDTH = 80


def date_json(interval: DateInterval | None) -> dict[str, Any] | None:
    return None if interval is None else interval.as_json()


def horizon_json(horizon: Horizon) -> dict[str, Any]:
    return {
        "recorded_by": None if horizon.recorded_by is None else horizon.recorded_by.isoformat(),
        "reported_by": None if horizon.reported_by is None else horizon.reported_by.isoformat(),
    }


def as_of_json(as_of: DateInterval) -> dict[str, Any]:
    data = as_of.as_json()
    return {"input": data["text"], "from": data["from"], "until": data["until"]}


def entity_head_json(record: EntityRecord) -> dict[str, Any]:
    return {
        "entity_id": record.entity_id.replace("-", ""),
        "name": record.name,
        "kind": record.kind,
        "country": record.country,
        "aliases": list(record.aliases),
        "identifiers": list(record.identifiers),
    }


def measure_json(measure: MeasureAt) -> dict[str, Any]:
    record = measure.measure
    return {
        "measure_id": record.measure_id,
        "authority": record.authority,
        "program": record.program,
        "state": measure.state,
        "possible_states": measure.sorted_possible(),
        "imposed": date_json(record.imposition.effective),
        "ended": date_json(record.ending.effective) if record.ending else None,
    }


def _annotation_json(annotation: Annotation, *fields: str) -> dict[str, Any]:
    event = annotation.event
    data: dict[str, Any] = {"event_id": event.event_id}
    for name in fields:
        data[name] = event.get(name)
    data["date"] = date_json(event.effective)
    data["certain"] = annotation.certain
    return data


def change_json(event: Recorded, within: tuple[int, int] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "event_id": event.event_id,
        "type": event.type,
        "date": date_json(event.effective),
    }
    if event.get("measure_id"):
        data["measure_id"] = event.get("measure_id")
    return data


def entity_json(view: EntityView) -> dict[str, Any]:
    at_end = view.at_end
    return extend_entity_json(
        view,
        {
            **entity_head_json(view.record),
            "status": at_end.status.value,
            "possible_statuses": at_end.possible_statuses,
            "status_at_start": view.at_start.status.value,
            "possible_statuses_at_start": view.at_start.possible_statuses,
            "changed_within": [change_json(e) for e in view.changed_within],
            "measures": [measure_json(m) for m in at_end.measures],
            "pending_delisting_requests": [
                _annotation_json(a, "requested_by", "forum") for a in at_end.pending_requests
            ],
            "negotiations": [_annotation_json(a, "forum", "summary") for a in at_end.negotiations],
            "activities": [_annotation_json(a, "summary") for a in at_end.activities],
        },
    )


def status_json(
    views: Sequence[EntityView], as_of: DateInterval, horizon: Horizon
) -> dict[str, Any]:
    return {**status_head_json(as_of, horizon), "entities": [entity_json(v) for v in views]}


def status_head_json(as_of: DateInterval, horizon: Horizon) -> dict[str, Any]:
    """``status_json`` less its entities."""
    return {"as_of": as_of_json(as_of), **horizon_json(horizon)}


def status_word(status: StatusAt) -> str:
    if status.status is Status.UNCERTAIN:
        return "uncertain: " + " or ".join(status.possible_statuses)
    return status.status.value


def _cell(text: str, width: int) -> str:
    return terminal.fit(text, width)


def _pad(text: str, width: int) -> str:
    return terminal.pad(text, width)


def status_table(views: Sequence[EntityView], as_of: DateInterval, horizon: Horizon) -> str:
    return "\n".join(status_table_lines(views, as_of, horizon))


def status_table_lines(
    views: Iterable[EntityView], as_of: DateInterval, horizon: Horizon
) -> Iterator[str]:
    """``status_table``'s lines, one entity at a time."""
    yield from _wrap(_as_of_heading(as_of, horizon), 0)
    yield ""
    name_width = 34
    yield f"{'ENTITY':<{name_width}} STATUS"
    empty = True
    for item in views:
        empty = False
        status = textwrap.wrap(
            status_word(item.at_end), WIDTH - name_width - 1, break_on_hyphens=False
        )
        yield f"{_pad(item.record.name, name_width)} {status[0]}"
        for more in status[1:]:
            yield f"{'':<{name_width}} {more}"
        notes = []
        if _is_period(as_of) and item.at_start.possible_statuses != item.at_end.possible_statuses:
            notes.append(f"at start: {status_word(item.at_start)}")
        if item.changed_within:
            notes.append(f"{len(item.changed_within)} change(s) may fall within")
        pending = item.at_end.pending_requests
        if pending:
            certain = "" if all(a.certain for a in pending) else " (uncertain)"
            notes.append(f"delisting requested{certain}")
        for note in notes:
            yield f"{'':<{name_width}}   {note}"
    if empty:
        yield "(no entities)"


def status_table_lines_of_json(
    items: Iterable[Mapping[str, Any]], as_of: DateInterval, horizon: Horizon
) -> Iterator[str]:
    """``status_table_lines`` from each entity's ``entity_json`` (``members`` not needed)."""
    yield from _wrap(_as_of_heading(as_of, horizon), 0)
    yield ""
    name_width = 34
    yield f"{'ENTITY':<{name_width}} STATUS"
    empty = True
    for data in items:
        empty = False
        word = _status_word_of(data["status"], data["possible_statuses"])
        status = textwrap.wrap(word, WIDTH - name_width - 1, break_on_hyphens=False)
        yield f"{_pad(data['name'], name_width)} {status[0]}"
        for more in status[1:]:
            yield f"{'':<{name_width}} {more}"
        notes = []
        if _is_period(as_of) and data["possible_statuses_at_start"] != data["possible_statuses"]:
            at_start = _status_word_of(data["status_at_start"], data["possible_statuses_at_start"])
            notes.append(f"at start: {at_start}")
        if data["changed_within"]:
            notes.append(f"{len(data['changed_within'])} change(s) may fall within")
        pending = data["pending_delisting_requests"]
        if pending:
            certain = "" if all(a["certain"] for a in pending) else " (uncertain)"
            notes.append(f"delisting requested{certain}")
        for note in notes:
            yield f"{'':<{name_width}}   {note}"
    if empty:
        yield "(no entities)"


def _status_word_of(status: str, possible: Sequence[str]) -> str:
    """``status_word`` of a status and its possible statuses as the JSON gives them."""
    if status == Status.UNCERTAIN.value:
        return "uncertain: " + " or ".join(possible)
    return status


def _is_period(as_of: DateInterval) -> bool:
    return not as_of.is_day


def _as_of_heading(as_of: DateInterval, horizon: Horizon) -> str:
    if as_of.is_day:
        text = f"Status as of the end of {as_of.canonical()}"
    else:
        assert as_of.last_day is not None
        assert as_of.start is not None
        text = (
            f"Status at the end of {as_of.text} ({as_of.start.isoformat()} .. "
            f"{as_of.last_day.isoformat()})"
        )
    if horizon.recorded_by is not None:
        text += f"; recorded by {horizon.recorded_by.isoformat()}"
    if horizon.reported_by is not None:
        text += f"; published by {horizon.reported_by.isoformat()}"
    return text


def _wrap(text: str, indent: int) -> list[str]:
    """Lines of at most WIDTH columns, control characters escaped."""
    shown = terminal.escape(text)
    if terminal.width(shown) != len(shown):  # wide or combining characters: count columns
        return terminal.wrap(shown, WIDTH, indent)
    return textwrap.wrap(
        shown, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2)
    ) or [" " * indent]


def detail_block(item: EntityView) -> str:
    record = item.record
    at_end = item.at_end
    lines = _wrap(
        f"{record.name} ({record.kind}{', ' + record.country if record.country else ''})", 0
    )
    if record.aliases:
        lines += _wrap("aka: " + "; ".join(record.aliases), 2)
    if record.identifiers:
        lines += _wrap("ids: " + ", ".join(record.identifiers), 2)
    lines += _wrap(f"status: {status_word(at_end)}", 2)
    if item.at_start.status is not at_end.status or item.changed_within:
        lines += _wrap(f"at start of period: {status_word(item.at_start)}", 2)
    for event in item.changed_within:
        lines += _wrap(f"may fall within: {_event_phrase(event)}", 4)
    names = names_of(item)
    for measure in at_end.measures:
        ended = measure.measure.ending
        imposition = measure.measure.imposition
        lines += _wrap(
            f"measure {measure.measure.measure_id[:8]} {measure.measure.label()}: "
            f"{measure.state}"
            + ("" if len(measure.possible) == 1 else f" ({' or '.join(measure.sorted_possible())})")
            + f"; imposed {_date(imposition.effective)}"
            + (f"; ended {_date(ended.effective)}" if ended else "")
            + (
                f"; on {names[imposition.entity_id]}, per {imposition.source.title}"
                if names
                else ""
            ),
            2,
        )
        lines += _wrap(_source_line(measure.measure.imposition), 4)
        if ended:
            lines += _wrap("end " + _source_line(ended), 4)
    for annotation in at_end.pending_requests:
        event = annotation.event
        lines += _wrap(
            f"pending delisting request by {event.get('requested_by')}, "
            f"{_date(event.effective)}{'' if annotation.certain else ' (may not be made yet)'}",
            2,
        )
    for annotation in at_end.negotiations:
        event = annotation.event
        lines += _wrap(
            f"negotiation: {event.get('forum')}, {_date(event.effective)}"
            + ("" if annotation.certain else " (may be later)"),
            2,
        )
    if at_end.activities:
        lines += _wrap(f"reported activities: {len(at_end.activities)} (see history)", 2)
    for line in party_lines(item):
        lines += _wrap(line, 2)
    return "\n".join(lines)


def _date(interval: DateInterval | None) -> str:
    return "undated" if interval is None else interval.describe()


def _event_phrase(event: Recorded) -> str:
    return f"{event.type.replace('_', ' ')} {_date(event.effective)}"


class _CsvRows:
    """CSV rows ending in ``\n`` whose fields are quoted when they hold ``\r`` too.

    The csv module quotes a field that holds a character of the line terminator; with
    ``\n`` alone a bare ``\r`` would go out unquoted, and readers would split the row.
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.row = io.StringIO()
        self.writer = csv.writer(self.row, lineterminator="\r\n")

    def writerow(self, fields: Sequence[Any]) -> None:
        self.row.seek(0)
        self.row.truncate()
        self.writer.writerow(fields)
        self.out.write(self.row.getvalue().removesuffix("\r\n") + "\n")


def status_csv(views: Sequence[EntityView]) -> str:
    return "".join(status_csv_lines(views)).rstrip("\n")


_CSV_HEADER = [
    "entity_id",
    "name",
    "status",
    "possible_statuses",
    "status_at_start",
    "measures",
    "pending_delisting_requests",
    "identifiers",
]


def status_csv_lines(views: Iterable[EntityView]) -> Iterator[str]:
    """``status_csv``'s rows, each with its line end, one entity at a time."""
    out = io.StringIO()
    writer = _CsvRows(out)
    writer.writerow(_CSV_HEADER)
    for item in views:
        writer.writerow(
            [
                item.record.entity_id.replace("-", ""),
                item.record.name,
                item.at_end.status.value,
                "|".join(item.at_end.possible_statuses),
                item.at_start.status.value,
                "|".join(f"{m.measure.label()}={m.state}" for m in item.at_end.measures),
                len(item.at_end.pending_requests),
                "|".join(item.record.identifiers),
            ]
        )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def status_csv_lines_of_json(items: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """``status_csv_lines`` from each entity's ``entity_json`` (``members`` not needed)."""
    out = io.StringIO()
    writer = _CsvRows(out)
    writer.writerow(_CSV_HEADER)
    for data in items:
        writer.writerow(
            [
                data["entity_id"],
                data["name"],
                data["status"],
                "|".join(data["possible_statuses"]),
                data["status_at_start"],
                "|".join(
                    f"{m['authority']} / {m['program']}={m['state']}" for m in data["measures"]
                ),
                len(data["pending_delisting_requests"]),
                "|".join(data["identifiers"]),
            ]
        )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


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


def _describe(event: Recorded) -> str:
    kind = event.type
    get = event.get
    if kind == "sanction_imposed":
        return f"imposed: {get('authority')} / {get('program')}" + (
            f" ({get('reason')})" if get("reason") else ""
        )
    if kind in ("sanction_lapsed", "sanction_lifted", "sanction_waived", "waiver_ended"):
        word = kind.removeprefix("sanction_").replace("_", " ")
        return f"{word}: measure {str(get('measure_id'))[:8]}"
    if kind == "delisting_requested":
        return f"delisting requested by {get('requested_by')}" + (
            f" ({get('forum')})" if get("forum") else ""
        )
    if kind == "delisting_decided":
        return f"delisting {get('outcome')}: request {str(get('request_id'))[:8]}"
    if kind == "negotiation_mentioned":
        return f"negotiation: {get('forum')}" + (f": {get('summary')}" if get("summary") else "")
    if kind == "activity_reported":
        return f"activity: {get('summary')}"
    if kind == "entity_registered":
        return f"registered: {get('name')} ({get('kind')})"
    if kind == "alias_added":
        return f"alias: {get('alias')}"
    if kind == "identifier_added":
        return f"identifier: {get('identifier')}"
    if kind == "event_corrected":
        changes = ", ".join(
            f"{k}={v.text if isinstance(v, DateInterval) else v}"
            for k, v in (get("changes") or {}).items()
        )
        return f"correction of {str(get('target'))[:8]}: {changes}"
    if kind == "event_retracted":
        return f"retraction of {str(get('target'))[:8]}: {get('reason')}"
    if kind in ("entities_linked", "entities_unlinked"):
        word = "linked" if kind == "entities_linked" else "unlinked"
        return f"{word} with entity {str(get('other_id')).replace('-', '')[:8]}" + (
            f" ({get('reason')})" if get("reason") else ""
        )
    return kind


def _source_line(event: Recorded) -> str:
    source = event.source
    published = f", {source.published.isoformat()}" if source.published else ""
    return f"source: {source.title}{published}"


def history_table(
    record: EntityRecord, entries: Sequence[HistoryEntry], names: Mapping[str, str] | None = None
) -> str:
    lines = [*_wrap(f"History of {record.name}", 0), ""]
    if names:
        lines[-1:-1] = _wrap("party of " + "; ".join(names.values()), 2)
    for entry in entries:
        event = entry.event
        mark = {"current": "", "corrected": " [corrected]", "retracted": " [retracted]"}[
            entry.belief
        ]
        on = f"  ({names[event.entity_id]})" if names else ""
        lines += _wrap(f"{_date(event.effective)}  {event.event_id[:8]}{mark}{on}", 0)
        lines += _wrap(_describe(event), 4)
        if entry.belief == "corrected" and entry.believed is not None:
            lines += _wrap(
                f"now believed: {_date(entry.believed.effective)}; {_describe(entry.believed)}", 4
            )
        lines += _quote_lines(event, 4)
    if not entries:
        lines.append("(no events)")
    return "\n".join(lines)


def replay_table(steps: Sequence[ReplayStep], names: Mapping[str, str] | None = None) -> str:
    lines = []
    for step in steps:
        member = (names or {}).get(step.event.entity_id, step.record.name)
        on = "" if member == step.record.name else f" ({member})"
        lines += _wrap(f"{_date(step.event.effective)}  {step.record.name}{on}", 0)
        lines += _wrap(_describe(step.event), 4)
        lines += _wrap(f"-> {status_word(step.after)}", 4)
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
        name = _pad(names.get(event.entity_id, event.entity_id[:8]), 22)
        lines.append(
            f"{event.position or 0:>5} {recorded:<19} {name} "
            + _cell(f"{event.type} {event.event_id[:8]}", WIDTH - 49)
        )
    return "\n".join(lines)


def entities_table(records: Sequence[EntityRecord]) -> str:
    lines = [f"{'ID':<8} {'KIND':<10} {'NAME':<34} ALIASES / IDENTIFIERS"]
    for record in records:
        extra = "; ".join([*record.aliases, *record.identifiers])
        lines.append(
            f"{record.entity_id.replace('-', '')[:8]:<8} {_pad(record.kind, 10)} "
            f"{_pad(record.name, 34)} {_cell(extra, WIDTH - 55)}".rstrip()
        )
    if not records:
        lines.append("(no entities)")
    return "\n".join(lines)


def _quote_lines(event: Recorded, indent: int) -> list[str]:
    lines = _wrap(_source_line(event), indent)
    quote = event.source.quote
    if quote:
        framed = quote if quote.startswith(('"', "\u201c")) else f'"{quote}"'
        lines += _wrap(framed, indent + 2)
    return lines


def explain_summary(explanation: Explanation) -> str:
    at_end = explanation.view.at_end
    if at_end.status is Status.UNCERTAIN:
        return (
            f"uncertain: the record allows {' or '.join(at_end.possible_statuses)}, "
            f"because {len(explanation.straddling)} event(s) may fall on either side of "
            "the as-of point"
        )
    if at_end.status is Status.NOT_SANCTIONED:
        return "not_sanctioned: no measure on record had surely begun by the as-of point"
    return f"{at_end.status.value}: decided by the events below"


def explain_table(explanation: Explanation, as_of: DateInterval, horizon: Horizon) -> str:
    item = explanation.view
    lines = _wrap(f"Why {item.record.name}: {_as_of_heading(as_of, horizon).lower()}", 0)
    lines += _wrap(explain_summary(explanation), 2)
    names = names_of(item)
    for entry in explanation.measures:
        measure = entry.measure
        lines.append("")
        on = names.get(measure.measure.imposition.entity_id)
        lines += _wrap(
            f"measure {measure.measure.measure_id[:8]} {measure.measure.label()}"
            + (f" (on {on})" if on else "")
            + f": {measure.state}"
            + (
                "" if len(measure.possible) == 1 else f" ({' or '.join(measure.sorted_possible())})"
            ),
            2,
        )
        for deciding in entry.events:
            word = "happened" if deciding.role == "happened" else "may or may not have happened"
            lines += _wrap(
                f"{word}: {_event_phrase(deciding.event)} ({deciding.event.event_id[:8]})", 4
            )
            lines += _quote_lines(deciding.event, 6)
    others = [
        d
        for d in explanation.straddling
        if d.event.type in ("delisting_requested", "delisting_decided")
    ]
    for deciding in others:
        lines.append("")
        lines += _wrap(f"may or may not have happened: {_event_phrase(deciding.event)}", 2)
        lines += _quote_lines(deciding.event, 4)
    if explanation.straddling:
        lines.append("")
        lines.append("  What would settle it:")
        for deciding in explanation.straddling:
            lines += _wrap(f"- {deciding.settle}", 4)
    return "\n".join(lines)


def explain_json(explanation: Explanation, as_of: DateInterval, horizon: Horizon) -> dict[str, Any]:
    def deciding_json(deciding: Deciding) -> dict[str, Any]:
        data = event_json(deciding.event)
        data["role"] = deciding.role
        if deciding.settle:
            data["settled_by"] = deciding.settle
        return data

    return {
        "as_of": as_of_json(as_of),
        **horizon_json(horizon),
        "entity": entity_json(explanation.view),
        "summary": explain_summary(explanation),
        "measures": [
            {
                "measure_id": entry.measure.measure.measure_id,
                "state": entry.measure.state,
                "possible_states": entry.measure.sorted_possible(),
                "events": [deciding_json(d) for d in entry.events],
            }
            for entry in explanation.measures
        ],
        "straddling": [deciding_json(d) for d in explanation.straddling],
    }


def diff_json(
    changes: Sequence[Change], start: DateInterval, end: DateInterval, horizon: Horizon
) -> dict[str, Any]:
    return {
        **diff_head_json(start, end, horizon),
        "entities": [change_entity_json(c) for c in changes],
    }


def diff_head_json(start: DateInterval, end: DateInterval, horizon: Horizon) -> dict[str, Any]:
    """``diff_json`` less its entities."""
    return {"from": as_of_json(start), "to": as_of_json(end), **horizon_json(horizon)}


def change_entity_json(change: Change) -> dict[str, Any]:
    """One entity of ``diff_json``."""
    data = entity_json(change.view_to)
    data["status_from"] = change.view_from.at_end.status.value
    data["possible_statuses_from"] = change.view_from.at_end.possible_statuses
    data["status_to"] = change.view_to.at_end.status.value
    data["possible_statuses_to"] = change.view_to.at_end.possible_statuses
    data["events_between"] = [event_json(e) for e in change.events]
    return data


def diff_table(
    changes: Sequence[Change], start: DateInterval, end: DateInterval, horizon: Horizon
) -> str:
    return "\n".join(diff_table_lines(changes, start, end, horizon))


def diff_table_lines(
    changes: Iterable[Change], start: DateInterval, end: DateInterval, horizon: Horizon
) -> Iterator[str]:
    """``diff_table``'s lines, one entity at a time."""
    heading = f"Changes from the end of {start.text} to the end of {end.text}"
    if horizon.recorded_by is not None:
        heading += f"; recorded by {horizon.recorded_by.isoformat()}"
    if horizon.reported_by is not None:
        heading += f"; published by {horizon.reported_by.isoformat()}"
    yield from _wrap(heading, 0)
    yield ""
    empty = True
    for change in changes:
        empty = False
        yield change.view_to.record.name
        yield from _wrap(
            f"{status_word(change.view_from.at_end)} -> {status_word(change.view_to.at_end)}", 2
        )
        for event in change.events:
            yield from _wrap(f"{_date(event.effective)}: {_describe(event)}", 4)
    if empty:
        yield "(no status changed)"


def describe(event: Recorded) -> str:
    """One line that says what an event records, as the history table shows it."""
    return _describe(event)


def date_text(interval: DateInterval | None) -> str:
    """A date as a person reads it ("2007", "early 2000s [2000/2003]", "undated")."""
    return _date(interval)
