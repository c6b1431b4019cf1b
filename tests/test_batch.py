"""Grading a class: a generated class of correct, wrong and broken submissions, graded in parallel by
the command line into per-student results, a gradebook and a log; killed with SIGKILL halfway, then
resumed without losing or redoing anything."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import SUBMISSIONS

from autograder import cases, checks
from autograder.results import Result

CORRECT = sorted((SUBMISSIONS / "correct").iterdir())
WRONG = sorted((SUBMISSIONS / "wrong").glob("*.py"))
BROKEN = [
    SUBMISSIONS / "broken" / name for name in ("syntax_error.py", "missing_module.py", "toplevel_demo.py")
]


def make_class(folder: Path, size: int = 36) -> dict[str, tuple[str, Path]]:
    """`size` students: a third correct, half wrong in one function, the rest broken. id -> (kind, source)."""
    folder.mkdir(parents=True)
    students = {}
    for i in range(size):
        kind = "correct" if i % 3 == 0 else "broken" if i % 6 == 5 else "wrong"
        pool = {"correct": CORRECT, "wrong": WRONG, "broken": BROKEN}[kind]
        source = pool[i % len(pool)]
        student = f"student{i:02d}"
        shutil.copy(source, folder / f"{student}{source.suffix}")
        students[student] = (kind, source)
    return students


def grade(folder: Path, results: Path, *extra: str, tag: str = "") -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(folder),
            "--results-dir",
            str(results),
            "--workers",
            "2",
            "--no-progress",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, IG_BATCH_TAG=tag),
    )


def wrong_function(path: Path) -> str:
    return path.read_text().splitlines()[0].split(":")[1].strip()


def test_a_class_is_graded_into_results_gradebook_and_log(tmp_path):
    students = make_class(tmp_path / "class")
    done = grade(tmp_path / "class", tmp_path / "results")
    out, err = done.communicate(timeout=600)
    assert done.returncode == 0, err[-3000:]
    assert "36 submissions" in out and "Most often failed" in out  # the summary
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "results" / "gradebook.csv").open())}
    assert set(rows) == set(students)
    for student, (kind, source) in students.items():
        result = Result.read(tmp_path / "results" / f"{student}.json")
        row = rows[student]
        assert float(row["total"]) == result.score and float(row["max_score"]) == 100
        for test in result.tests:  # the gradebook has one column per test, with its score
            assert float(row[test.name]) == test.score
        if kind == "correct":
            assert result.score == 100, (student, source.name)
        elif kind == "broken":
            assert result.score == 0, (student, source.name)
        else:  # full marks on every function but the wrong one
            wrong = wrong_function(source)
            for function in cases.EXERCISES:
                columns = [float(row[t.title]) for t in checks.tests_of(function)]
                if function == wrong:
                    assert sum(columns) < sum(t.points for t in checks.tests_of(function)), (
                        student,
                        source.name,
                    )
                else:
                    assert columns == [t.points for t in checks.tests_of(function)], (
                        student,
                        source.name,
                        function,
                    )
    log = (tmp_path / "results" / "grading.log").read_text()
    assert "36 to grade" in log
    assert all(f"{student}:" in log for student in students)
    broken = [s for s, (kind, _) in students.items() if kind == "broken"]
    assert all(f"{s}: 0/100" in log for s in broken)


def test_a_batch_killed_with_sigkill_resumes_where_it_stopped(tmp_path):
    students = make_class(tmp_path / "class")
    results = tmp_path / "results"
    tag = uuid.uuid4().hex
    first = grade(tmp_path / "class", results, tag=tag)
    deadline = time.monotonic() + 300
    while len(list(results.glob("student*.json"))) < 8:
        assert first.poll() is None, "the batch finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    graded_before = {p.name: p.read_text() for p in results.glob("student*.json")}
    assert 8 <= len(graded_before) < len(students)
    time.sleep(1)
    assert _processes_with(tag) == []  # the workers and their templates died with the grader
    second = grade(tmp_path / "class", results)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err[-3000:]
    assert f"Graded {len(students) - len(graded_before)}, kept {len(graded_before)} earlier results" in out
    for name, text in graded_before.items():  # nothing graded before was lost or redone
        assert (results / name).read_text() == text
    for student, (kind, _) in students.items():
        score = Result.read(results / f"{student}.json").score  # every result present, and right
        assert score == 100 if kind == "correct" else score == 0 if kind == "broken" else 0 < score < 100
    assert len(list(csv.DictReader((results / "gradebook.csv").open()))) == len(students)


def test_force_regrades_and_a_changed_submission_is_regraded(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(CORRECT[0], folder / "alice.py")
    shutil.copy(WRONG[0], folder / "bob.py")
    assert grade(folder, tmp_path / "results").wait(timeout=600) == 0
    shutil.copy(CORRECT[0], folder / "bob.py")  # bob fixes his work
    again = grade(folder, tmp_path / "results")
    out, _ = again.communicate(timeout=600)
    assert "Graded 1, kept 1 earlier results" in out
    assert Result.read(tmp_path / "results" / "bob.json").score == 100
    forced = grade(folder, tmp_path / "results", "--force")
    out, _ = forced.communicate(timeout=600)
    assert "Graded 2, kept 0 earlier results" in out


def test_two_submissions_for_one_student_are_refused(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(CORRECT[0], folder / "alice.py")
    shutil.copy(SUBMISSIONS / "correct" / "notebook_loops.ipynb", folder / "alice.ipynb")
    done = grade(folder, tmp_path / "results")
    _, err = done.communicate(timeout=120)
    assert done.returncode == 2 and "two submissions for student 'alice'" in err


@pytest.mark.parametrize("threshold, status", [(100, 1), (0, 0)])
def test_fail_under_sets_the_exit_status(tmp_path, threshold, status):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(WRONG[0]),
            "--results",
            str(tmp_path / "r.json"),
            "--junit",
            str(tmp_path / "junit.xml"),
            "--fail-under",
            str(threshold),
            "--only",
            wrong_function(WRONG[0]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == status, done.stderr[-2000:]
    assert (tmp_path / "junit.xml").read_text().count("<testcase") == len(
        checks.tests_of(wrong_function(WRONG[0]))
    )


def _processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found
