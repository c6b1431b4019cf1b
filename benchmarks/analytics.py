"""What the class analytics and the similarity ranking add to a batch, for a class of 1,000.

    .venv/bin/python benchmarks/analytics.py [--n 1000] [--small 10] [--workers 2]

1. A small real batch: `python -m autograder grade` on SMALL submissions (correct and wrong files
   from tests/submissions/induction_heads, completed with tests/corpus.py's `variant`), and on 2 of
   them, after a run that warms the reference cache. The batch's per-submission cost is
   (wall_SMALL - wall_2) / (SMALL - 2), and the wall time of a batch of N is estimated as
   wall_2 + (N - 2) * per-submission (the analytics of the small runs are inside these walls,
   and cost them next to nothing).
2. N results synthesized from the small batch's: each student a copy of one real result and its
   submission, with a third of each function's answers turned wrong, each input's wrong output
   drawn from 40 (so that a wrong output is shared by a handful, as a common wrong answer is),
   and each function's text varied: names changed, and one of 120 extra lines added (so that a
   passage is shared by a handful: pairs to compare, as in a real class).
3. `analytics.write_after_batch` on them, as a batch's end calls it (class.html, mistakes.csv,
   changes.csv, similarity.csv and similarity.html, with the text evidence): its wall time, the
   median of 3, against the estimated batch wall time; and class.html's size.

Prints the figures; the target is at most 10% of the batch's wall time, and class.html under 2 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from corpus import files, variant  # noqa: E402

from autograder.engine import pack as packs  # noqa: E402
from autograder.output import analytics, similarity  # noqa: E402
from autograder.output.results import Result  # noqa: E402


class Submitted:
    def __init__(self, student: str, data: bytes, format: str = "py"):
        self.student, self.data, self.format = student, data, format


def make_class(folder: Path, size: int) -> None:
    pack = packs.get("induction_heads")
    pool = [p for p in files("induction_heads", "correct") if p.suffix == ".py"][:4]
    pool += [
        p
        for p in files("induction_heads", "wrong")
        if "infinite" not in p.name and "accumulates" not in p.name
    ]
    folder.mkdir(parents=True)
    for i in range(size):
        source = pool[(i * 5) % len(pool)]
        (folder / f"s{i:02d}.py").write_text(variant(pack, source))


def grade(folder: Path, results: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(folder), "--results-dir", str(results),
         "--exercise", "induction_heads", "--no-progress", "--workers", str(ARGS.workers), "-q"],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.monotonic() - started


def synthesize(results: list[Result], sources: dict[str, bytes], n: int, seed: int = 0):
    rng = random.Random(seed)
    made, submitted = [], []
    names = [t.function for t in results[0].tests]
    functions = list(dict.fromkeys(names))
    for i in range(n):
        base = results[i % len(results)]
        student = f"student{i:04d}"
        copy = Result.from_gradescope(base.to_gradescope(), student)
        copy.student = student
        for function in functions:
            if rng.random() < 1 / 3 and copy.fingerprints.get(function):
                copy.fingerprints[function] = [
                    f"w{j}-{rng.randrange(40)}" for j in range(len(copy.fingerprints[function]))
                ]
                for test in copy.tests:
                    if test.function == function:
                        test.score = 0.0
        made.append(copy)
        text = sources[base.student].decode()
        suffix = f"_{i % 7}"
        text = re.sub(r"\b(heads|pattern|layer|head|out|scores)\b", lambda m, s=suffix: m.group(1) + s, text)
        extra = f"    marker_{rng.randrange(120)} = {rng.randrange(120)} * len(str(cache))\n"
        text = re.sub(r"(\n    return )", "\n" + extra + r"    return ", text)
        submitted.append(Submitted(student, text.encode()))
    return made, submitted


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="analytics-bench-"))
    small = work / "class"
    make_class(small, ARGS.small)
    two = work / "two"
    two.mkdir()
    for path in sorted(small.iterdir())[:2]:
        (two / path.name).write_text(path.read_text())
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    grade(two, work / "warm")  # the reference cache, once
    wall_2 = grade(two, work / "r2")
    wall_small = grade(small, work / "rsmall")
    per = (wall_small - wall_2) / (ARGS.small - 2)
    batch = wall_2 + (ARGS.n - 2) * per
    results = analytics.read_results(work / "rsmall")
    sources = {p.stem: p.read_bytes() for p in small.iterdir()}
    made, submitted = synthesize(results, sources, ARGS.n)
    spent, times, out, reading = measure(made, submitted, work / "big")
    print_figures(wall_small, wall_2, per, batch, spent, times, out, reading)


def measure(made: list[Result], submitted: list, out: Path):
    pack = packs.get("induction_heads")
    out.mkdir()
    for result in made:
        result.write(out / f"{result.student}.json")
    times = []
    for _ in range(3):
        started = time.monotonic()
        analytics.write_after_batch(out, made, out, submitted, pack.names, pack.exercise)
        times.append(time.monotonic() - started)
    started = time.monotonic()
    analytics.read_results(out)
    return statistics.median(times), times, out, time.monotonic() - started


def print_figures(wall_small, wall_2, per, batch, spent, times, out, reading) -> None:
    pairs = sum(1 for _ in open(out / similarity.CSV)) - 1
    size = (out / analytics.PAGE).stat().st_size
    print(f"small batch: {ARGS.small} submissions in {wall_small:.1f} s, 2 in {wall_2:.1f} s: "
          f"{per:.3f} s per submission ({ARGS.workers} workers)")  # fmt: skip
    print(f"estimated batch of {ARGS.n}: {batch:.1f} s")
    print(f"analytics + similarity for {ARGS.n} (median of 3: {', '.join(f'{t:.2f}' for t in times)} s): "
          f"{spent:.2f} s = {100 * spent / batch:.1f}% of the batch (target <= 10%)")  # fmt: skip
    print(f"pairs listed: {pairs}; class.html {size / 1e6:.2f} MB (target < 2 MB); "
          f"similarity.html {(out / similarity.PAGE).stat().st_size / 1e6:.2f} MB; "
          f"reading {ARGS.n} results back (the class command): {reading:.2f} s")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    ARGS = parser.parse_args()
    main()
