"""Benchmark: published-list imports, from files and from a git history.

Run from the project root (a few minutes):

    python -m bench.lists                       # 300 versions; baseline: the commit before
    python -m bench.lists --baseline REV        # the OFAC copies also imported by REV's code

Phases, each in a fresh process on a fresh SQLite store (so peak memory is per phase):

- git: a 300-version git history of OFAC's ``sdn.csv``, built with ``git fast-import`` from
  the 34 shared monthly copies plus synthetic versions between them (each moves part of
  the way from one real copy to the next, and gives one entry a synthetic program that the
  next version drops again), imported with ``import --git``;
- rerun: the same command again, with nothing new;
- ofac: the 34 monthly copies imported from files (``import FILE ...``), by this code and by
  the baseline revision's code (extracted with ``git archive``), alternately, twice each,
  in the same conditions; the figure is the ratio of the medians.

Times are wall-clock seconds (CPU seconds beside them: other processes on the machine show
as the difference). Peak memory is the child process's peak resident set.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COPIES = sorted((ROOT.parent / "shared" / "data" / "ofac-sdn").glob("sdn-*.csv.gz"))
VERSIONS = 300
SYNTHETIC = "SYNTHETIC-BENCH"


# -- the history ------------------------------------------------------------------------


def _rows(path: Path) -> list[str]:
    text = gzip.decompress(path.read_bytes()).decode("latin-1").rstrip("\x1a")
    return [line for line in text.split("\r\n") if line]


def _file(rows: Sequence[str]) -> bytes:
    return "".join(row + "\r\n" for row in rows).encode("latin-1") + b"\x1a"


def _with_program(row: str) -> str:
    """The row with one more program (the fourth field), written back as CSV."""
    fields = next(csv.reader([row]))
    fields[3] = f"{fields[3]}] [{SYNTHETIC}"
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="").writerow(fields)
    return out.getvalue()


def versions(total: int = VERSIONS) -> list[tuple[date, bytes]]:
    """``total`` versions of ``sdn.csv``, one a day, the real copies among them."""
    real = [(date.fromisoformat(p.name[4:14]), _rows(p)) for p in COPIES]
    between = (total - len(real)) // (len(real) - 1)
    extra = total - len(real) - between * (len(real) - 1)
    found: list[tuple[date, bytes]] = []
    for index, ((day, rows), (next_day, next_rows)) in enumerate(itertools.pairwise(real)):
        found.append((day, _file(rows)))
        count = between + (1 if index < extra else 0)
        count = min(count, (next_day - day).days - 1)
        old = {row.split(",", 1)[0]: row for row in rows}
        new = {row.split(",", 1)[0]: row for row in next_rows}
        keys = sorted(set(old) | set(new), key=int)
        moving = [k for k in keys if old.get(k) != new.get(k)]
        for step in range(1, count + 1):
            moved = set(moving[: len(moving) * step // (count + 1)])
            current = [
                (new if k in moved else old).get(k)
                for k in keys
                if (new if k in moved else old).get(k) is not None
            ]
            pick = (index * 31 + step * 7) % len(current)
            rows_now = [r for r in current if r is not None]
            rows_now[pick] = _with_program(rows_now[pick])
            found.append((day + timedelta(days=step), _file(rows_now)))
    found.append((real[-1][0], _file(real[-1][1])))
    return found


def build_repo(repo: Path, total: int) -> int:
    """A bare repository whose commits are the versions; returns how many."""
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    stream = io.BytesIO()
    found = versions(total)
    for mark, (day, data) in enumerate(found, start=1):
        stamp = int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())
        message = f"sdn.csv of {day.isoformat()}".encode()
        stream.write(b"blob\nmark :%d\ndata %d\n" % (2 * mark, len(data)) + data + b"\n")
        stream.write(b"commit refs/heads/main\nmark :%d\n" % (2 * mark + 1))
        stream.write(b"committer bench <bench@example.org> %d +0000\n" % stamp)
        stream.write(b"data %d\n%s\n" % (len(message), message))
        if mark > 1:
            stream.write(b"from :%d\n" % (2 * mark - 1))
        stream.write(b"M 100644 :%d sdn.csv\n\n" % (2 * mark))
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=stream.getvalue(), check=True
    )
    subprocess.run(["git", "-C", str(repo), "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
    return len(found)


# -- one phase in a child process ---------------------------------------------------------


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(argv: Sequence[str]) -> None:
    """Run ``cli.main(argv)`` (whichever ``cli`` is first on the path) and print figures."""
    from cli import main

    out, err = io.StringIO(), io.StringIO()
    wall, cpu = time.perf_counter(), time.process_time()
    code = main(list(argv), stdout=out, stderr=err, environ={})
    figures = {
        "code": code,
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "peak_mib": _peak_mib(),
        "last_line": (out.getvalue().splitlines() or [""])[-1],
        "errors": err.getvalue()[-500:] if code else "",
    }
    print(json.dumps(figures))


def run_child(argv: Sequence[str], tree: Path = ROOT) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "lists.py"), "--child", *argv],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    if figures["code"] != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {figures['errors']}")
    return figures


def init(store: Path, tree: Path = ROOT) -> None:
    run_child(["init", "--empty", "--store", str(store)], tree)


# -- the run ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=VERSIONS)
    parser.add_argument("--baseline", default="HEAD~1", help="revision of the baseline code")
    parser.add_argument("--rounds", type=int, default=2, help="OFAC file imports, each side")
    parser.add_argument("--child", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child)
        return 0
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as work_dir:
        work = Path(work_dir)
        started = time.perf_counter()
        results["versions"] = build_repo(work / "sdn.git", args.versions)
        results["build_s"] = time.perf_counter() - started
        store = work / "git.sqlite"
        init(store)
        command = ["import", "--git", str(work / "sdn.git"), "--path", "sdn.csv"]
        results["git"] = run_child([*command, "--store", str(store), "--quiet"])
        results["rerun"] = run_child([*command, "--store", str(store), "--quiet"])
        baseline = work / "baseline"
        baseline.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.baseline], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive.stdout, check=True)
        files = [str(p) for p in COPIES]
        ofac: dict[str, list[dict[str, Any]]] = {"after": [], "before": []}
        for round_ in range(args.rounds):
            for side, tree in (("before", baseline), ("after", ROOT)):
                side_store = work / f"{side}-{round_}.sqlite"
                init(side_store, tree)
                ofac[side].append(
                    run_child(["import", *files, "--store", str(side_store), "--quiet"], tree)
                )
        results["ofac"] = ofac
    print(report(results, args.baseline))
    return 0


def report(results: dict[str, Any], baseline: str) -> str:
    git, rerun, ofac = results["git"], results["rerun"], results["ofac"]
    before = statistics.median(r["seconds"] for r in ofac["before"])
    after = statistics.median(r["seconds"] for r in ofac["after"])
    lines = [
        f"history: {results['versions']} versions of sdn.csv, built in {results['build_s']:.1f} s",
        f"git import: {git['seconds']:.1f} s ({git['cpu_seconds']:.1f} s CPU), "
        f"peak {git['peak_mib']:.0f} MiB; {git['last_line']}",
        f"re-run, nothing new: {rerun['seconds']:.2f} s ({rerun['cpu_seconds']:.2f} s CPU), "
        f"peak {rerun['peak_mib']:.0f} MiB; {rerun['last_line']}",
        f"34 OFAC copies from files, {baseline} (before): "
        + ", ".join(f"{r['seconds']:.1f} s ({r['cpu_seconds']:.1f} CPU)" for r in ofac["before"])
        + f"; peak {max(r['peak_mib'] for r in ofac['before']):.0f} MiB",
        "34 OFAC copies from files, this code (after): "
        + ", ".join(f"{r['seconds']:.1f} s ({r['cpu_seconds']:.1f} CPU)" for r in ofac["after"])
        + f"; peak {max(r['peak_mib'] for r in ofac['after']):.0f} MiB",
        f"after / before (medians): {after / before:.2f}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
