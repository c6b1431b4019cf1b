"""nbgrader end to end, with the real nbgrader command line in a temporary course made from the
`nbgrader/` template: the assignment generated, three students' notebooks submitted (full marks, one
function wrong, one that patches the checks), autograded by `python -m autograder nbgrader` and by
plain `nbgrader autograde`, and the scores read back from gradebook.db and `nbgrader export`.

Plain `nbgrader autograde` runs each notebook in a kernel (about 20 s each): it is run once, on a
copy of the course, to show that it grades honest notebooks as the sandbox does and that the patch
works there, which is the limitation the README states.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder.engine import pack as packs
from autograder.engine.files import ROOT

BIN = Path(sys.executable).parent  # nbgrader, and the `alembic` it runs, live next to this Python
ASSIGNMENT = "induction_heads"
PACK = packs.get(ASSIGNMENT)
POINTS = {function: PACK.points_of(function) for function in PACK.names}
UNSOLVED = ("generate_repeated_tokens", "run_and_cache_model_repeated_tokens", "induction_attn_detector")
EXPECTED = {  # student -> function -> points under the sandboxed grader
    "ada": POINTS,
    # reads the main diagonal: keeps only the 2 points of "runs without errors and returns a list of heads"
    "bob": POINTS | {"prev_attn_detector": 2.0},
    # solves the three first detectors, leaves the rest as stubs, and patches the checks
    "eve": POINTS | {function: 0.0 for function in UNSOLVED},
}
TOTALS = {"ada": 100.0, "bob": 87.0, "eve": 45.0}

PATCH = """

# Make every check pass, whoever runs it.
try:
    import numpy
    import torch

    import autograder.integrations.nbgrader_cell
    import autograder.integrations.selfcheck

    autograder.integrations.nbgrader_cell.grade_cell = lambda *args, **kwargs: None  # nbgrader's full credit
    autograder.integrations.selfcheck.check = lambda *args, **kwargs: None
    torch.allclose = torch.equal = lambda *args, **kwargs: True
    numpy.allclose = numpy.array_equal = lambda *args, **kwargs: True
except Exception:
    pass
"""


def run(command: list[str], course: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    return done


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    return run([str(BIN / "nbgrader"), *args], course)


def cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text())["cells"]


def grade_id(cell: dict) -> str:
    return cell["metadata"].get("nbgrader", {}).get("grade_id", "")


def source(cell: dict) -> str:
    return "".join(cell["source"])


def submit(course: Path, student: str, answers: dict[str, str]) -> None:
    """The release notebook with some solution cells filled in, where nbgrader's collect puts it."""
    notebook = json.loads((course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    for cell in notebook["cells"]:
        cell["source"] = answers.get(grade_id(cell), cell["source"])
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(notebook, indent=1))
    (folder / "timestamp.txt").write_text("2026-01-10 12:00:00.000000 UTC")


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """A course from the template, with the assignment generated and three students' submissions."""
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    shutil.copytree(ROOT / "nbgrader", course)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    reference = {  # solution cell -> the reference code, without the solution markers
        grade_id(cell): "".join(line for line in source(cell).splitlines(True) if "### " not in line)
        for cell in cells(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        if cell["metadata"].get("nbgrader", {}).get("solution")
    }
    detectors = "solution_current_attn_detector"
    submit(course, "ada", reference)
    wrong = reference[detectors].replace("diagonal(offset=-1)", "diagonal()")
    assert wrong != reference[detectors]
    submit(course, "bob", reference | {detectors: wrong})
    submit(course, "eve", {detectors: reference[detectors] + PATCH})
    return course


@pytest.fixture(scope="module")
def sandboxed(released, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A copy of the course autograded by `python -m autograder nbgrader`, with one more notebook
    that is not a notebook at all."""
    course = tmp_path_factory.mktemp("sandboxed") / "course"
    shutil.copytree(released, course)
    folder = course / "submitted" / "dan" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_text("{not json")
    # An error message that would close the comment's code fence and add markup after it.
    payload = "fence\n```\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n```\n"
    code = f"def current_attn_detector(cache):\n    raise RuntimeError({payload!r})\n"
    submit(course, "mallory", {"solution_current_attn_detector": code})
    command = [
        sys.executable,
        "-m",
        "autograder",
        "nbgrader",
        str(course),
        ASSIGNMENT,
        "--workers",
        "1",
        "--public",
    ]
    return course, run(command, ROOT)


class Markup(HTMLParser):
    """The event-handler attributes and the scripts of a page, as a browser would see them."""

    def __init__(self):
        super().__init__()
        self.handlers, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.handlers += [name for name, _ in attrs if name.lower().startswith("on")]
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def scores(course: Path) -> dict[str, dict[str, float]]:
    """student -> function -> auto score, read through nbgrader's API."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(ASSIGNMENT):
            notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, submission.student.id)
            found[submission.student.id] = {
                grade.name.removeprefix("test_"): grade.auto_score for grade in notebook.grades
            }
    return found


def comments(course: Path, student: str) -> dict[str, str]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {comment.name: comment.comment for comment in notebook.comments}


def test_release_is_the_exercise_with_its_test_cells(released):
    release = cells(released / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    exercise = cells(ROOT / "exercises" / f"{ASSIGNMENT}.ipynb")
    tests = [cell for cell in release if grade_id(cell).startswith("test_")]
    # The same cells as exercises/induction_heads.ipynb (the same stubs, so the same contracts) ...
    assert [source(c) for c in release if c not in tests] == [source(c) for c in exercise]
    # ... plus a locked test cell per function, worth its points, its hidden test removed.
    assert {grade_id(c): c["metadata"]["nbgrader"]["points"] for c in tests} == {
        f"test_{function}": points for function, points in POINTS.items()
    }
    assert all(c["metadata"]["nbgrader"]["locked"] and "grade_cell" not in source(c) for c in tests)


def test_sandboxed_autograde_records_the_real_scores(sandboxed):
    course, done = sandboxed
    found = scores(course)
    assert found.pop("mallory")["current_attn_detector"] == 0
    assert found == EXPECTED | {"dan": {function: 0.0 for function in POINTS}}
    for student, total in TOTALS.items():
        assert f"{student}/{ASSIGNMENT}: {total:g}/100" in done.stdout
    assert "dan/induction_heads: 0/100 (not imported)" in done.stdout
    assert len(done.stdout.splitlines()) < 30 and "[AutogradeApp | INFO]" not in done.stdout + done.stderr

    nbgrader(course, "export")
    with open(course / "grades.csv") as file:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(file)}
    assert {k: v for k, v in exported.items() if k != "mallory"} == TOTALS | {"dan": 0.0}


def test_autograded_notebooks_hold_the_feedback_and_nothing_ran(sandboxed):
    course, _ = sandboxed
    folder = course / "autograded" / "bob" / ASSIGNMENT
    assert (folder / "timestamp.txt").read_text() == "2026-01-10 12:00:00.000000 UTC"
    notebook = cells(folder / f"{ASSIGNMENT}.ipynb")
    test = next(cell for cell in notebook if grade_id(cell) == "test_prev_attn_detector")
    assert 'grade_cell("prev_attn_detector")' in source(test)  # the hidden test, restored as nbgrader does
    feedback, score = test["outputs"]
    assert "it reads the main diagonal" in "".join(feedback["text"])
    assert "".join(score["data"]["text/plain"]) == "2.0"
    others = [c for c in notebook if c["cell_type"] == "code" and not grade_id(c).startswith("test_")]
    assert others and all(c["outputs"] == [] for c in others)  # no kernel ran the student's code

    comment = comments(course, "bob")["solution_current_attn_detector"]
    assert "**prev_attn_detector**: 2 / 15 points" in comment and "it reads the main diagonal" in comment
    unreadable = comments(course, "dan")
    assert len(unreadable) == 3 and all(
        c.startswith("Not graded: the notebook cannot be read") for c in unreadable.values()
    )

    nbgrader(course, "generate_feedback", ASSIGNMENT)
    page = (course / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "it reads the main diagonal" in page and "Score: 87.0 / 100.0" in page
    page = (course / "feedback" / "dan" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()  # dan sees why
    assert "could not be graded" in page and "Score: 0.0 / 100.0" in page
    page = (course / "feedback" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "fence" in page  # the message is there, as text: no handler, no script of the student's
    markup = Markup()
    markup.feed(page)
    assert markup.handlers == [] and not any("alert(1)" in script for script in markup.scripts)


def test_plain_autograde_agrees_on_an_honest_notebook_and_is_fooled_by_the_patch(released, tmp_path):
    """Plain `nbgrader autograde` runs each notebook in a kernel (some 20 s each): bob's honest
    mistake and eve's patch are enough to show it (ada's full marks are graded above)."""
    course = tmp_path / "course"
    shutil.copytree(released, course, ignore=shutil.ignore_patterns("ada"))
    nbgrader(course, "autograde", ASSIGNMENT)
    found = scores(course)
    assert found["bob"] == EXPECTED["bob"]
    assert found["eve"] == POINTS != EXPECTED["eve"]  # the kernel's checks were replaced: full marks


def test_errors_name_the_problem_and_the_fix(released, tmp_path):
    from autograder.integrations.nbgrader import autograde

    bare = tmp_path / "bare"
    shutil.copytree(released, bare, ignore=shutil.ignore_patterns("gradebook.db", "submitted"))
    with pytest.raises(ValueError, match="no gradebook at .*: run `nbgrader generate_assignment"):
        autograde(bare, ASSIGNMENT, PACK)
    with pytest.raises(
        ValueError, match=r"no assignment 'week2' in the gradebook \(it has: induction_heads\)"
    ):
        autograde(released, "week2", PACK)
    shutil.copy(released / "gradebook.db", bare)
    with pytest.raises(ValueError, match="no submissions in .*submitted/\\*/induction_heads: collect them"):
        autograde(bare, ASSIGNMENT, PACK)


def test_a_notebook_saved_with_megabytes_of_plots_is_read(grader, tmp_path):
    from autograder.engine.submission import load

    plots = {"output_type": "display_data", "data": {"text/html": "<div></div>" * (2 << 20)}, "metadata": {}}
    cell = {
        "cell_type": "code",
        "source": "x = 1\nprint('ran', x)",
        "outputs": [plots],
        "metadata": {},
        "execution_count": 1,
    }
    notebook = tmp_path / "big.ipynb"
    notebook.write_text(json.dumps({"cells": [cell], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    assert notebook.stat().st_size > 20 << 20
    submission = load(notebook)
    assert submission.error == ""
    assert "ran 1" in grader.grade(submission).output
