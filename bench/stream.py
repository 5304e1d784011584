"""Benchmark: all-entity answers as CLI calls, this code beside a baseline revision.

Run from the project root, on stores made beforehand (an OFAC store: ``sanctions import
--store ofac.sqlite ../shared/data/ofac-sdn/sdn-*.csv.gz``; a synthetic one: ``python -m
bench.run`` machinery, ``bench.generate`` and ``bench.load``):

    python -m bench.stream --store ofac.sqlite                       # status --format json
    python -m bench.stream --store big.sqlite --as-of 2010-06-30 --answers json,csv
    python -m bench.stream --store ofac.sqlite --baseline main --rounds 3

The baseline is the revision's tree (``git archive``) in a temporary folder, run with the
same interpreter. Each answer runs as ``python -c "import cli; cli.main([...])"`` with its
output to a file, the baseline and this code alternately, ``--rounds`` times each; the
figures are each call's CPU seconds (user + system, from ``os.wait4``: on a shared machine
wall time is mostly waiting), wall seconds and peak resident set, and whether both wrote
the same bytes. Both read the same store; each call is a reader, so neither changes it
(the first call of either may bring the timeline up to date: run one warm-up round).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ANSWERS = {
    "json": ["status", "--format", "json"],
    "csv": ["status", "--format", "csv"],
    "table": ["status"],
    "diff": ["diff", "--format", "json"],
    "export": ["export"],
}


def baseline_tree(revision: str, into: Path) -> Path:
    """The revision's files in ``into`` (``git archive``, unpacked by ``tar``)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], check=True, capture_output=True
    ).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def cli_call(tree: Path, argv: Sequence[str], output: Path) -> dict[str, float]:
    """One CLI call in ``tree``: CPU and wall seconds, peak MiB; stdout to ``output``."""
    code = (
        f"import sys; sys.path.insert(0, {str(tree)!r}); import cli; "
        f"sys.exit(cli.main({list(argv)!r}))"
    )
    with output.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", code], cwd=tree, stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        msg = f"{' '.join(argv)} in {tree} exited with {process.returncode}"
        raise RuntimeError(msg)
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
        "peak_mib": usage.ru_maxrss / 1024,
    }


def digest(path: Path) -> tuple[int, str]:
    """Size and hash of a file, read in blocks: this process stays small, since a child's
    peak resident set (``os.wait4``) counts the pages it had from this one before ``exec``."""
    found = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(1 << 20):
            found.update(block)
    return path.stat().st_size, found.hexdigest()


def compare(
    trees: dict[str, Path], argvs: Mapping[str, Sequence[str]], rounds: int, work: Path
) -> tuple[dict[str, dict[str, float]], bool]:
    """Each tree's calls alternately; the median figures and whether the bytes agree."""
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    outputs: dict[str, tuple[int, str]] = {}
    for _ in range(rounds):
        for name, tree in trees.items():
            output = work / f"{name}.out"
            figures[name].append(cli_call(tree, argvs[name], output))
            outputs[name] = digest(output)
    result = {}
    for name, runs in figures.items():
        result[name] = {
            key: statistics.median(run[key] for run in runs) for key in ("cpu_s", "wall_s")
        } | {"peak_mib": max(run["peak_mib"] for run in runs), "bytes": outputs[name][0]}
    return result, len(set(outputs.values())) == 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream")
    parser.add_argument("--store", required=True, help="the SQLite store to read")
    parser.add_argument("--as-of", help="passed to status (default: today)")
    parser.add_argument("--answers", default="json", help=f"comma list of {','.join(ANSWERS)}")
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--baseline-store",
        help="a copy of the store for the baseline (default: the same store); needed when "
        "the two keep the timeline in different versions (each would remake it)",
    )
    args = parser.parse_args(argv)
    args.store = str(Path(args.store).resolve())
    baseline_store = str(Path(args.baseline_store or args.store).resolve())
    stores = {"baseline": baseline_store, "this": args.store}
    here = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as folder:
        work = Path(folder)
        base = baseline_tree(args.baseline, work / "baseline")
        trees = {"baseline": base, "this": here}
        print(f"baseline {args.baseline}; store {args.store}; {args.rounds} rounds; CPU s median")
        for answer in args.answers.split(","):
            call = list(ANSWERS[answer])
            if args.as_of and answer in ("json", "csv", "table"):
                call += ["--as-of", args.as_of]
            if answer == "diff":
                call += ["--from", "2022", "--to", "2024"]
            calls = {name: [*call, "--store", stores[name]] for name in trees}
            for name, tree in trees.items():  # the timeline brought up to date
                cli_call(tree, calls[name], work / "warm.out")
            found, same = compare(trees, calls, args.rounds, work)
            old, new = found["baseline"], found["this"]
            label = " ".join(call)
            print(
                f"{label}: baseline {old['cpu_s']:.2f} s CPU ({old['wall_s']:.2f} wall, "
                f"{old['peak_mib']:.0f} MiB), this {new['cpu_s']:.2f} s CPU "
                f"({new['wall_s']:.2f} wall, {new['peak_mib']:.0f} MiB), "
                f"ratio {new['cpu_s'] / old['cpu_s']:.2f}, "
                f"{new['bytes']:,.0f} bytes, {'same' if same else 'DIFFERENT'}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
