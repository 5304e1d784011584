"""One read of the timeline's tables for an all-entity answer (SQLite): the links in force,
the rows of every entity a link names, then every other entity's rows sorted by name.

The three come from one read transaction, so they agree: an entity is marked ``linked``
exactly when a stored link names it (``links``), whatever another process writes
meanwhile. Both sets of entities are read off one index (``tables.ORDER``: linked or not,
then the casefolded name, then the first position): the linked ones first, their parties
composed of them (``party_answers``) before the first entity alone is answered; the others
in the answers' order, without a sort or a list of ids to leave out. An entity alone has
its status at both cuts read and its measures' states at the end; one with links has its
measures' states at both cuts, which its party's status is made of.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from domain.dates import DateInterval
from domain.party import pair_groups
from events_log.app import SanctionsApp
from projections.timeline import links
from projections.timeline.projection import catch_up
from projections.timeline.queries import iso_bounds
from projections.timeline.tables import SQLiteTimelineView, timeline_view
from projections.views import as_of_bounds

_STATUS_AT = (
    "(SELECT s.status || char(31) || s.possible FROM timeline_status s "
    " WHERE s.entity_id = e.entity_id AND s.cut_from <= ? AND s.cut_until > ?)"
)
_STATES_AT = (
    "(SELECT group_concat(t.measure_id || char(31) || t.possible, char(30)) "
    " FROM timeline_states t "
    " WHERE t.entity_id = e.entity_id AND t.cut_from <= ? AND t.cut_until > ?)"
)
# Each linked entity's head and display, and its measures' possible states at both cuts.
LINKED = (
    f"SELECT e.entity_id, e.name, e.display, {_STATES_AT}, {_STATES_AT} "
    "FROM timeline_entities e WHERE e.linked = TRUE"
)
# Each other entity's head and display, its status at both cuts, and its measures'
# possible states at the end, in the answers' order.
ALONE = (
    f"SELECT e.entity_id, e.name, e.display, {_STATUS_AT}, {_STATUS_AT}, {_STATES_AT} "
    "FROM timeline_entities e WHERE e.linked = FALSE ORDER BY e.sort_key, e.first_position"
)
Row = tuple[Any, ...]  # of LINKED or ALONE


@attrs.frozen
class AllRows:
    """The read: which entities are one party (as ``Parties.groups`` gives them), and, if
    read, each party's stored links (``links.STORED``'s rows, in the order they were made);
    the linked entities' rows by id; the others' rows, sorted, to iterate once; and the
    as-of period's cuts."""

    groups: list[tuple[str, ...]]
    links: dict[tuple[str, ...], list[Row]] | None
    members: dict[str, Row]
    alone: Iterator[Row]
    start: int
    end: int
    bounds: tuple[str, str]


def all_rows(app: SanctionsApp, as_of: DateInterval, *, with_links: bool) -> AllRows | None:
    """The read, caught up first (the links themselves ``with_links``: the JSON shows
    them); None where the store is not SQLite. The rows alone are read as iterated, in
    the same transaction, which ends when they have all been read."""
    catch_up(app)
    view = timeline_view(app)
    if not isinstance(view, SQLiteTimelineView):
        return None
    start, end = as_of_bounds(as_of)
    first = links.STORED if with_links else links.PAIRS
    rows = view.iterate_sorted(
        ALONE, (start, start, end, end, end, end), [(first, ()), (LINKED, (start, start, end, end))]
    )
    stored, linked = next(rows)
    members = {row[0]: row for row in linked}
    groups = pair_groups((row[0], row[1]) for row in stored)
    by_group: dict[tuple[str, ...], list[Row]] | None = None
    if with_links:
        by_group = {group: [] for group in groups}
        group_of = {member: group for group in groups for member in group}
        for row in stored:  # in the order made, as ``Parties.links_within`` gives them
            by_group[group_of[row[0]]].append(row)
    return AllRows(groups, by_group, members, rows, start, end, iso_bounds(start, end))
