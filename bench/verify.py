"""``verify`` on a real store, beside a raw baseline in the same process.

    python -m bench.verify STORE.sqlite [ROUNDS]

The baseline is the least work the same proof needs: one ``sqlite3`` scan of the events
table in log order, with the same two SHA-256 per event (the event, then the link), and no
comparison with a kept chain. Prints seconds and the ratio, one line per round.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import time

from events_log.app import SanctionsApp
from events_log.store import resolve_store
from projections import chain, verify


def raw_chain(path: str) -> int:
    link = chain.GENESIS
    count = 0
    with sqlite3.connect(path) as database:
        rows = database.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        )
        for originator, version, topic, state in rows:
            event = hashlib.sha256(
                originator.encode() + str(version).encode() + topic.encode() + state
            ).digest()
            link = hashlib.sha256(link + event).digest()
            count += 1
    return count


def main(argv: list[str]) -> int:
    path, rounds = argv[0], int(argv[1]) if len(argv) > 1 else 3
    for number in range(rounds):
        app = SanctionsApp(resolve_store(path, {}))
        began = time.perf_counter()
        result = verify.verify(app)
        ours = time.perf_counter() - began
        app.close()
        began = time.perf_counter()
        rows = raw_chain(path)
        raw = time.perf_counter() - began
        print(
            f"round {number + 1}: verify {result.entries} entries (ok: {result.ok}, "
            f"chained now: {result.caught_up}) {ours:.2f} s; raw scan and hashing of {rows} "
            f"rows {raw:.2f} s; {ours / raw:.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
