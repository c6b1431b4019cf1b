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
from corpus import SUBMISSIONS, files, header, variant

from autograder.engine import pack as packs
from autograder.output.results import Result

PACK = packs.get("induction_heads")
CORRECT = [p for p in files("induction_heads", "correct") if p.suffix == ".py"]
WRONG = [p for p in files("induction_heads", "wrong") if "infinite" not in p.name]
BROKEN = [
    SUBMISSIONS / "induction_heads" / "broken" / name for name in ("syntax_error.py", "missing_module.py")
]


def write(source: Path, target: Path) -> None:
    if source.parent.name in ("correct", "wrong"):
        target.write_text(variant(PACK, source))
    else:
        shutil.copy(source, target)


def make_class(folder: Path, size: int = 36) -> dict[str, tuple[str, Path]]:
    """`size` students: a third correct, half wrong in one function, the rest with a broken file
    (a syntax error in one function, a course helper's import). id -> (kind, source)."""
    folder.mkdir(parents=True)
    students = {}
    for i in range(size):
        kind = "correct" if i % 3 == 0 else "broken" if i % 6 == 5 else "wrong"
        pool = {"correct": CORRECT, "wrong": WRONG, "broken": BROKEN}[kind]
        source = pool[i % len(pool)]
        student = f"student{i:02d}"
        write(source, folder / f"{student}{source.suffix}")
        students[student] = (kind, source)
    return students


def lost(source: Path) -> set[str]:
    """The functions a corpus file must lose points on."""
    if source.name == "syntax_error.py":
        return {"prev_attn_detector"}
    return {header(source)[1]} if source.parent.name == "wrong" else set()


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
            "--public",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, TMPDIR=_tagged(tag)) if tag else None,
    )


def _tagged(tag: str) -> str:
    """A temporary folder named after `tag`: the grader's private folder, and so the environment of
    its templates and workers (HOME, TMPDIR), name it, which finds them in /proc."""
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"batch-{tag}"
    folder.mkdir(exist_ok=True)
    return str(folder)


def test_a_class_is_graded_into_results_gradebook_and_log(tmp_path):
    students = make_class(tmp_path / "class")
    done = grade(tmp_path / "class", tmp_path / "results")
    out, err = done.communicate(timeout=600)
    assert done.returncode == 0, err[-3000:]
    assert "36 submissions" in out and "Most often failed" in out  # the summary
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "results" / "gradebook.csv").open())}
    assert set(rows) == set(students)
    tests = {row["student"]: row for row in csv.DictReader((tmp_path / "results" / "tests.csv").open())}
    for student, (kind, source) in students.items():
        result = Result.read(tmp_path / "results" / f"{student}.json")
        row = rows[student]
        assert float(row["total"]) == result.score and float(row["max_score"]) == 100
        assert row["status"] == result.status
        for test in result.tests:  # tests.csv has one column per test, with its score
            assert float(tests[student][test.name]) == test.score
        for function in PACK.names:  # the gradebook a column per function, with its subtotal
            subtotal = float(row[f"{function} (of {PACK.points_of(function):g})"])
            if function in lost(source):
                assert subtotal < PACK.points_of(function), (student, source.name, function)
            else:
                assert subtotal == PACK.points_of(function), (student, source.name, function)
        if kind == "broken":
            assert result.status == "imported with problems" and row["why"], (student, source.name)
    log = (tmp_path / "results" / "grading.log").read_text()
    assert "36 to grade" in log
    assert all(f"{student}:" in log for student in students)
    broken = [s for s, (kind, _) in students.items() if kind == "broken"]
    assert all("imported with problems" in line for line in log.splitlines() if line.split(":")[0] in broken)


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
    for student, (_, source) in students.items():
        score = Result.read(results / f"{student}.json").score  # every result present, and right
        assert score == 100 if not lost(source) else 0 < score < 100
    assert len(list(csv.DictReader((results / "gradebook.csv").open()))) == len(students)


def test_force_regrades_and_a_changed_submission_is_regraded(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    write(CORRECT[0], folder / "alice.py")
    write(WRONG[0], folder / "bob.py")
    assert grade(folder, tmp_path / "results").wait(timeout=600) == 0
    write(CORRECT[0], folder / "bob.py")  # bob fixes his work
    again = grade(folder, tmp_path / "results")
    out, _ = again.communicate(timeout=600)
    assert "Graded 1, kept 1 earlier results" in out
    assert Result.read(tmp_path / "results" / "bob.json").score == 100
    forced = grade(folder, tmp_path / "results", "--force")
    out, _ = forced.communicate(timeout=600)
    assert "Graded 2, kept 0 earlier results" in out


def test_two_submissions_for_one_student_are_both_graded_apart_and_said(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    write(CORRECT[0], folder / "alice.py")
    write(WRONG[0], folder / "bob.py")
    shutil.copy(SUBMISSIONS / "induction_heads" / "correct" / "notebook_loops.ipynb", folder / "alice.ipynb")
    done = grade(folder, tmp_path / "results")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    graded = {p.stem: Result.read(p) for p in (tmp_path / "results").glob("*.json")}
    assert set(graded) == {"alice~1", "alice~2", "bob"}  # neither takes the plain id
    assert graded["alice~1"].score == graded["alice~2"].score == 100
    assert "alice: 2 submissions with this id, graded apart" in err
    assert "alice: 2 submissions" in (tmp_path / "results" / "grading.log").read_text()


@pytest.mark.parametrize("threshold, status", [(100, 1), (0, 0)])
def test_fail_under_sets_the_exit_status(tmp_path, threshold, status):
    write(WRONG[0], tmp_path / "bob.py")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(tmp_path / "bob.py"),
            "--results",
            str(tmp_path / "r.json"),
            "--junit",
            str(tmp_path / "junit.xml"),
            "--fail-under",
            str(threshold),
            "--public",
            "--only",
            header(WRONG[0])[1],
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == status, done.stderr[-2000:]
    assert (tmp_path / "junit.xml").read_text().count("<testcase") == len(PACK.tests_of(header(WRONG[0])[1]))


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
