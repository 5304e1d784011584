"""The JSON contract (DESIGN.md §8) and the tables a person reads, from the views."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from domain.dates import DateInterval
from domain.record import Recorded
from domain.status import Annotation, MeasureAt, Status
from projections import terminal
from projections.csv_rows import CSV_HEADER, CsvRows
from projections.event_render import entity_head_json, event_json
from projections.party_render import extend_entity_json, names_of, party_lines, party_notes
from projections.phrases import (
    WIDTH,
    as_of_heading,
    date_text,
    describe,
    event_phrase,
    quote_lines,
    source_line,
    status_word,
    wrap,
)
from projections.views import (
    Change,
    Deciding,
    EntityView,
    Explanation,
    Horizon,
)


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


def status_table(views: Sequence[EntityView], as_of: DateInterval, horizon: Horizon) -> str:
    return "\n".join(status_table_lines(views, as_of, horizon))


def status_table_lines(
    views: Iterable[EntityView], as_of: DateInterval, horizon: Horizon
) -> Iterator[str]:
    """``status_table``'s lines, one entity at a time."""
    yield from wrap(as_of_heading(as_of, horizon), 0)
    yield ""
    name_width = 34
    yield f"{'ENTITY':<{name_width}} STATUS"
    empty = True
    for item in views:
        empty = False
        status = textwrap.wrap(
            status_word(item.at_end), WIDTH - name_width - 1, break_on_hyphens=False
        )
        yield f"{terminal.pad(item.record.name, name_width)} {status[0]}"
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
        notes += party_notes(item)
        for note in notes:
            yield f"{'':<{name_width}}   {terminal.fit(note, WIDTH - name_width - 3)}"
    if empty:
        yield "(no entities)"


def _is_period(as_of: DateInterval) -> bool:
    return not as_of.is_day


def detail_block(item: EntityView) -> str:
    record = item.record
    at_end = item.at_end
    lines = wrap(
        f"{record.name} ({record.kind}{', ' + record.country if record.country else ''})", 0
    )
    if record.aliases:
        lines += wrap("aka: " + "; ".join(record.aliases), 2)
    if record.identifiers:
        lines += wrap("ids: " + ", ".join(record.identifiers), 2)
    lines += wrap(f"status: {status_word(at_end)}", 2)
    if item.at_start.status is not at_end.status or item.changed_within:
        lines += wrap(f"at start of period: {status_word(item.at_start)}", 2)
    for event in item.changed_within:
        lines += wrap(f"may fall within: {event_phrase(event)}", 4)
    names = names_of(item)
    for measure in at_end.measures:
        ended = measure.measure.ending
        imposition = measure.measure.imposition
        lines += wrap(
            f"measure {measure.measure.measure_id[:8]} {measure.measure.label()}: "
            f"{measure.state}"
            + ("" if len(measure.possible) == 1 else f" ({' or '.join(measure.sorted_possible())})")
            + f"; imposed {date_text(imposition.effective)}"
            + (f"; ended {date_text(ended.effective)}" if ended else "")
            + (
                f"; on {names[imposition.entity_id]}, per {imposition.source.title}"
                if names
                else ""
            ),
            2,
        )
        lines += wrap(source_line(measure.measure.imposition), 4)
        if ended:
            lines += wrap("end " + source_line(ended), 4)
    for annotation in at_end.pending_requests:
        event = annotation.event
        lines += wrap(
            f"pending delisting request by {event.get('requested_by')}, "
            f"{date_text(event.effective)}{'' if annotation.certain else ' (may not be made yet)'}",
            2,
        )
    for annotation in at_end.negotiations:
        event = annotation.event
        lines += wrap(
            f"negotiation: {event.get('forum')}, {date_text(event.effective)}"
            + ("" if annotation.certain else " (may be later)"),
            2,
        )
    if at_end.activities:
        lines += wrap(f"reported activities: {len(at_end.activities)} (see history)", 2)
    for line in party_lines(item):
        lines += wrap(line, 2)
    return "\n".join(lines)


def status_csv(views: Sequence[EntityView]) -> str:
    return "".join(status_csv_lines(views)).rstrip("\n")


def status_csv_lines(views: Iterable[EntityView]) -> Iterator[str]:
    """``status_csv``'s rows, each with its line end, one entity at a time."""
    out = io.StringIO()
    writer = CsvRows(out)
    writer.writerow(CSV_HEADER)
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
    lines = wrap(f"Why {item.record.name}: {as_of_heading(as_of, horizon).lower()}", 0)
    lines += wrap(explain_summary(explanation), 2)
    names = names_of(item)
    for entry in explanation.measures:
        measure = entry.measure
        lines.append("")
        on = names.get(measure.measure.imposition.entity_id)
        lines += wrap(
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
            lines += wrap(
                f"{word}: {event_phrase(deciding.event)} ({deciding.event.event_id[:8]})", 4
            )
            lines += quote_lines(deciding.event, 6)
    others = [
        d
        for d in explanation.straddling
        if d.event.type in ("delisting_requested", "delisting_decided")
    ]
    for deciding in others:
        lines.append("")
        lines += wrap(f"may or may not have happened: {event_phrase(deciding.event)}", 2)
        lines += quote_lines(deciding.event, 4)
    if explanation.straddling:
        lines.append("")
        lines.append("  What would settle it:")
        for deciding in explanation.straddling:
            lines += wrap(f"- {deciding.settle}", 4)
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
    yield from wrap(heading, 0)
    yield ""
    empty = True
    for change in changes:
        empty = False
        yield change.view_to.record.name
        yield from wrap(
            f"{status_word(change.view_from.at_end)} -> {status_word(change.view_to.at_end)}", 2
        )
        for event in change.events:
            yield from wrap(f"{date_text(event.effective)}: {describe(event)}", 4)
    if empty:
        yield "(no status changed)"
