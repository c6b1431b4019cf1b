"""Phase 1 (and the other packs', and the real-shaped class): `python -m autograder grade` on a class."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from common import (
    CORPUS,
    PACK_NAME,
    PYTHON,
    REPEATS,
    Run,
    make_class,
    must,
    run,
    steady,
)


def bench_ours(
    members: list[dict], workers: int, work: Path, env: dict, pack_name: str = PACK_NAME, memory: bool = True
) -> dict:
    def grade(paths: list[Path], results: Path, sample_memory: bool = False) -> Run:
        command = [
            PYTHON,
            "-m",
            "autograder",
            "grade",
            "--public",
            *map(str, paths),
            "--results-dir",
            str(results),
        ]
        command += ["--workers", str(workers), "--no-progress", "--force", "--exercise", pack_name]
        return must(run(command, env=env, sample_memory=sample_memory), "grading")

    paths = [m["path"] for m in members]
    n = len(paths)
    work = work / pack_name
    first = grade(paths[:1], work / "results-warm")  # computes and caches the reference outputs
    # The few and the full class, alternately, REPEATS times: the median of the pairs' estimates
    # (this machine's speed drifts by a third from one minute to the next).
    pairs, steadies = [], []
    for _ in range(REPEATS):
        pairs.append((grade(paths[:workers], work / "results-few"), grade(paths, work / "results")))
        steadies.append(steady(work / "results"))
    estimates = sorted((full.seconds - few.seconds) / (n - workers) for few, full in pairs)
    wall_few = statistics.median(few.seconds for few, _ in pairs)
    wall = statistics.median(full.seconds for _, full in pairs)
    memory_run = grade(paths, work / "results-memory", sample_memory=True) if memory else Run(0, 0, "")
    per_submission = statistics.median(estimates)
    start = wall_few - workers * per_submission
    scores = {}
    for member in members:
        document = json.loads((work / "results" / f"{member['student']}.json").read_text())
        scores[member["student"]] = [document["score"], document["max_score"]]
    return {
        "first_run_with_reference_s": first.seconds,
        "wall_few_s": wall_few,
        "wall_s": wall,
        "start_s": start,
        "per_submission_s": per_submission,
        "per_submission_estimates_s": estimates,
        # Between results, once grading runs: the same cost without the start's noise (the imports'
        # seconds vary by more than the whole class's grading differs between runs).
        "steady_per_submission_s": statistics.median(steadies),
        "steady_estimates_s": sorted(steadies),
        "throughput_per_s": n / wall,
        "peak_pss_bytes": memory_run.peak_pss,
        "peak_rss_bytes": memory_run.peak_rss,
        "memory_run_wall_s": memory_run.seconds,
        "full_marks": sum(s == m for s, m in scores.values()),
        "scores": scores,
    }


def bench_packs(n: int, seed: int, workers: int, work: Path, env: dict) -> dict:
    """The same measurement for every other shipped pack, on a class drawn from its own corpus."""
    from autograder.engine import pack as packs

    found = {}
    for name in sorted(packs.packs()):
        if name != PACK_NAME and (CORPUS.parent / name).is_dir():
            members = make_class(n, seed, work / f"class-{name}", name)
            found[name] = bench_ours(members, workers, work, env, name, memory=False)
    return found
