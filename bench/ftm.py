"""Benchmark: the FtM formats beside JSON Lines doing the same work, in one process.

Run from the project root (reads ``../shared/data/ftm/``):

    python -m bench.ftm            # 5 rounds
    python -m bench.ftm --rounds 9

- import: ``import --format ftm`` of the OpenSanctions file into a fresh store vs a JSON
  Lines import of the very events it made (the store's own export), into a fresh store;
- export: ``export --format ftm`` vs ``export --format jsonl`` of the same store;
- delta: ``import --format ftm-delta`` of the five-version feed into a fresh store, for
  reference (its JSON Lines export re-imported as the baseline).

Medians of wall-clock seconds; the ratio is FtM time over JSON Lines time.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from events_log.app import SanctionsApp
from events_log.ftm.delta_import import import_feeds
from events_log.ftm.export import export as export_ftm
from events_log.ftm.importer import import_file
from events_log.jsonl import JsonlImporter
from events_log.jsonl import export as export_jsonl
from events_log.store import resolve_store

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ftm"
ZALA = DATA / "yente-zala-entities.ftm.json"
FEED = DATA / "yente-t2" / "delta.json"


def store(folder: Path, name: str) -> SanctionsApp:
    return SanctionsApp(resolve_store(str(folder / name), {}))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def jsonl_of(app: SanctionsApp) -> str:
    out = io.StringIO()
    export_jsonl(app, out)
    return out.getvalue()


def one_round(folder: Path, index: int) -> dict[str, tuple[float, float]]:
    text = ZALA.read_text(encoding="utf-8")
    ftm_app = store(folder, f"ftm-{index}.sqlite")
    ftm_import = timed(lambda: import_file(ftm_app, io.StringIO(text), ZALA.name))
    events = jsonl_of(ftm_app)
    jsonl_app = store(folder, f"jsonl-{index}.sqlite")
    jsonl_import = timed(
        lambda: JsonlImporter(jsonl_app).import_lines(io.StringIO(events), "export.jsonl")
    )
    ftm_export = timed(lambda: export_ftm(ftm_app, io.StringIO()))
    jsonl_export = timed(lambda: export_jsonl(ftm_app, io.StringIO()))
    delta_app = store(folder, f"delta-{index}.sqlite")
    delta_import = timed(lambda: import_feeds(delta_app, [FEED]))
    delta_events = jsonl_of(delta_app)
    again = store(folder, f"delta-jsonl-{index}.sqlite")
    delta_jsonl = timed(
        lambda: JsonlImporter(again).import_lines(io.StringIO(delta_events), "export.jsonl")
    )
    return {
        "import (91 entities, 135 events)": (ftm_import, jsonl_import),
        "export": (ftm_export, jsonl_export),
        "delta import (5 versions, 231 events)": (delta_import, delta_jsonl),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.rounds):
            rounds.append(one_round(Path(folder), index))
    print(f"{'phase':40} {'FtM s':>8} {'JSONL s':>8} {'ratio':>6}")
    for phase in rounds[0]:
        ftm = statistics.median(r[phase][0] for r in rounds)
        jsonl = statistics.median(r[phase][1] for r in rounds)
        print(f"{phase:40} {ftm:8.3f} {jsonl:8.3f} {ftm / jsonl:6.2f}")


if __name__ == "__main__":
    main()
