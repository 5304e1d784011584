"""Benchmark: our figures beside a raw ``sqlite3`` baseline doing the equivalent minimal work.

Run from the project root:

    python -m bench.run                                  # 10k and 100k events
    python -m bench.run --sizes 10000,100000,1000000     # and 1M (several minutes)
    python -m bench.run --sizes 10000 --profile import   # where the time goes

Each size runs in a fresh process (so peak memory is per size) on a fresh SQLite store in
a temporary folder. Phases and their raw baselines:

- store size: bytes per event of the whole store (log, labels, timeline, WAL) vs the raw
  table's bytes per row;
- JSON Lines import (up to 100k events): the export imported into a fresh store by a CLI
  call vs parsing each line and inserting it raw;
- import: the normal import path (ImportSession, the Entity aggregate's commands, the
  library's save, one transaction per 500 entities, the timeline projected after each
  batch, by a second process: ``timeline.FollowerApart``; the time includes waiting for it
  to finish) vs raw ``INSERT`` of the same rows (one JSON row per event, same batches);
- rebuild: ``timeline.rebuild`` vs a raw ``SELECT`` scan of the same log;
- one entity: look-up by name, fold, JSON (what ``status NAME`` does) vs a raw indexed
  ``SELECT`` of the entity's rows;
- all entities as of a day: ``timeline.statuses`` (headline at both ends of the day) vs a
  raw ``SELECT`` over a measure interval table at the same two cuts, grouped by entity;
  and, for reference, ``timeline.views`` (everything the JSON output needs) and the fold.

Times are wall-clock seconds (CPU seconds beside them: other processes on the machine
show as the difference). Peak memory is the process's peak resident set in each phase.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.generate import SyntheticEntity, entities
from bench.load import BATCH, load
from bench.raw import AS_OF, raw_all_entities, raw_import, raw_intervals, raw_jsonl, raw_scan
from events_log.app import SanctionsApp
from events_log.store import resolve_store
from projections import render, timeline
from projections.views import Horizon, all_records, entity_view, view

SAMPLE = 300  # entities timed one by one
REPEATS = 3  # all-entities queries: best of


# -- measuring ----------------------------------------------------------------------------


def _reset_peak() -> None:
    """Start a new peak resident set (Linux: clear_refs 5); ignored elsewhere."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return


def _peak_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def phase(results: dict[str, Any], name: str) -> Iterator[None]:
    _reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    results[f"{name}_s"] = time.perf_counter() - wall
    results[f"{name}_cpu_s"] = time.process_time() - cpu
    results[f"{name}_peak_mib"] = _peak_mib()


def _percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return p50 * 1000, p99 * 1000


def _best(action: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


# -- one size -----------------------------------------------------------------------------


def run_size(size: int, seed: int, batch: int, work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"size": size}
    store = work / "events.sqlite"
    raw = work / "raw.sqlite"
    sample: list[SyntheticEntity] = []
    rng = random.Random(seed + 1)

    with phase(results, "generate"):
        generated = 0
        for number, item in enumerate(entities(size, seed)):
            generated += item.events
            if len(sample) < SAMPLE:
                sample.append(item)
            elif rng.random() < SAMPLE / (number + 1):
                sample[rng.randrange(SAMPLE)] = item
        results["entities"] = number + 1
    results["generated_events"] = generated

    app = SanctionsApp(resolve_store(str(store), {}))
    with phase(results, "import"):
        with timeline.FollowerApart(app) as follower:
            app.after_save = [follower]
            loaded = load(app, entities(size, seed), batch)
            saved = time.perf_counter()
        results["import_projection_wait_s"] = time.perf_counter() - saved
    results["import_follower_peak_mib"] = follower.peak_mib
    results["events"] = loaded.events
    results["refused_steps"] = loaded.refused
    results["log_entries"] = app.max_position()

    with phase(results, "raw_import"):
        results["raw_rows"] = raw_import(raw, size, seed, batch)
    results["raw_bytes_per_row"] = raw.stat().st_size / results["raw_rows"]

    with phase(results, "rebuild"):
        timeline.rebuild(app)
    with phase(results, "raw_scan"):
        raw_scan(store)

    names = [item.name for item in sample]
    timings = []
    _reset_peak()
    for name in names:
        start = time.perf_counter()
        entity_id = app.find(name)
        render.entity_json(entity_view(app, entity_id, AS_OF, Horizon()))
        timings.append(time.perf_counter() - start)
    results["one_p50_ms"], results["one_p99_ms"] = _percentiles(timings)
    connection = sqlite3.connect(raw)
    raw_timings = []
    for item in sample:
        start = time.perf_counter()
        connection.execute(
            "SELECT body FROM raw_events WHERE entity_id = ?", (item.entity_id.hex,)
        ).fetchall()
        raw_timings.append(time.perf_counter() - start)
    connection.close()
    results["raw_one_p50_ms"], results["raw_one_p99_ms"] = _percentiles(raw_timings)

    raw_intervals(store, raw)
    timeline.catch_up(app)
    with phase(results, "all_statuses"):
        results["all_statuses_best_s"] = _best(lambda: timeline.statuses(app, AS_OF))
    with phase(results, "raw_all"):
        results["raw_all_best_s"] = _best(lambda: raw_all_entities(raw))
    results.update(cli_call(store, "status", "--format", "json", "--as-of", AS_OF.text))
    if size <= JSONL_SIZE_LIMIT:
        results.update(jsonl_round_trip(store, work))
    with phase(results, "all_views"):
        results["all_views_best_s"] = _best(lambda: timeline.views(app, AS_OF))
    if size <= 100_000:
        with phase(results, "fold_all"):
            records = all_records(app, Horizon())
            [view(r, AS_OF) for r in records]
    store_bytes = sum(p.stat().st_size for p in work.glob("events.sqlite*"))
    results["store_mib"] = store_bytes / 2**20
    results["store_bytes_per_event"] = store_bytes / loaded.events
    app.close()
    return results


JSONL_SIZE_LIMIT = 100_000  # JSON Lines round trip (export, then import) up to this size
_CLI = (
    "import resource, sys, time\n"
    "import cli\n"
    "code = cli.main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "sys.stderr.write(f'{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}\\n')\n"
    "raise SystemExit(code)\n"
)


def cli_call(store: Path, *argv: str) -> dict[str, float]:
    """A ``sanctions`` command in a process of its own, its output piped to nothing: wall
    time from start to exit, and its peak memory."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CLI, *argv, "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
        text=True,
    )
    return {
        "cli_json_s": time.perf_counter() - start,
        "cli_json_peak_mib": float(done.stderr.strip().splitlines()[-1]),
    }


def jsonl_round_trip(store: Path, work: Path) -> dict[str, float]:
    """Export the log as JSON Lines, import it into a fresh store (CLI calls)."""
    lines = work / "export.jsonl"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _CLI, "export", "--output", str(lines), "--store", str(store)],
        check=True,
        capture_output=True,
    )
    exported = time.perf_counter() - start
    fresh = work / "imported.sqlite"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _CLI, "import", str(lines), "--store", str(fresh)],
        check=True,
        capture_output=True,
    )
    imported = time.perf_counter() - start
    with lines.open(encoding="utf-8") as read:
        count = sum(1 for _ in read)
    start = time.perf_counter()
    raw_jsonl(lines, work / "raw-jsonl.sqlite")
    raw_imported = time.perf_counter() - start
    for path in work.glob("raw-jsonl.sqlite*"):
        path.unlink()
    for path in work.glob("imported.sqlite*"):
        path.unlink()
    lines.unlink()
    return {
        "jsonl_lines": count,
        "jsonl_export_s": exported,
        "jsonl_import_s": imported,
        "raw_jsonl_import_s": raw_imported,
    }


def profile_phase(size: int, seed: int, batch: int, work: Path, which: str) -> None:
    """Profile one phase, all of it in this process (the profiler sees no other): the
    import projects after each batch here, the rebuild uses no helper process."""
    app = SanctionsApp(resolve_store(str(work / "events.sqlite"), {}))
    if which == "rebuild":
        load(app, entities(size, seed), batch)
    profiler = cProfile.Profile()
    profiler.enable()
    if which == "import":
        load(app, entities(size, seed), batch)
    else:
        timeline.rebuild(app, workers=1)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)


# -- the report ---------------------------------------------------------------------------


def _rate(count: float, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def rows_of(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, ours, raw, ratio) for one size."""
    r = result
    events = r["events"]

    def ratio(ours: float, raw: float) -> str:
        return f"{ours / raw:.1f}x" if raw else "-"

    rows = [
        (
            "import, events/s",
            f"{_rate(events, r['import_s']):,.0f} ({r['import_s']:.1f} s, cpu "
            f"{r['import_cpu_s']:.1f} s; then waiting for the projection "
            f"{r['import_projection_wait_s']:.1f} s)",
            f"{_rate(r['raw_rows'], r['raw_import_s']):,.0f} ({r['raw_import_s']:.1f} s)",
            ratio(r["import_s"], r["raw_import_s"]),
        ),
        (
            "rebuild, events/s",
            f"{_rate(events, r['rebuild_s']):,.0f} ({r['rebuild_s']:.1f} s, cpu "
            f"{r['rebuild_cpu_s']:.1f} s)",
            f"{_rate(events, r['raw_scan_s']):,.0f} ({r['raw_scan_s']:.2f} s)",
            ratio(r["rebuild_s"], r["raw_scan_s"]),
        ),
        (
            "one entity p50 / p99, ms",
            f"{r['one_p50_ms']:.2f} / {r['one_p99_ms']:.2f}",
            f"{r['raw_one_p50_ms']:.3f} / {r['raw_one_p99_ms']:.3f}",
            ratio(r["one_p50_ms"], r["raw_one_p50_ms"]),
        ),
        (
            f"all {r['entities']:,} entities' status, s",
            f"{r['all_statuses_best_s']:.3f}",
            f"{r['raw_all_best_s']:.3f}",
            ratio(r["all_statuses_best_s"], r["raw_all_best_s"]),
        ),
        (
            "  same, full JSON-ready views, s",
            f"{r['all_views_best_s']:.2f}"
            + (f" (fold: {r['fold_all_s']:.2f})" if "fold_all_s" in r else ""),
            "",
            "",
        ),
        (
            "status --format json, CLI call, s (peak MiB)",
            f"{r['cli_json_s']:.2f} ({r['cli_json_peak_mib']:.0f} MiB)",
            "",
            "",
        ),
        *(
            [
                (
                    "JSON Lines, lines/s: export / import (CLI calls)",
                    f"{_rate(r['jsonl_lines'], r['jsonl_export_s']):,.0f} / "
                    f"{_rate(r['jsonl_lines'], r['jsonl_import_s']):,.0f} "
                    f"({r['jsonl_import_s']:.1f} s)",
                    f"import: {_rate(r['jsonl_lines'], r['raw_jsonl_import_s']):,.0f} "
                    f"({r['raw_jsonl_import_s']:.1f} s)",
                    ratio(r["jsonl_import_s"], r["raw_jsonl_import_s"]),
                )
            ]
            if "raw_jsonl_import_s" in r
            else []
        ),
        (
            "store, bytes per event (raw: per row)",
            f"{r['store_bytes_per_event']:,.0f}",
            f"{r['raw_bytes_per_row']:,.0f}",
            ratio(r["store_bytes_per_event"], r["raw_bytes_per_row"]),
        ),
        (
            "peak memory MiB: import (+ its projecting process) / rebuild / all",
            f"{r['import_peak_mib']:.0f} (+ {r['import_follower_peak_mib']:.0f}) / "
            f"{r['rebuild_peak_mib']:.0f} / {r['all_views_peak_mib']:.0f}",
            f"{r['raw_import_peak_mib']:.0f} / {r['raw_scan_peak_mib']:.0f} / "
            f"{r['raw_all_peak_mib']:.0f}",
            "",
        ),
    ]
    return rows


def report(results: Sequence[dict[str, Any]]) -> str:
    lines = []
    for result in results:
        lines.append(
            f"### {result['events']:,} events ({result['entities']:,} entities, "
            f"{result['log_entries']:,} log entries with labels, store "
            f"{result['store_mib']:.0f} MiB)"
        )
        lines.append("")
        lines.append("| metric | ours | raw sqlite3 | ratio |")
        lines.append("|---|---|---|---|")
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows_of(result)]
        lines.append("")
    if len(results) > 1:
        lines.append("### Growth from the smallest size (per-event cost; 1.0 = linear)")
        lines.append("")
        first = results[0]
        lines.append(
            "| size | import s/event | rebuild s/event | all statuses s/entity | "
            "one entity p50 | import peak MiB |"
        )
        lines.append("|---|---|---|---|---|---|")
        for result in results:
            grow = [
                (result["import_s"] / result["events"]) / (first["import_s"] / first["events"]),
                (result["rebuild_s"] / result["events"]) / (first["rebuild_s"] / first["events"]),
                (result["all_statuses_best_s"] / result["entities"])
                / (first["all_statuses_best_s"] / first["entities"]),
                result["one_p50_ms"] / first["one_p50_ms"],
                result["import_peak_mib"] / first["import_peak_mib"],
            ]
            lines.append(f"| {result['events']:,} | " + " | ".join(f"{g:.2f}" for g in grow) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="events, comma-separated")
    parser.add_argument("--seed", type=int, default=2013)
    parser.add_argument("--batch", type=int, default=BATCH, help="entities per saved batch")
    parser.add_argument("--out", default="bench/results/latest", help="path without suffix")
    parser.add_argument("--profile", choices=("import", "rebuild"), help="profile one phase")
    parser.add_argument("--single", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.profile:
        with tempfile.TemporaryDirectory() as work:
            profile_phase(sizes[0], args.seed, args.batch, Path(work), args.profile)
        return 0
    if args.single:
        with tempfile.TemporaryDirectory() as work:
            print(json.dumps(run_size(args.single, args.seed, args.batch, Path(work))))
        return 0
    results = []
    for size in sizes:
        command = [sys.executable, "-m", "bench.run", "--single", str(size)]
        command += ["--seed", str(args.seed), "--batch", str(args.batch)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(report(results[-1:]), flush=True)
    text = report(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    out.with_suffix(".md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
