"""Benchmarks: this project's batch grading and student check against nbgrader, pytest and an import.

    .venv/bin/python benchmarks/run.py [--n 100] [--workers 2] [--large-n 1000] [--no-cluster]
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

Prints a table of figures, ratios and targets, and writes it as JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
CORPUS = ROOT / "tests" / "submissions" / "induction_heads"
PACK_NAME = "induction_heads"  # the main class, and the baselines' exercise; other packs: "packs" phase
PYTHON = sys.executable

MIX = {"correct": 0.5, "wrong": 0.35, "broken": 0.15}  # shares of the class
# Runs into the grader's 10 s time limit (and would hang nbgrader and pytest): that would measure the
# time limit, not grading.
LEFT_OUT = {"first_infinite_loop.py"}
CHECK_VARIANT = CORPUS / "correct" / "loops.py"  # completed into a whole file by `variant`
ASSIGNMENT = "bench"
REPEATS = 3  # pairs of runs (a few submissions, the whole class) behind each per-submission figure

TARGETS = {
    "per_submission_s": 0.1,  # at most, between results once grading runs, for each shipped pack
    "cluster_vs_local": 1.3,  # at most: per-submission cost through the scheduler / the local pool's
    "throughput_vs_nbgrader": 30.0,  # at least
    "check_vs_import": 1.5,  # at most
    "peak_pss_gib": 3.0,  # under
}


@dataclass
class Run:
    seconds: float
    returncode: int
    output: str
    peak_pss: int = 0  # bytes, summed over the process tree; 0 when not sampled
    peak_rss: int = 0  # the same with RSS, which counts pages shared after fork once per process


def run(command: list[str], *, env: dict, cwd: Path = ROOT, sample_memory: bool = False) -> Run:
    """Runs a command to the end; with `sample_memory`, samples its process tree every 50 ms."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peaks = [0, 0]
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(process.pid)
        while not done.wait(0.05):
            pss = rss = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for member in tree:
                try:
                    memory = member.memory_full_info()
                except psutil.Error:  # ended meanwhile
                    continue
                pss, rss = pss + memory.pss, rss + memory.rss
            peaks[0], peaks[1] = max(peaks[0], pss), max(peaks[1], rss)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_memory:
        sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    if sample_memory:
        sampler.join()
    return Run(seconds, process.returncode, output, peaks[0], peaks[1])


def busy_cpu() -> float:
    """Seconds of CPU time the whole machine has spent busy since boot."""
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + times.irq + times.softirq


def own_cpu() -> float:
    """Seconds of CPU time this process and its finished descendants have used."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def must(result: Run, what: str) -> Run:
    if result.returncode != 0:
        raise SystemExit(f"{what} failed (status {result.returncode}):\n{result.output[-3000:]}")
    return result


# --- the class -----------------------------------------------------------------------------------


def source_of(path: Path, pack_name: str = PACK_NAME) -> str:
    """A corpus file as a student hands it in: a variant completed with the reference's other
    definitions, a broken file as it is."""
    sys.path.insert(0, str(ROOT / "tests"))
    from corpus import variant

    from autograder.engine import pack

    return (
        variant(pack.get(pack_name), path) if path.parent.name in ("correct", "wrong") else path.read_text()
    )


def make_class(n: int, seed: int, folder: Path, pack_name: str = PACK_NAME) -> list[dict]:
    """N submissions drawn deterministically from the pack's corpus (.py files), in MIX shares, as
    student-NNNN.py."""
    rng = random.Random(seed)
    corpus = CORPUS.parent / pack_name
    drawn: list[tuple[str, Path]] = []
    for index, (category, share) in enumerate(MIX.items()):
        count = round(n * share) if index < len(MIX) - 1 else n - len(drawn)
        files = sorted(p for p in (corpus / category).glob("*.py") if p.name not in LEFT_OUT)
        files = files or sorted((corpus / "correct").glob("*.py"))  # a pack without broken files
        rng.shuffle(files)
        drawn += [(category, files[i % len(files)]) for i in range(count)]
    rng.shuffle(drawn)
    folder.mkdir(parents=True)
    members = []
    sources: dict[Path, str] = {}
    for number, (category, source) in enumerate(drawn, 1):
        path = folder / f"student-{number:04d}.py"
        if source not in sources:
            sources[source] = source_of(source, pack_name)
        path.write_text(sources[source])
        members.append({"student": path.stem, "path": path, "category": category, "from": source.name})
    return members


def subset(members: list[dict], k: int) -> list[dict]:
    """K members spread evenly over the (shuffled) class."""
    k = min(k, len(members))
    return [members[i * len(members) // k] for i in range(k)]


def mix_of(members: list[dict]) -> dict[str, int]:
    return {category: sum(m["category"] == category for m in members) for category in MIX}


# --- 1. ours -------------------------------------------------------------------------------------


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


# --- 2. the cluster ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(workers: int, logs: Path, env: dict) -> tuple[str, list[subprocess.Popen]]:
    """A Dask scheduler and `workers` workers (one process, one thread each) on localhost, the stock
    commands from this venv, each in a session of its own; returns once every worker has joined."""
    from distributed import Client

    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    commands = [[PYTHON, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)]]
    commands += [
        [PYTHON, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1"]
        + ["--host", "127.0.0.1"]
        for _ in range(workers)
    ]
    processes = []
    for index, command in enumerate(commands):
        log = (logs / f"{'scheduler' if index == 0 else f'worker-{index}'}.log").open("w")
        processes.append(
            subprocess.Popen(
                [*command, "--no-dashboard"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=300)
    except BaseException:
        stop_cluster(processes)
        raise
    return address, processes


def stop_cluster(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):  # the workers (and their templates), then the scheduler
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def steady(results: Path) -> float:
    """Seconds between results once grading runs: from the first result file written to the last,
    over the results between (no start, no shutdown; it does not move with the start's noise)."""
    times = sorted(p.stat().st_mtime for p in results.glob("student-*.json"))
    return (times[-1] - times[0]) / (len(times) - 1)


def bench_cluster(members: list[dict], large: list[dict], workers: int, work: Path, env: dict) -> dict:
    """The local pool and the cluster, alternately, on W, N and LARGE submissions."""
    address, processes = start_cluster(workers, work / "cluster-logs", env)
    try:

        def grade(paths: list[Path], results: Path, scheduler: str | None) -> Run:
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
            command += ["--no-progress", "--force"]
            command += ["--scheduler", scheduler] if scheduler else ["--workers", str(workers)]
            return must(run(command, env=env), "grading on the cluster" if scheduler else "grading")

        sizes = {"few": [m["path"] for m in members[:workers]], "n": [m["path"] for m in members]}
        if large:
            sizes["large"] = [m["path"] for m in large]
        walls: dict[str, dict[str, float]] = {"local": {}, "cluster": {}}
        for size, paths in sizes.items():
            for mode, scheduler in (("local", None), ("cluster", address)):
                print(f"  {mode}, {len(paths)} submissions ...", flush=True)
                walls[mode][size] = grade(paths, work / f"{mode}-{size}", scheduler).seconds
    finally:
        stop_cluster(processes)
    report: dict = {"workers": workers, "n": len(members), "large_n": len(large)}
    for mode, wall in walls.items():
        per = (wall["n"] - wall["few"]) / (len(members) - workers)
        figures = {
            "wall_few_s": wall["few"],
            "wall_s": wall["n"],
            "start_s": wall["few"] - workers * per,
            "per_submission_s": per,
            "steady_per_submission_s": steady(work / f"{mode}-n"),
        }
        if large:
            figures["wall_large_s"] = wall["large"]
            figures["per_submission_large_s"] = (wall["large"] - wall["few"]) / (len(large) - workers)
            figures["steady_per_submission_large_s"] = steady(work / f"{mode}-large")
        report[mode] = figures
    report["ratio"] = report["cluster"]["per_submission_s"] / report["local"]["per_submission_s"]
    if large:
        report["ratio_large"] = (
            report["cluster"]["per_submission_large_s"] / report["local"]["per_submission_large_s"]
        )
    same = 0
    for member in members:
        local, cluster = (
            json.loads((work / f"{mode}-n" / f"{member['student']}.json").read_text())
            for mode in ("local", "cluster")
        )
        same += [local["score"], local["extra_data"]["status"]] == [
            cluster["score"],
            cluster["extra_data"]["status"],
        ]
    report["same_scores_and_statuses"] = same
    return report


# --- 3. nbgrader ---------------------------------------------------------------------------------

NBGRADER_CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "benchmark"
c.CourseDirectory.root = {root!r}
c.ExecutePreprocessor.timeout = 300
"""

SETUP_CELL = """\
# Provided: the inputs (the grader's models and caches) and the expected values.
import sys

sys.path.insert(0, {benchmarks!r})
import naive_checks as _checks

_inputs = _checks.build_inputs()
_expected = _checks.load_expected({expected!r})
"""

TEST_CELL = '_checks.check_function(globals(), "{function}", _inputs, _expected)\n'


def student_cell(source: str) -> str:
    """The submission as the answer cell: its demo code (under `if MAIN:`) off, as under our grader."""
    return source.replace('__name__ == "__main__"', "False")


def nbgrader_source(expected: Path) -> nbformat.NotebookNode:
    """The assignment: a provided set-up cell, one answer cell, one test cell per function."""
    from autograder.engine import pack as packs

    pack = packs.get("induction_heads")

    def cell(source: str, grade_id: str, **nbgrader) -> nbformat.NotebookNode:
        metadata = {"grade_id": grade_id, "schema_version": 3, "locked": True, "task": False}
        metadata |= {"grade": False, "solution": False} | nbgrader
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": metadata})

    solution = pack.solution.read_text()
    body = "".join(line for line in solution.splitlines(keepends=True) if "### " not in line)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        cell(SETUP_CELL.format(benchmarks=str(BENCHMARKS), expected=str(expected)), "setup"),
        cell(
            "### BEGIN SOLUTION\n" + student_cell(body) + "### END SOLUTION\n",
            "answer",
            solution=True,
            locked=False,
        ),
    ]
    for function in pack.names:
        source = TEST_CELL.format(function=function)
        notebook.cells.append(cell(source, f"test_{function}", grade=True, points=1))
    return notebook


def bench_nbgrader(members: list[dict], n: int, work: Path, env: dict, expected: Path) -> dict:
    course = work / "nbgrader"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=str(course)))
    nbformat.write(nbgrader_source(expected), course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    nbgrader = [PYTHON, "-m", "nbgrader"]
    must(run([*nbgrader, "generate_assignment", ASSIGNMENT, "--force"], env=env, cwd=course), "nbgrader")
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    # "probe" is the first member again, graded alone: the fixed cost is wall_1 - per-notebook.
    for student, member in [("probe", members[0])] + [(m["student"], m) for m in members]:
        notebook = nbformat.from_dict(json.loads(json.dumps(release)))  # a deep copy
        answer = next(c for c in notebook.cells if c.metadata["nbgrader"]["grade_id"] == "answer")
        answer.source = student_cell(member["path"].read_text())
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")

    def autograde(students: str) -> Run:
        command = [*nbgrader, "autograde", ASSIGNMENT, f"--student={students}"]
        return must(run(command, env=env, cwd=course), "nbgrader autograde")

    one = autograde("probe")
    k_run = autograde("student-*")
    k = len(members)
    per_notebook = (k_run.seconds - one.seconds) / (k - 1)
    fixed = one.seconds - per_notebook
    scores = _nbgrader_scores(course, [m["student"] for m in members])
    estimate = fixed + n * per_notebook
    return {
        "k": k,
        "mix": mix_of(members),
        "wall_1_s": one.seconds,
        "wall_k_s": k_run.seconds,
        "fixed_s": fixed,
        "per_notebook_s": per_notebook,
        "estimated_wall_n_s": estimate,
        "throughput_per_s": n / estimate,
        "full_marks": sum(s == m for s, m in scores.values()),
        "full_marks_by_student": {student: s == m for student, (s, m) in scores.items()},
        "scores": scores,
    }


def _nbgrader_scores(course: Path, students: list[str]) -> dict[str, list[float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {
            student: [submission.score, submission.max_score]
            for student in students
            for submission in [gradebook.find_submission(ASSIGNMENT, student)]
        }


# --- 4. naive pytest -----------------------------------------------------------------------------


def bench_pytest(members: list[dict], parallel: int, env: dict, expected: Path) -> dict:
    """One fresh pytest process per submission, `parallel` at a time."""
    command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]  # one process
    command.append(str(BENCHMARKS / "naive_test.py"))
    pending = list(members)
    running: list[tuple[subprocess.Popen, str, float]] = []
    seconds: list[float] = []
    full_marks: dict[str, bool] = {}
    started = time.perf_counter()
    while pending or running:
        while pending and len(running) < parallel:
            member = pending.pop(0)
            member_env = dict(env, SUBMISSION=str(member["path"]), EXPECTED=str(expected))
            process = subprocess.Popen(
                command, cwd=ROOT, env=member_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            running.append((process, member["student"], time.perf_counter()))
        time.sleep(0.02)
        for process, student, began in list(running):
            if process.poll() is not None:
                running.remove((process, student, began))
                seconds.append(time.perf_counter() - began)
                if process.returncode not in (0, 1):  # 1: some test failed, as expected of most
                    raise SystemExit(f"pytest ended with status {process.returncode}")
                full_marks[student] = process.returncode == 0
    wall = time.perf_counter() - started
    return {
        "k": len(members),
        "mix": mix_of(members),
        "parallel": parallel,
        "wall_k_s": wall,
        "median_process_s": statistics.median(seconds),
        "throughput_per_s": len(members) / wall,
        "full_marks": sum(full_marks.values()),
        "full_marks_by_student": full_marks,
    }


# --- 5. the student's check, cold ----------------------------------------------------------------


def bench_check(repeats: int, work: Path, env: dict) -> dict:
    check_file = work / CHECK_VARIANT.name
    check_file.write_text(source_of(CHECK_VARIANT))
    check = [PYTHON, "-m", "autograder", "check", str(check_file), "--only", "prev_attn_detector"]
    bare = [PYTHON, "-c", "import transformer_lens"]
    must(run(check, env=env), "check")  # warms the page cache for both
    checks, imports = [], []
    for _ in range(repeats):  # interleaved, so that both see the same load
        checks.append(must(run(check, env=env), "check").seconds)
        imports.append(must(run(bare, env=env), "import").seconds)
    return {
        "repeats": repeats,
        "check_s": statistics.median(checks),
        "import_s": statistics.median(imports),
        "ratio": statistics.median(checks) / statistics.median(imports),
        "all_check_s": checks,
        "all_import_s": imports,
    }


# --- the report ----------------------------------------------------------------------------------


def targets(report: dict) -> list[dict]:
    ours, nbgrader, check = report["ours"], report.get("nbgrader"), report["check"]
    rows = [
        ("per-submission cost, steady state (s)", ours["steady_per_submission_s"], "<=", "per_submission_s"),
        ("student check cold / bare import", check["ratio"], "<=", "check_vs_import"),
        ("peak memory, PSS of the tree (GiB)", ours["peak_pss_bytes"] / 2**30, "<", "peak_pss_gib"),
    ]
    for name, other in report.get("packs", {}).items():
        what = f"per-submission cost, steady state, pack {name} (s)"
        rows.insert(1, (what, other["steady_per_submission_s"], "<=", "per_submission_s"))
    if nbgrader:
        ratio = ours["throughput_per_s"] / nbgrader["throughput_per_s"]
        rows.insert(1, ("throughput vs nbgrader autograde (x)", ratio, ">=", "throughput_vs_nbgrader"))
    if cluster := report.get("cluster"):
        name = "per-submission cost, cluster / local pool (x)"
        rows.insert(1, (name, cluster["ratio"], "<=", "cluster_vs_local"))
    met = {"<=": float.__le__, "<": float.__lt__, ">=": float.__ge__}
    return [
        {"target": name, "measured": value, "goal": f"{op} {goal:g}", "met": met[op](value, goal)}
        for name, value, op, key in rows
        for goal in [TARGETS[key]]
    ]


def agreement(ours: dict, baseline: dict) -> str:
    """Full marks given by the baseline (and by ours) on its K, and on how many the verdicts agree."""
    theirs = baseline["full_marks_by_student"]
    mine = {student: ours["scores"][student][0] == ours["scores"][student][1] for student in theirs}
    same = sum(mine[student] == full for student, full in theirs.items())
    return f"{sum(theirs.values())} ({sum(mine.values())}), {same}/{len(theirs)}"


def _spread(measured: dict, key: str = "per_submission_estimates_s") -> str:
    return f"runs: {', '.join(f'{e:.3f}' for e in measured[key])}"


def table(report: dict) -> str:
    ours, n = report["ours"], report["config"]["n"]
    workers = report["config"]["workers"]
    first = ours["first_run_with_reference_s"]
    rows = [
        ("ours: first run ever (reference computed, cached)", f"{first:.1f} s", ""),
        (f"ours: one-time start and shutdown ({workers} workers)", f"{ours['start_s']:.2f} s", ""),
        (f"ours: wall time, {n} submissions", f"{ours['wall_s']:.1f} s", ""),
        (f"ours: per-submission cost beyond the start (median of {REPEATS})",
         f"{ours['per_submission_s']:.3f} s", _spread(ours)),
        (f"ours: per-submission cost, steady state between results (median of {REPEATS})",
         f"{ours['steady_per_submission_s']:.3f} s", _spread(ours, "steady_estimates_s")),
        ("ours: throughput", f"{ours['throughput_per_s']:.2f} /s", "1"),
        ("ours: peak memory, PSS summed over the tree", f"{ours['peak_pss_bytes'] / 2**30:.2f} GiB", ""),
        ("ours: (the same with RSS, shared pages counted per process)",
         f"{ours['peak_rss_bytes'] / 2**30:.2f} GiB", ""),
    ]  # fmt: skip
    for name, other in report.get("packs", {}).items():
        rows += [
            (f"pack {name}: {n} submissions, one-time start, wall time",
             f"{other['start_s']:.1f} s, {other['wall_s']:.1f} s", ""),
            (f"pack {name}: per-submission cost beyond the start (median of {REPEATS})",
             f"{other['per_submission_s']:.3f} s", _spread(other)),
            (f"pack {name}: per-submission cost, steady state (median of {REPEATS})",
             f"{other['steady_per_submission_s']:.3f} s", _spread(other, "steady_estimates_s")),
        ]  # fmt: skip
    mine = ours["throughput_per_s"]
    if cluster := report.get("cluster"):
        local, remote, big = cluster["local"], cluster["cluster"], cluster["large_n"]
        rows += [
            (f"cluster ({workers} Dask workers) vs local pool, run alternately", "", ""),
            ("  local pool: one-time start, per submission",
             f"{local['start_s']:.1f} s, {local['per_submission_s']:.3f} s", ""),
            ("  cluster: one-time start, per submission",
             f"{remote['start_s']:.1f} s, {remote['per_submission_s']:.3f} s", f"{cluster['ratio']:.2f}x"),
            (f"  wall time, {n} submissions: local, cluster",
             f"{local['wall_s']:.1f} s, {remote['wall_s']:.1f} s", ""),
            ("  steady state, between results: local, cluster",
             f"{local['steady_per_submission_s']:.3f} s, {remote['steady_per_submission_s']:.3f} s",
             f"{remote['steady_per_submission_s'] / local['steady_per_submission_s']:.2f}x"),
            ("  same scores and statuses", f"{cluster['same_scores_and_statuses']}/{n}", ""),
        ]  # fmt: skip
        if big:
            rows += [
                (f"  wall time, {big} submissions: local, cluster",
                 f"{local['wall_large_s']:.1f} s, {remote['wall_large_s']:.1f} s", ""),
                (f"  per submission over {big}: local, cluster",
                 f"{local['per_submission_large_s']:.3f} s, {remote['per_submission_large_s']:.3f} s",
                 f"{cluster['ratio_large']:.2f}x"),
                (f"  steady state over {big}: local, cluster",
                 f"{local['steady_per_submission_large_s']:.3f} s, "
                 f"{remote['steady_per_submission_large_s']:.3f} s",
                 f"{remote['steady_per_submission_large_s'] / local['steady_per_submission_large_s']:.2f}x"),
            ]  # fmt: skip
    if nb := report.get("nbgrader"):
        rows += [
            (f"nbgrader autograde: {nb['k']} notebooks", f"{nb['wall_k_s']:.1f} s", ""),
            ("nbgrader: fixed cost", f"{nb['fixed_s']:.1f} s", ""),
            ("nbgrader: per notebook", f"{nb['per_notebook_s']:.2f} s", ""),
            (f"nbgrader: throughput (est. for {n})", f"{nb['throughput_per_s']:.3f} /s",
             f"{mine / nb['throughput_per_s']:.1f}x"),
            ("nbgrader: full marks (ours), same verdict", agreement(ours, nb), ""),
        ]  # fmt: skip
    if py := report.get("pytest"):
        rows += [
            (f"pytest per submission: {py['k']}, {py['parallel']} at a time", f"{py['wall_k_s']:.1f} s", ""),
            ("pytest: median process", f"{py['median_process_s']:.2f} s", ""),
            ("pytest: throughput", f"{py['throughput_per_s']:.3f} /s",
             f"{mine / py['throughput_per_s']:.1f}x"),
            ("pytest: full marks (ours), same verdict", agreement(ours, py), ""),
        ]  # fmt: skip
    check = report["check"]
    rows += [
        ("student check --only prev_attn_detector, cold (median)", f"{check['check_s']:.2f} s", ""),
        ('python -c "import transformer_lens" (median)', f"{check['import_s']:.2f} s", ""),
        ("check / import", f"{check['ratio']:.2f}", ""),
    ]
    rows += [
        (f"TARGET {t['target']}", f"{t['measured']:.3g} ({t['goal']})", "PASS" if t["met"] else "FAIL")
        for t in report["targets"]
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measurement':<{width}}  {'figure':>22}  ours vs it", "-" * (width + 38)]
    lines += [f"{name:<{width}}  {figure:>22}  {ratio}" for name, figure, ratio in rows]
    if n < 100:
        lines.append(f"(the targets are set for a class of 100: in one of {n}, the start weighs more)")
    return "\n".join(lines)


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
