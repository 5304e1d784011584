"""A Sanction's waivers: FtM has no property for them, so they are read from what says them.

- A Sanction this tracker exported lists its measure's waiver steps in its ``summary``
  (``...; sanction waived 9/19/03 [2003-09-19]; waiver ended 2005; lifted ...``): each
  step is read back with its dates (the bracketed bounds, else the text, which is then
  its own canonical form). A summary whose steps do not all read is taken as saying none.
- Any other Sanction whose ``status`` is ``waived`` was waived when last seen, at some day
  after its imposition: one waiver, dated on or before ``last_seen``.

Without this, a measure waived in the past would come back in force over its waiver.
"""

from __future__ import annotations

import re
from datetime import date

import attrs
from followthemoney.proxy import EntityProxy

from domain.dates import DateInterval, parse_date
from domain.errors import InvalidDateError
from domain.record import SANCTION_WAIVED, WAIVER_ENDED, Source
from events_log.ftm.dates import before_day

OWN_DATASET = "sanctions_tracker"  # events_log.ftm.export.DATASET
STEP_WORDS = {"sanction waived": SANCTION_WAIVED, "waiver ended": WAIVER_ENDED}
UNKNOWN = "at an unknown date"
_STEP = re.compile(
    r"; (sanction waived|waiver ended) (.+?)"
    r"(?=; (?:sanction waived|waiver ended|lapsed|lifted|the imposition date|the ending date) |$)"
)
_BOUNDS = re.compile(r" \[([^\[\]]+)\]$")


@attrs.frozen
class Step:
    type: str  # SANCTION_WAIVED or WAIVER_ENDED
    effective: DateInterval | None
    source: Source


def waiver_steps(
    proxy: EntityProxy, datasets: list[str], last_seen: date | None, source: Source
) -> tuple[Step, ...]:
    """The Sanction's waiver steps, in order."""
    if OWN_DATASET in datasets:
        for summary in proxy.get("summary"):
            found = _summary_steps(summary, source)
            if found:
                return found
    words = {s.strip().casefold() for s in proxy.get("status")}
    if "waived" in words and last_seen is not None:
        how = "FtM status waived: waived after its imposition, on or before last_seen"
        return (Step(SANCTION_WAIVED, before_day(last_seen, how), source),)
    return ()


def _summary_steps(summary: str, source: Source) -> tuple[Step, ...]:
    steps = []
    for words, when in _STEP.findall(summary):
        if when == UNKNOWN:
            steps.append(Step(STEP_WORDS[words], None, source))
            continue
        bounds = _BOUNDS.search(when)
        written, canonical = (when, when) if bounds is None else (when[: bounds.start()], bounds[1])
        try:
            interval = parse_date(canonical, cap=False)
        except InvalidDateError:
            return ()
        dated = attrs.evolve(interval, text=written, how=f"FtM summary: {words} {when}")
        steps.append(Step(STEP_WORDS[words], dated, source))
    return tuple(steps)
