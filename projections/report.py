"""The shareable report: one self-contained HTML file with the status table and, per group,
the timeline, the measures and the sources with their quotes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
import jinja2
from markupsafe import Markup

from domain.dates import DateInterval
from domain.errors import RuleViolationError
from domain.record import IDENTITY_TYPES, EntityRecord, Recorded, type_word
from projections import phrases, picture, render
from projections.views import EntityView, Horizon, view

# The report's templates; the web page loads them too (``measures.html``).
LOADER = jinja2.PackageLoader("projections", "templates")
TEMPLATES = jinja2.Environment(
    loader=LOADER,
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@attrs.frozen
class SourcedEvent:
    """An event as the report lists it: when, what, and where it comes from."""

    date: str
    what: str
    kind: str
    source: str
    published: str | None
    url: str | None
    quote: str | None


def sourced(event: Recorded) -> SourcedEvent:
    source = event.source
    return SourcedEvent(
        date=phrases.date_text(event.effective),
        what=phrases.describe(event),
        kind=type_word(event.type),
        source=source.title,
        published=None if source.published is None else source.published.isoformat(),
        url=source.url if (source.url or "").startswith(("https://", "http://")) else None,
        quote=source.quote,
    )


def entity_context(item: EntityView) -> dict[str, Any]:
    """What the templates show of one entity: the §8 JSON, plus its events with sources."""
    events = [sourced(e) for e in item.record.facts if e.type not in IDENTITY_TYPES]
    return {
        "json": render.entity_json(item),
        "status": phrases.status_word(item.at_end),
        "status_at_start": phrases.status_word(item.at_start),
        "measures": [
            {
                **render.measure_json(m),
                "label": m.measure.label(),
                "imposed_text": phrases.date_text(m.measure.imposition.effective),
                "ended_text": None
                if m.measure.ending is None
                else phrases.date_text(m.measure.ending.effective),
                "events": [sourced(e) for e in m.measure.chain()],
            }
            for m in item.at_end.measures
        ],
        "events": events,
    }


def timeline_svg(
    groups: Sequence[picture.Group], as_of: DateInterval, *, legend: bool = True
) -> Markup:
    """The group's picture as an inline SVG element (matplotlib's own, trusted markup)."""
    day = as_of.last_day
    svg = picture.render(groups, "svg", as_of=day, title=picture.name_of(groups), legend=legend)
    return Markup(picture.inline_svg(svg))


def report_html(
    records: Sequence[EntityRecord], as_of: DateInterval, horizon: Horizon, generated: date
) -> str:
    """The whole report, one group per entity (a party's entities will share a group)."""
    groups = picture.entity_groups(records)
    sections = []
    for label, members in groups:
        items = [view(r, as_of) for r in members]
        sections.append(
            {
                "label": label,
                "svg": timeline_svg([(label, members)], as_of),
                "entities": [entity_context(i) for i in items],
            }
        )
    rows = [entity_context(view(r, as_of)) for r in records]
    return TEMPLATES.get_template("report.html").render(
        as_of=render.as_of_json(as_of),
        horizon=render.horizon_json(horizon),
        generated=generated.isoformat(),
        rows=rows,
        sections=sections,
    )


def check_path(path: str) -> None:
    if not path.lower().endswith((".html", ".htm")):
        msg = f"report output {path!r} must end in .html"
        raise RuleViolationError(msg)


def write_report(
    path: str,
    records: Sequence[EntityRecord],
    as_of: DateInterval,
    horizon: Horizon,
    generated: date,
) -> int:
    """Write the report to ``path``; the number of bytes written."""
    data = report_html(records, as_of, horizon, generated).encode("utf-8")
    with open(path, "wb") as out:
        out.write(data)
    return len(data)
