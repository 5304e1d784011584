"""The timeline picture: one row per measure, a bar from imposition to end, lighter where
an event may or may not have happened yet, and marks for the diplomatic events.

The input is a list of (group label, entity records), so that one picture can show several
entities that are one party. The same records give the same bytes: a fixed figure size,
fixed fonts, a fixed SVG hash salt and no date in the metadata.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from domain.errors import RuleViolationError
from domain.record import SANCTION_WAIVED, EntityRecord, MeasureRecord, Recorded
from domain.status import ALWAYS, NEVER, Chain, first_day, last_day

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
IN_FORCE = "#0072B2"  # blue
WAIVED = "#E69F00"  # orange
MARKS = {
    "request": ("#D55E00", "^", "delisting request"),  # vermillion
    "decision": ("#CC79A7", "D", "delisting decision"),  # reddish purple
    "negotiation": ("#009E73", "o", "negotiation"),  # bluish green
    "activity": ("#000000", "X", "reported activity"),
}
LIGHT = 0.3  # opacity of a stretch where the event may or may not have happened yet

WIDTH_IN = 10.0
ROW_PAD = 0.3  # rows of air above the first and below the last
ROW_IN = 0.32
HEAD_IN = 0.55  # title and axis
FOOT_IN = 0.75  # legend
LABEL_SHARE = 0.4  # of the width, for the row labels
LABEL_CHARS = 52

STYLE: dict[Any, Any] = {
    "svg.hashsalt": "sanctions-tracker",
    "svg.fonttype": "none",  # text stays text: searchable, small, and parsed by the tests
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

Group = tuple[str, Sequence[EntityRecord]]


@attrs.frozen
class Row:
    """One line of the picture: a heading (group, entity or source), a measure, or an
    entity's marks of one kind."""

    kind: str  # "group", "entity", "source", "measure" or "marks"
    label: str
    entity: EntityRecord | None = None
    measure: MeasureRecord | None = None
    marks: str | None = None  # for a "marks" row: "request", "negotiation" or "activity"


MARK_ROWS = {
    "request": ("request", "decision"),
    "negotiation": ("negotiation",),
    "activity": ("activity",),
}
MARK_TITLES = {
    "request": "delisting requests",
    "negotiation": "negotiations",
    "activity": "reported activities",
}


def rows(groups: Sequence[Group]) -> list[Row]:
    """Each group; its entities (named when the group is not just that entity); each
    entity's measures by source, then by imposition; then a row per kind of mark."""
    out: list[Row] = []
    for label, records in groups:
        out.append(Row("group", label))
        for record in records:
            if len(records) > 1 or record.name != label:
                out.append(Row("entity", record.name, record))
            measures = sorted(
                record.measures,
                key=lambda m: (
                    m.imposition.source.title.casefold(),
                    first_day(m.imposition.effective),
                    m.measure_id,
                ),
            )
            source = None
            for measure in measures:
                if measure.imposition.source.title != source:
                    source = measure.imposition.source.title
                    out.append(Row("source", f"source: {source}", record))
                text = f"{measure.program} ({measure.authority})"
                out.append(Row("measure", text, record, measure))
            marks = _marks(record)
            for row_kind, kinds in MARK_ROWS.items():
                count = sum(1 for kind, _ in marks if kind in kinds)
                if count:
                    title = f"{MARK_TITLES[row_kind]}: {count}"
                    out.append(Row("marks", title, record, marks=row_kind))
    return out


def _marks(record: EntityRecord) -> list[tuple[str, Recorded]]:
    found: list[tuple[str, Recorded]] = []
    for request in record.requests:
        found.append(("request", request.request))
        if request.decision is not None:
            found.append(("decision", request.decision))
    found += [("negotiation", e) for e in record.negotiations]
    found += [("activity", e) for e in record.activities]
    return found


def window(
    groups: Sequence[Group], start: date | None = None, end: date | None = None
) -> tuple[int, int]:
    """The days shown: from the first year any event may fall in to a year after the last
    (so that what holds after it shows), unless ``start`` or ``end`` say otherwise.
    Nothing depends on today."""
    days: list[int] = []
    for _, records in groups:
        for record in records:
            for event in record.facts:
                if event.effective is None:
                    continue
                days += [first_day(event.effective), last_day(event.effective)]
    days = [d for d in days if d not in (ALWAYS, NEVER)]
    low = date(date.fromordinal(min(days)).year, 1, 1).toordinal() if days else None
    high = date(date.fromordinal(max(days)).year + 2, 1, 1).toordinal() if days else None
    if start is not None:
        low = start.toordinal()
    if end is not None:
        high = end.toordinal() + 1
    if low is None or high is None:
        low = low if low is not None else (high or date(2000, 1, 1).toordinal()) - 3653
        high = high if high is not None else low + 3653
    if high <= low:
        msg = f"timeline --to {date.fromordinal(high - 1)} is before --from {date.fromordinal(low)}"
        raise RuleViolationError(msg)
    return low, high


def _short(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "\u2026"


def figure(
    groups: Sequence[Group],
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Figure:
    """Draw the picture. ``as_of`` adds a dashed line at that day."""
    lines = rows(groups)
    low, high = window(groups, start, end)
    foot = FOOT_IN if legend else 0.35
    height = HEAD_IN + foot + ROW_IN * max(len(lines), 1)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=100)  # no pyplot: no global state
    ax = fig.add_axes(
        (LABEL_SHARE, foot / height, 0.97 - LABEL_SHARE, 1 - (HEAD_IN + foot) / height)
    )
    ax.set_xlim(low, high)
    ax.set_ylim(len(lines) - 0.5, -0.5)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_title(title or "Sanctions timeline", loc="left", fontsize=11, fontweight="bold")
    _years(ax, low, high)
    for index, line in enumerate(lines):
        _row(ax, index, line, low, high)
    if as_of is not None and low <= as_of.toordinal() < high:
        ax.axvline(as_of.toordinal() + 1, color="#555555", linestyle="--", linewidth=1, gid="as-of")
    if legend:
        _legend(fig)
    return fig


def _years(ax: Axes, low: int, high: int) -> None:
    first, last = date.fromordinal(low).year, date.fromordinal(high - 1).year
    span = last - first + 1
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if span / s <= 14)
    years = [y for y in range(first, last + 2) if y % step == 0]
    ticks = [date(y, 1, 1).toordinal() for y in years]
    shown = [(t, y) for t, y in zip(ticks, years, strict=True) if low <= t <= high]
    ax.set_xticks([t for t, _ in shown], [str(y) for _, y in shown])
    for label, (_, year) in zip(ax.get_xticklabels(), shown, strict=True):
        label.set_gid(f"year-{year}")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


ROW_STYLE: dict[str, dict[str, Any]] = {
    "group": {"fontweight": "bold", "fontsize": 10, "color": "#000000"},
    "entity": {"fontweight": "bold", "fontsize": 9, "color": "#333333"},
    "source": {"fontstyle": "italic", "fontsize": 8, "color": "#555555"},
    "measure": {"fontsize": 9, "color": "#222222"},
    "marks": {"fontstyle": "italic", "fontsize": 8, "color": "#555555"},
}
INDENT = {"group": 0.0, "entity": 0.01, "source": 0.02, "measure": 0.03, "marks": 0.03}


def _row(ax: Axes, index: int, line: Row, low: int, high: int) -> None:
    fig = ax.get_figure()
    assert fig is not None
    place = blended_transform_factory(fig.transFigure, ax.transData)
    ax.text(
        0.01 + INDENT[line.kind],
        index,
        _short(line.label, LABEL_CHARS - int(INDENT[line.kind] * 160)),
        transform=place,
        ha="left",
        va="center",
        gid=f"row-{index}-{line.kind}",
        **ROW_STYLE[line.kind],
    )
    if line.kind == "measure" and line.measure is not None:
        _bar(ax, index, line.measure, low, high)
    elif line.kind == "marks" and line.entity is not None:
        for kind, event in _marks(line.entity):
            if kind in MARK_ROWS[str(line.marks)]:
                _mark(ax, index, kind, event, low, high)


def _bar(ax: Axes, index: int, measure: MeasureRecord, low: int, high: int) -> None:
    """Certain stretches solid, each event's own interval light, in the measure's colour
    (orange while waived)."""
    chain = Chain.of(measure.chain())
    tag = measure.measure_id[:8]
    count = len(chain.events)
    colours = [WAIVED if e.type == SANCTION_WAIVED else IN_FORCE for e in chain.events]
    for k in range(count):
        colour = colours[k]
        before = colours[k - 1] if k > 0 else IN_FORCE
        # The event itself: it may or may not have happened anywhere in its interval.
        a, b = max(chain.earliest[k], low), min(chain.latest[k] + 1, high)
        if a < b:
            ax.barh(index, b - a, left=a, height=0.6, color=before, alpha=LIGHT).patches[0].set_gid(
                f"bar-{tag}-uncertain-{k}"
            )
        # The state after it, surely in force (or waived) until the next event may fall.
        if k == count - 1 and measure.ending is not None:
            break
        a = max(chain.latest[k] + 1, low)
        b = min(chain.earliest[k + 1], high) if k + 1 < count else high
        if a < b:
            ax.barh(index, b - a, left=a, height=0.6, color=colour).patches[0].set_gid(
                f"bar-{tag}-certain-{k}"
            )
    if measure.ending is None:
        ax.plot([high], [index], marker=">", color=IN_FORCE, clip_on=False, gid=f"open-{tag}")


def _mark(ax: Axes, index: int, kind: str, event: Recorded, low: int, high: int) -> None:
    colour, marker, _ = MARKS[kind]
    earliest, latest = first_day(event.effective), last_day(event.effective) + 1
    a, b = max(earliest, low), min(latest, high)
    if a >= b:
        return  # outside the window
    tag = f"mark-{kind}-{event.event_id[:8]}"
    if b - a > 1:
        ax.plot([a, b], [index, index], color=colour, alpha=0.2, linewidth=4, gid=tag + "-span")
    # The middle of its interval; for an open interval, its one known end.
    if earliest == ALWAYS and latest != NEVER + 1:
        at = float(latest)
    elif latest == NEVER + 1 and earliest != ALWAYS:
        at = float(earliest)
    else:
        at = (max(earliest, low) + min(latest, high)) / 2
    if low <= at <= high:
        ax.plot([at], [index], marker=marker, color=colour, markersize=6, gid=tag)


# What the legend shows: (kind, colour, marker or None for a bar, opacity, label).
LEGEND = [
    ("bar", IN_FORCE, None, 1.0, "in force"),
    ("bar", IN_FORCE, None, LIGHT, "may or may not have happened yet"),
    ("bar", WAIVED, None, 1.0, "waived"),
    *(("mark", c, m, 1.0, label) for c, m, label in MARKS.values()),
]


def _legend(fig: Figure) -> None:
    handles = [
        Patch(color=IN_FORCE, label="in force"),
        Patch(color=IN_FORCE, alpha=LIGHT, label="may or may not have happened yet"),
        Patch(color=WAIVED, label="waived"),
        *(
            Line2D([], [], color=c, marker=m, linestyle="", label=label)
            for c, m, label in MARKS.values()
        ),
    ]
    legend = fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, fontsize=8)
    legend.set_gid("legend")


def render(
    groups: Sequence[Group],
    fmt: str,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
    title: str | None = None,
    legend: bool = True,
) -> bytes:
    """The picture as SVG or PNG bytes; without the legend, for a page that shows it
    (``LEGEND``) as HTML, which is a quarter of the drawing time."""
    if fmt not in ("svg", "png"):
        msg = f"timeline format {fmt!r} is not svg or png"
        raise RuleViolationError(msg)
    out = io.BytesIO()
    metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {"Software": None}
    with mpl.rc_context(STYLE):
        fig = figure(groups, start=start, end=end, as_of=as_of, title=title, legend=legend)
        fig.savefig(out, format=fmt, metadata=metadata)
    return out.getvalue()


def inline_svg(svg: bytes) -> str:
    """The SVG element alone, for inlining in an HTML page."""
    text = svg.decode("utf-8")
    text = text[text.index("<svg") :]
    start, end = text.find(" <metadata>"), text.find("</metadata>\n")
    if start != -1 and end != -1:
        text = text[:start] + text[end + len("</metadata>\n") :]
    return text


def entity_groups(records: Sequence[EntityRecord]) -> list[Group]:
    """Today's grouping: each entity on its own."""
    return [(r.name, [r]) for r in records]


def name_of(groups: Sequence[Group]) -> str:
    names = [label for label, _ in groups]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def format_of(path: str) -> str:
    """The picture format a file name asks for."""
    fmt = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if fmt not in ("svg", "png"):
        msg = f"timeline output {path!r} must end in .svg or .png"
        raise RuleViolationError(msg)
    return fmt


def write(
    path: str,
    groups: Sequence[Group],
    fmt: str,
    *,
    start: date | None = None,
    end: date | None = None,
) -> int:
    """Draw the groups into ``path``; the number of bytes written."""
    data = render(groups, fmt, start=start, end=end, title=name_of(groups))
    with open(path, "wb") as out:
        out.write(data)
    return len(data)
