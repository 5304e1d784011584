"""One read of the timeline's tables for an all-entity answer (SQLite): the parties kept
(``party_rows``), the rows of every entity a link names, then every other entity's rows
sorted by name.

The three come from one read transaction, so they agree: an entity is marked ``linked``
exactly when a stored link names it, and then it is a member of a stored party, whatever
another process writes meanwhile. Both sets of entities are read off one index
(``tables.ORDER``: linked or not, then the casefolded name, then the first position): the
linked ones first, their parties composed of them (``party_answers``) before the first
entity alone is answered; the others in the answers' order, without a sort or a list of
ids to leave out. An entity alone has its status at both cuts read and its measures'
states at the end; one with links has its measures' states at the end, and its party its
status at both cuts and each source's at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from domain.dates import DateInterval
from events_log.app import SanctionsApp
from projections.timeline import party_rows
from projections.timeline.projection import catch_up
from projections.timeline.queries import iso_bounds
from projections.timeline.sqlite_view import SQLiteTimelineView
from projections.timeline.tables import timeline_view
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
# Each linked entity's head and display, and its measures' possible states at the end.
LINKED = (
    f"SELECT e.entity_id, e.name, e.display, {_STATES_AT} "
    "FROM timeline_entities e WHERE e.linked = TRUE"
)
# Each other entity's head and display, its status at both cuts, and its measures'
# possible states at the end, in the answers' order.
ALONE = (
    f"SELECT e.entity_id, e.name, e.display, {_STATUS_AT}, {_STATUS_AT}, {_STATES_AT} "
    "FROM timeline_entities e WHERE e.linked = FALSE ORDER BY e.sort_key, e.first_position"
)
_PARTY_STATUS_AT = (
    f"(SELECT s.status || char(31) || s.possible FROM {party_rows.STATUS} s "
    f"WHERE s.party_id = p.party_id AND s.source = {party_rows.OVERALL} "
    "AND s.cut_from <= ? AND s.cut_until > ?)"
)
# Each party's members (in order), whether its rows answer, its sources' parts, its links'
# JSON (or null), its status at both cuts, and each source's status at the end.
PARTIES = (
    "SELECT p.party_id, p.members, p.composable, p.sources, {links}, "
    f"{_PARTY_STATUS_AT}, {_PARTY_STATUS_AT}, "
    "(SELECT group_concat(s.source || char(31) || s.status || char(31) || s.possible, "
    f"char(30)) FROM {party_rows.STATUS} s WHERE s.party_id = p.party_id "
    "AND s.source >= 0 AND s.cut_from <= ? AND s.cut_until > ?) "
    f"FROM {party_rows.PARTIES} p"
)
Row = tuple[Any, ...]  # of LINKED or ALONE


@attrs.frozen
class AllRows:
    """The read: which entities are one party (as ``Parties.groups`` gives them), each
    with its stored party's row (``PARTIES``'s; links' JSON if read); the linked entities'
    rows by id; the others' rows, sorted, to iterate once; and the as-of period's cuts."""

    groups: list[tuple[str, ...]]
    parties: dict[tuple[str, ...], Row]
    members: dict[str, Row]
    alone: Iterator[Row]
    start: int
    end: int
    bounds: tuple[str, str]


def all_rows(app: SanctionsApp, as_of: DateInterval, *, with_links: bool) -> AllRows | None:
    """The read, caught up first (the links' JSON ``with_links``: the JSON shows them);
    None where the store is not SQLite. The rows alone are read as iterated, in the same
    transaction, which ends when they have all been read."""
    catch_up(app)
    view = timeline_view(app)
    if not isinstance(view, SQLiteTimelineView):
        return None
    start, end = as_of_bounds(as_of)
    parties = PARTIES.format(links="p.links" if with_links else "NULL")
    rows = view.iterate_sorted(
        ALONE,
        (start, start, end, end, end, end),
        [(parties, (end, end, start, start, end, end)), (LINKED, (end, end))],
    )
    stored, linked = next(rows)
    members = {row[0]: row for row in linked}
    by_group = {tuple(sorted(row[1].split(party_rows.MEMBER_SEPARATOR))): row for row in stored}
    return AllRows(list(by_group), by_group, members, rows, start, end, iso_bounds(start, end))
