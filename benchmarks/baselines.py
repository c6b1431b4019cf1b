"""Phases 3-5: nbgrader autograde, one pytest process per submission, and the student's check cold."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path

import nbformat
from common import (
    ASSIGNMENT,
    BENCHMARKS,
    CHECK_VARIANT,
    PYTHON,
    ROOT,
    Run,
    mix_of,
    must,
    run,
    source_of,
)

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
