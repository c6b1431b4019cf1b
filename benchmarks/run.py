"""Benchmarks: this project's batch grading and student check against nbgrader, pytest and an import.

    .venv/bin/python benchmarks/run.py [--n 100] [--workers 2] [--large-n 1000] [--no-cluster]
                                       [--no-packs] [--no-real] [--real-repeats 3]
                                       [--check-repeats 3] [--out benchmarks/results.json]

On one generated class of N submissions (a deterministic mix of correct, wrong and broken files
from tests/submissions/induction_heads: variants are completed into whole files with
tests/corpus.py's `variant`), in one run, so that every side is measured under the same load:

1. ours: `python -m autograder grade CLASS --workers W` in a subprocess, with a private reference
   cache warmed first (the first run, which computes the reference, is reported apart). The
   one-time cost (start, and shutdown at the end) and the per-submission cost come from two runs,
   of W and of N submissions: per-submission = (wall_N - wall_W) / (N - W), one-time = wall_W -
   W * per-submission. Throughput is N / wall_N. Peak memory is the largest sum of PSS
   (proportional set size: a page shared after fork is split among its sharers, so counted once
   in all) over the whole process tree (judge, templates, workers), sampled in a third run, as
   sampling PSS costs CPU. A sample takes about 0.1 s with 2 workers, so a spike shorter than
   that can be missed.
1b. the real-shaped class (real.py): the notebooks of tests/submissions/real/ and others made like
   a student's run Colab copy (setup cells, demo code and figures at the top level, a failed
   download, megabytes of outputs) graded beside as many clean files, interleaved, in the same runs
   (--real-repeats): the extra cost of a real submission, and each phase's share (start, top level,
   calls, judge, other).
2. the cluster: the same command with `--scheduler`, on a Dask scheduler and W workers (one
   process and one thread each) started on localhost for the phase, against the local pool of W
   workers, the two run alternately (so that both see the same load): runs of W, N and LARGE
   submissions each (a second class of LARGE, drawn the same way). Per-submission cost as in 1,
   from the W and N runs, and again from the W and LARGE runs: how the cost grows with the class.
   Each run registers its plugin, which starts the workers' templates: the one-time cost. The
   steady state (the time between the first result file written and the last, per result) is
   shown beside it: it leaves the start out, and so its noise.
3. nbgrader: a real course in a temporary folder (`nbgrader generate_assignment`, then
   `nbgrader autograde`), whose test cells check the kernel's functions against expected values
   precomputed from the reference (naive_checks.py says what they cover), on K of the same
   submissions as notebooks. Its fixed cost and per-notebook cost come from runs of 1 and K
   notebooks; its throughput is N over its time for N, extrapolated from them.
4. pytest: one fresh `python -m pytest benchmarks/naive_test.py` per submission, W at a time, on K
   of the same submissions; throughput K / wall_K.
5. the student's check, cold: `python -m autograder check FILE --only prev_attn_detector` in a fresh
   process (reference cache warm, files in the page cache), against
   `python -c "import transformer_lens"`; medians, interleaved.

For each baseline the table also shows how many of its K it gave full marks (and how many ours
did) and on how many the two agree: a check of outputs only misses, for instance, a
run_and_cache_model_repeated_tokens that draws its own tokens instead of calling
generate_repeated_tokens. The load is recorded per phase, with the share of CPU time that other
processes used meanwhile (the load average counts the benchmark's own processes too).

nbgrader and pytest grade K = 10 of the submissions each (--nbgrader-n, --pytest-n; 0 skips one).

Prints a table of figures, ratios and targets, and writes it as JSON. The phases live in their own
modules: common.py (commands, the class), ours.py, real.py (and phases.py, which it runs),
cluster.py, baselines.py (nbgrader, pytest, check), report.py (the table); this file runs them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import psutil
from baselines import bench_check, bench_nbgrader, bench_pytest
from cluster import bench_cluster
from common import (
    BENCHMARKS,
    LEFT_OUT,
    PYTHON,
    busy_cpu,
    make_class,
    mix_of,
    must,
    own_cpu,
    run,
    subset,
)
from ours import bench_ours, bench_packs
from real import bench_real
from report import table, targets


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100, help="submissions in the class (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="our grader's workers (default 2)")
    parser.add_argument(
        "--large-n", type=int, default=1000, help="the cluster phase's large class (default 1000; 0: none)"
    )
    parser.add_argument("--no-cluster", action="store_true", help="skip the cluster phase")
    parser.add_argument("--no-packs", action="store_true", help="skip the other shipped packs' classes")
    parser.add_argument("--no-real", action="store_true", help="skip the real-shaped class")
    parser.add_argument("--real-repeats", type=int, default=3, help="runs of the real-shaped class")
    parser.add_argument(
        "--nbgrader-n", type=int, default=10, help="notebooks nbgrader grades (default 10; 0 skips it)"
    )
    parser.add_argument(
        "--pytest-n", type=int, default=10, help="submissions pytest checks (default 10; 0 skips it)"
    )
    parser.add_argument("--check-repeats", type=int, default=3, help="timings of check and import")
    parser.add_argument("--seed", type=int, default=0, help="which class is drawn")
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "results.json", help="the JSON report")
    args = parser.parse_args()
    if args.n <= args.workers:
        parser.error("--n must be larger than --workers")
    if args.nbgrader_n == 1:
        parser.error("--nbgrader-n must be 0 (skip) or at least 2")
    if args.large_n and args.large_n <= args.n:
        parser.error("--large-n must be 0 (none) or larger than --n")

    with tempfile.TemporaryDirectory(prefix="induction-bench-") as temporary:
        work = Path(temporary)
        # A private cache; the venv's bin first, so that nbgrader's kernel is this Python.
        env = dict(os.environ, INDUCTION_GRADER_CACHE=str(work / "cache"), PYTHONWARNINGS="ignore")
        env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}"
        members = make_class(args.n, args.seed, work / "class")
        report: dict = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "machine": {
                "cores": os.cpu_count(),
                "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                "python": platform.python_version(),
            },
            "config": {
                "n": args.n,
                "workers": args.workers,
                "large_n": 0 if args.no_cluster else args.large_n,
                "seed": args.seed,
                "left_out": sorted(LEFT_OUT),
            },
            "class": {"mix": mix_of(members), "files": {m["student"]: m["from"] for m in members}},
            "load_average": {},  # 1-minute load average before and after each phase
            # The share of the machine's CPU time that processes other than this benchmark's used
            # during each phase: what the load average cannot tell (it counts the benchmark too).
            "other_cpu": {},
        }
        print(f"class of {args.n}: {mix_of(members)}", flush=True)

        def phase(name: str, measure, *arguments) -> None:
            load, busy, own, started = os.getloadavg()[0], busy_cpu(), own_cpu(), time.perf_counter()
            print(f"{name} (load average {load:.2f}) ...", flush=True)
            report[name] = measure(*arguments)
            report["load_average"][name] = [load, os.getloadavg()[0]]
            other = (busy_cpu() - busy) - (own_cpu() - own)
            report["other_cpu"][name] = other / ((time.perf_counter() - started) * (os.cpu_count() or 1))
            args.out.parent.mkdir(parents=True, exist_ok=True)  # what is measured so far, kept
            args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")

        phase("ours", bench_ours, members, args.workers, work, env)
        if not args.no_packs:
            phase("packs", bench_packs, args.n, args.seed, args.workers, work, env)
        if not args.no_real:
            phase("real", bench_real, args.workers, work, env, args.real_repeats)
        if not args.no_cluster:
            large = make_class(args.large_n, args.seed, work / "class-large") if args.large_n else []
            phase("cluster", bench_cluster, members, large, args.workers, work, env)
        expected = work / "expected.pt"
        if args.nbgrader_n or args.pytest_n:
            command = [PYTHON, str(BENCHMARKS / "naive_checks.py"), str(expected)]
            must(run(command, env=env), "expected values for the baselines")
        if args.nbgrader_n:
            phase("nbgrader", bench_nbgrader, subset(members, args.nbgrader_n), args.n, work, env, expected)
        if args.pytest_n:
            phase("pytest", bench_pytest, subset(members, args.pytest_n), args.workers, env, expected)
        phase("check", bench_check, args.check_repeats, work, env)
        report["targets"] = targets(report)

    text = table(report)
    print()
    print(text)
    loads = ", ".join(f"{name} {a:.2f}->{b:.2f}" for name, (a, b) in report["load_average"].items())
    print(f"1-minute load average before->after each phase: {loads}")
    others = ", ".join(f"{name} {share:.0%}" for name, share in report["other_cpu"].items())
    print(f"CPU used by other processes during each phase: {others}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report | {"table": text.splitlines()}, indent=2, default=str) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
