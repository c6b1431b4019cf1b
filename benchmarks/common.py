"""What every benchmark phase shares: running a command and sampling its memory, drawing a class
from the corpus, and the targets."""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

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
    "extra_per_real_s": 0.15,  # at most: what a real-shaped submission costs beyond a clean file
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


def steady(results: Path) -> float:
    """Seconds between results once grading runs: from the first result file written to the last,
    over the results between (no start, no shutdown; it does not move with the start's noise)."""
    times = sorted(p.stat().st_mtime for p in results.glob("student-*.json"))
    return (times[-1] - times[0]) / (len(times) - 1)
