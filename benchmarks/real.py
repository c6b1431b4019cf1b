"""The real-shaped phase: what a class of notebooks as students hand them in costs beyond clean files.

The real class is tests/submissions/real/ (Colab and ARENA setup cells, magics, failed downloads,
demo code) and notebooks made here from the reference solution the way a student's Colab copy
looks once run: a setup cell (`%pip`, `!git clone`, a Drive mount), the demo code at the top level
(no `if MAIN:`: model runs on the text and on repeated tokens, plotly figures, circuitsvis renders),
a failed `from_pretrained` download, and megabytes of saved outputs (images, figures, printouts).
The clean class is as many copies of the reference as a `.py` file. Both are graded in the same
runs, interleaved (real, clean, real, ...), so that both see the same load; each run is one
`benchmarks/phases.py` process (the `grade` command's batch, 2 workers), which records each
submission's seconds and where they went: "start" (the worker's start and sandbox, and reading the
file), "top level", "calls", "judge", and "other" (forks, encoding, teardown).

Extra cost per real submission = (mean seconds of a real one - of a clean one) / workers: what it
adds to a class's wall time, in the unit of the per-submission cost.
"""

from __future__ import annotations

import base64
import json
import random
import re
import statistics
import sys
from pathlib import Path

from common import BENCHMARKS, PYTHON, ROOT, must, run

REAL = ROOT / "tests" / "submissions" / "real"
SOLUTION = ROOT / "solutions" / "induction_heads.py"
MADE = 10  # notebooks made here, beside the real corpus's own
PHASES = ("start", "top level", "calls", "judge", "other")

SETUP = """\
import os, sys
IN_COLAB = "google.colab" in sys.modules
%pip install transformer_lens==2.11.0 circuitsvis einops jaxtyping
!git clone https://github.com/callummcdougall/ARENA_3.0.git
if IN_COLAB:
    from google.colab import drive
    drive.mount("/content/drive")
os.makedirs("figures", exist_ok=True)
"""
DOWNLOAD = """\
from transformer_lens import HookedTransformer
gpt2 = HookedTransformer.from_pretrained("gpt2-small")
"""


def reference() -> str:
    """The reference solution without its markers."""
    return "".join(line for line in SOLUTION.read_text().splitlines(keepends=True) if "### " not in line)


def student_notebook(seed: int) -> dict:
    """The reference as a student's run Colab notebook: cells at `# %%`, demo code at the top level,
    a setup cell and a failed download, and saved outputs of about a megabyte or more."""
    rng = random.Random(seed)
    source = reference().replace('MAIN = __name__ == "__main__"', "MAIN = True  # the notebook runs it all")
    chunks = [c.strip("\n") for c in re.split(r"^# %%.*$", source, flags=re.M) if c.strip()]
    cells = [SETUP, *chunks[:1], DOWNLOAD, *chunks[1:]]
    notebook = {
        "cells": [],
        "metadata": {"colab": {"provenance": [], "gpuType": "T4"}, "kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 0,
    }
    for number, text in enumerate(cells, 1):
        if text.lstrip().startswith("# ##") or text.lstrip().startswith("# #"):
            notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": text})
            continue
        outputs = [{"output_type": "stream", "name": "stdout", "text": [f"run {number}\n"] * 20}]
        if rng.random() < 0.4:  # a saved figure: a PNG's worth of bytes, and plotly's JSON
            image = base64.b64encode(rng.randbytes(rng.randint(50_000, 250_000))).decode()
            figure = {"data": [{"z": [[rng.random() for _ in range(64)] for _ in range(64)]}], "layout": {}}
            outputs.append(
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"image/png": image, "application/vnd.plotly.v1+json": figure},
                }
            )
        notebook["cells"].append(
            {
                "cell_type": "code",
                "execution_count": number,
                "metadata": {},
                "outputs": outputs,
                "source": text.splitlines(keepends=True),
            }
        )
    return notebook


def make_classes(folder: Path) -> tuple[list[Path], list[Path]]:
    """The real class (the corpus's submissions and MADE notebooks made here) and a clean class of
    as many copies of the reference, interleaved in one folder."""
    folder.mkdir(parents=True)
    corpus = sorted(p for p in REAL.iterdir() if p.suffix in (".ipynb", ".py") and p.stem[:5] != "make_")
    real, clean = [], []
    clean_source = reference()
    for number in range(len(corpus) + MADE):
        if number < len(corpus):
            path = folder / f"real-{number:03d}{corpus[number].suffix}"
            path.write_bytes(corpus[number].read_bytes())
        else:
            path = folder / f"real-{number:03d}.ipynb"
            path.write_text(json.dumps(student_notebook(number)))
        real.append(path)
        clean.append(folder / f"clean-{number:03d}.py")
        clean[-1].write_text(clean_source)
    return real, clean


def bench_real(workers: int, work: Path, env: dict, repeats: int) -> dict:
    real, clean = make_classes(work / "class-real")
    interleaved = [path for pair in zip(real, clean, strict=True) for path in pair]
    runs = []
    for index in range(repeats):
        out = work / f"real-phases-{index}.json"
        command = [PYTHON, str(BENCHMARKS / "phases.py"), str(out), str(work / "results-real"), str(workers)]
        must(run(command + [str(p) for p in interleaved], env=env), "grading the real-shaped class")
        runs.append(json.loads(out.read_text()))

    def mean(run_: dict, prefix: str, key) -> float:
        values = [key(r) for student, r in run_["results"].items() if student.startswith(prefix)]
        return sum(values) / len(values)

    figures: dict = {"real": len(real), "clean": len(clean), "workers": workers, "runs": []}
    for run_ in runs:
        one = {"wall_s": run_["wall_s"]}
        for prefix in ("real", "clean"):
            one[f"{prefix}_seconds"] = mean(run_, prefix, lambda r: r["seconds"])
            one[f"{prefix}_phases"] = {
                phase: mean(run_, prefix, lambda r, p=phase: r["phases"].get(p, 0.0)) for phase in PHASES
            }
        one["extra_per_real_s"] = (one["real_seconds"] - one["clean_seconds"]) / workers
        figures["runs"].append(one)
    middle = sorted(figures["runs"], key=lambda r: r["extra_per_real_s"])[len(runs) // 2]
    figures |= {
        "extra_per_real_s": middle["extra_per_real_s"],
        "extra_estimates_s": sorted(r["extra_per_real_s"] for r in figures["runs"]),
        "median_run": middle,
        "clean_per_submission_s": statistics.median(r["clean_seconds"] / workers for r in figures["runs"]),
        "real_bytes": sum(p.stat().st_size for p in real),
        "largest_real_bytes": max(p.stat().st_size for p in real),
    }
    return figures


if __name__ == "__main__":  # writes one made notebook, to look at: python benchmarks/real.py OUT.ipynb
    Path(sys.argv[1]).write_text(json.dumps(student_notebook(0), indent=1))
