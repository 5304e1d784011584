"""The csv and table answers about every entity, read from each entity's JSON.

``render.status_csv_lines`` and ``render.status_table_lines`` read the views; these read
what ``render.entity_json`` makes of them (``members`` not needed), as the timeline's rows
give it without the views (``parties.status_fields``): the same lines (property test).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from domain.dates import DateInterval
from domain.status import Status
from projections import terminal
from projections.csv_rows import CSV_HEADER, CsvRows
from projections.phrases import WIDTH, as_of_heading, wrap
from projections.views import Horizon


def status_table_lines(
    items: Iterable[Mapping[str, Any]], as_of: DateInterval, horizon: Horizon
) -> Iterator[str]:
    """``status_table_lines`` from each entity's ``entity_json`` (``members`` not needed)."""
    yield from wrap(as_of_heading(as_of, horizon), 0)
    yield ""
    name_width = 34
    yield f"{'ENTITY':<{name_width}} STATUS"
    empty = True
    for data in items:
        empty = False
        word = _status_word(data["status"], data["possible_statuses"])
        status = textwrap.wrap(word, WIDTH - name_width - 1, break_on_hyphens=False)
        yield f"{terminal.pad(data['name'], name_width)} {status[0]}"
        for more in status[1:]:
            yield f"{'':<{name_width}} {more}"
        notes = []
        if not as_of.is_day and data["possible_statuses_at_start"] != data["possible_statuses"]:
            at_start = _status_word(data["status_at_start"], data["possible_statuses_at_start"])
            notes.append(f"at start: {at_start}")
        if data["changed_within"]:
            notes.append(f"{len(data['changed_within'])} change(s) may fall within")
        pending = data["pending_delisting_requests"]
        if pending:
            certain = "" if all(a["certain"] for a in pending) else " (uncertain)"
            notes.append(f"delisting requested{certain}")
        notes += _party_notes(data)
        for note in notes:
            yield f"{'':<{name_width}}   {terminal.fit(note, WIDTH - name_width - 3)}"
    if empty:
        yield "(no entities)"


def _party_notes(data: Mapping[str, Any]) -> list[str]:
    """``party_render.party_notes`` from a party's JSON: its other members, whether its
    sources disagree, how many conflicts it holds."""
    members = data.get("members") or []
    if len(members) < 2:
        return []
    notes = [f"+ {m['name']}" for m in members[1:]]
    if data.get("disagreement"):
        notes.append("sources disagree")
    if data.get("conflicts"):
        notes.append(f"{len(data['conflicts'])} conflict(s)")
    return notes


def _status_word(status: str, possible: Sequence[str]) -> str:
    """``status_word`` of a status and its possible statuses as the JSON gives them."""
    if status == Status.UNCERTAIN.value:
        return "uncertain: " + " or ".join(possible)
    return status


def status_csv_lines(items: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """``status_csv_lines`` from each entity's ``entity_json`` (``members`` not needed)."""
    out = io.StringIO()
    writer = CsvRows(out)
    writer.writerow(CSV_HEADER)
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
