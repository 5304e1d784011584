"""The status timeline: every entity's status over effective time, materialised in tables.

The fold (``projections.views``) is the reference: it reads one entity's events and
computes its status at a cut. The timeline stores the same answers ahead of time, so that
"every entity as of D" is a few SQL look-ups instead of a pass over the whole log.

Status is piecewise constant in effective time: the rules of ``domain.status`` compare a
cut ``c`` only with ``x < c`` or ``x >= c`` for the earliest and latest days ``x`` of the
record's transitions, so the answer can change only at cuts ``x + 1``. For each entity the
projection folds its believed record, evaluates the fold's own functions once per segment
between those cuts, and stores the segments.

The modules, one idea each:

``segments``    an entity's rows from its believed record (the fold's functions per
                segment, and the same rows on bit sets)
``display``     what the status output shows besides states, as stored JSON
``decode``      stored events as the projection reads them, log pages
``tables``      the tables and their SQL, with the tracked position
``sqlite_view``, ``postgres_view``  the tables in each kind of store
``projection``  the projection, catch-up after writes and before reads, rebuild
``bulk``        a long backlog projected in key order, in a process pool (SQLite)
``apart``       following the log from a second process during an import
``queries``     every entity's status or view over an as-of period
``all_rows``    one read of the tables for an all-entity answer: parties, then rows
``answers``     every entity's JSON answer straight from the rows
``links``       the links in force, kept for the all-entity answers
``party_rows``  each linked party's rows (members, status, sources, links), made of
                its members' rows and the links in force, remade on every write
``party_answers`` every linked party's JSON answer (or its fields) from its rows and
                its members' rows

Views that filter the log (``--recorded-by``, ``--reported-by``) are not materialised:
they keep using the fold.
"""

from __future__ import annotations

from projections.timeline.all_rows import AllRows, all_rows
from projections.timeline.answers import (
    FIELDS,
    MEASURE_FIELDS,
    MEMBER_FIELDS,
    entity_fields,
    entity_texts,
)
from projections.timeline.apart import FollowerApart
from projections.timeline.bulk import project_in_key_order
from projections.timeline.party_answers import party_answers, party_texts, stored_parties
from projections.timeline.projection import (
    PAGE,
    TimelineProjection,
    catch_up,
    follow,
    rebuild,
    runner,
)
from projections.timeline.queries import (
    EntityStatus,
    changed,
    iter_views,
    statuses,
    statuses_between,
    views,
)
from projections.timeline.segments import EntityRows, entity_rows, entity_rows_by_fold
from projections.timeline.tables import TimelineView, timeline_view

__all__ = [
    "FIELDS",
    "MEASURE_FIELDS",
    "MEMBER_FIELDS",
    "PAGE",
    "AllRows",
    "EntityRows",
    "EntityStatus",
    "FollowerApart",
    "TimelineProjection",
    "TimelineView",
    "all_rows",
    "catch_up",
    "changed",
    "entity_fields",
    "entity_rows",
    "entity_rows_by_fold",
    "entity_texts",
    "follow",
    "iter_views",
    "party_answers",
    "party_texts",
    "project_in_key_order",
    "rebuild",
    "runner",
    "statuses",
    "statuses_between",
    "stored_parties",
    "timeline_view",
    "views",
]
