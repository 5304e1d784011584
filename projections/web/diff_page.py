"""``/diff``: the entities whose status changed between two dates; twin ``/api/diff``."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from domain.dates import DateInterval
from domain.errors import RuleViolationError
from projections import phrases, render, timeline
from projections.views import Change, Horizon, diff, record_of
from projections.web.common import as_of, store

blueprint = Blueprint("diff", __name__)


def changes(start: DateInterval, end: DateInterval) -> list[Change]:
    """As ``sanctions diff`` finds them: the timeline tells which changed, only those are
    folded."""
    app = store()
    before = timeline.statuses(app, start)
    after = timeline.statuses(app, end)
    changed = [
        entity_id
        for entity_id, status in after.items()
        if entity_id not in before
        or before[entity_id].possible_statuses != status.possible_statuses
    ]
    records = sorted(
        (record_of(e, app.entity_events(UUID(e)), Horizon()) for e in changed),
        key=lambda r: r.name.casefold(),
    )
    return diff(records, start, end)


def bounds() -> tuple[DateInterval, DateInterval]:
    start, end = request.args.get("from"), request.args.get("to")
    for name, value in (("from", start), ("to", end)):
        if not value:
            msg = f"diff needs ?{name}=D (a day, month, year or range)"
            raise RuleViolationError(msg)
    return as_of(start), as_of(end)


@blueprint.get("/diff")
def diff_page() -> ResponseReturnValue:
    if not request.args.get("from") and not request.args.get("to"):
        return render_template("diff.html", start="", end="", rows=None)
    start, end = bounds()
    found = changes(start, end)
    data = render.diff_json(found, start, end, Horizon())
    rows = [
        {
            "json": item,
            "before": phrases.status_word(change.view_from.at_end),
            "after": phrases.status_word(change.view_to.at_end),
            "events": [
                {"date": phrases.date_text(e.effective), "what": phrases.describe(e)}
                for e in change.events
            ],
        }
        for item, change in zip(data["entities"], found, strict=True)
    ]
    return render_template("diff.html", start=start.text, end=end.text, rows=rows, heading=data)


@blueprint.get("/api/diff")
def api_diff() -> ResponseReturnValue:
    start, end = bounds()
    return jsonify(render.diff_json(changes(start, end), start, end, Horizon()))
