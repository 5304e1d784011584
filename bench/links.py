"""Benchmark of links: a file of links in bulk, and all-entity status with and without links.

Run from the project root on a store of the real OFAC series (made once, a minute or so):

    sanctions init --empty --store ofac.sqlite
    sanctions import ../shared/data/ofac-sdn/sdn-*.csv.gz --store ofac.sqlite
    python -m bench.links --store ofac.sqlite

The store is copied (never changed). Links join the entities five by five (four links per
party of five), from their ``ofac-sdn:N`` identifiers. Phases, each beside its baseline in
the same process:

- a file of N links (``link --from-file``: parse, resolve, check, save, timeline catch-up)
  vs a raw ``INSERT`` of the same number of event rows into a copy of the events table;
- every entity's status as of a day (``status --as-of D``) as JSON, as a table and as csv,
  the way the command makes each (the timeline's rows, parties composed from their
  kept rows and their members' rows), on the copy with M links vs the copy without
  links; and, for reference, the JSON through the views (``timeline.views``,
  ``render.status_json``).

Times are CPU seconds of this process (``time.process_time``). On a shared machine one
run's time varies by 20% and more, so the two copies are timed in turn, ``--rounds``
times: each ratio is given as the ratio of the best times and as the median of the
rounds' ratios.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from domain.dates import DateInterval
from events_log.app import SanctionsApp
from events_log.link_file import link_lines
from events_log.store import resolve_store
from projections import json_tables, parties, render, timeline
from projections.stream import json_chunks
from projections.views import Horizon

AS_OF = DateInterval("2022-03-15", date(2022, 3, 15), date(2022, 3, 16), "exact")


def cpu(run: Callable[[], object]) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def identifiers(app: SanctionsApp) -> list[str]:
    found = []
    for record in parties.all_parties(app, Horizon()):
        found += [i for i in record.record.identifiers if i.startswith("ofac-sdn:")][:1]
    return found


def link_file_lines(ids: list[str], count: int) -> list[str]:
    lines = []
    for block in range(len(ids) // 5):
        members = ids[5 * block : 5 * block + 5]
        for index in range(1, 5):
            other = members[index - 1] if index % 2 else members[0]
            lines.append(json.dumps({"a": members[index], "b": other, "source": "Bench"}))
            if len(lines) == count:
                return lines
    return lines


def open_copy(store: Path, folder: Path, name: str) -> SanctionsApp:
    copy = folder / name
    shutil.copyfile(store, copy)
    return SanctionsApp(resolve_store(str(copy), {}))


def status_json(app: SanctionsApp) -> int:
    """What ``status --as-of D --format json`` writes, through the views."""
    views = parties.combine(app, timeline.views(app, AS_OF), AS_OF)
    out = io.StringIO()
    json.dump(render.status_json(views, AS_OF, Horizon()), out)
    return len(views)


def status_streamed(app: SanctionsApp) -> int:
    """What ``status --as-of D --format json`` writes, as the command makes it."""
    texts = parties.status_texts(app, AS_OF)
    head = render.status_head_json(AS_OF, Horizon())
    out = io.StringIO()
    for chunk in json_chunks(head, "entities", texts):
        out.write(chunk)
    return out.getvalue().count('"members": [')


def status_table(app: SanctionsApp) -> int:
    """What ``status --as-of D`` prints (the table), as the command makes it."""
    lines = json_tables.status_table_lines(parties.status_fields(app, AS_OF), AS_OF, Horizon())
    return sum(1 for _ in lines)


def status_csv(app: SanctionsApp) -> int:
    """What ``status --as-of D --format csv`` writes, as the command makes it."""
    return sum(1 for _ in json_tables.status_csv_lines(parties.status_fields(app, AS_OF)))


def compare(
    plain: SanctionsApp, linked: SanctionsApp, answer: Callable[[SanctionsApp], int], rounds: int
) -> tuple[list[float], list[float]]:
    """CPU seconds of ``answer`` on each copy, in turn, ``rounds`` times (after one run each)."""
    answer(plain)
    answer(linked)
    without, with_links = [], []
    for _ in range(rounds):
        without.append(cpu(lambda: answer(plain)))
        with_links.append(cpu(lambda: answer(linked)))
    return without, with_links


def raw_inserts(store: Path, folder: Path, rows: int) -> float:
    """Insert ``rows`` event-sized rows into a copy of the events table, in one commit."""
    copy = folder / "raw.sqlite"
    shutil.copyfile(store, copy)
    connection = sqlite3.connect(copy)
    (state,) = connection.execute(
        "SELECT state FROM stored_events WHERE topic LIKE '%EntitiesLinked' LIMIT 1"
    ).fetchone() or (b'{"x": 1}',)
    start = time.process_time()
    connection.executemany(
        "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        ((f"{n:032x}", 1, "bench:Row", state) for n in range(rows)),
    )
    connection.commit()
    elapsed = time.process_time() - start
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", required=True, type=Path)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--party-links", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        plain = open_copy(args.store, folder, "plain.sqlite")
        timeline.catch_up(plain)
        ids = identifiers(plain)
        lines = link_file_lines(ids, args.links)

        bulk = open_copy(args.store, folder, "bulk.sqlite")
        start = time.process_time()
        result = link_lines(bulk, lines, "links.jsonl")
        linking = time.process_time() - start
        raw = raw_inserts(args.store, folder, 2 * result.linked)
        print(
            f"link --from-file: {result.linked} links in {linking:.2f} s CPU "
            f"({result.linked / linking:,.0f} links/s); raw INSERT of the same "
            f"{2 * result.linked} rows {raw:.2f} s ({linking / raw:.1f}x)"
        )

        linked = open_copy(args.store, folder, "linked.sqlite")
        link_lines(linked, lines[: args.party_links], "links.jsonl")
        timeline.catch_up(linked)
        answers = (
            ("JSON", status_streamed),
            ("table", status_table),
            ("csv", status_csv),
            ("JSON through the views", status_json),
        )
        for label, answer in answers:
            without, with_links = compare(plain, linked, answer, args.rounds)
            paired = statistics.median(b / a for a, b in zip(without, with_links, strict=True))
            print(
                f"status --as-of {AS_OF.text}, every entity, {label}: without links "
                f"{min(without):.2f} s CPU (median {statistics.median(without):.2f}); with "
                f"{args.party_links} links {min(with_links):.2f} s (median "
                f"{statistics.median(with_links):.2f}); {min(with_links) / min(without):.2f}x "
                f"(best times), {paired:.2f}x (median of {args.rounds} rounds)",
                flush=True,
            )


if __name__ == "__main__":
    main()
