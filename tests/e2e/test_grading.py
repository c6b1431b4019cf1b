"""The engine on submissions of the induction-heads pack: what a missing function, a wrong signature
or a file that cannot be read cost and say; the command line's results; the isolation it insists on."""

from __future__ import annotations

import json
import subprocess
import sys

from corpus import grade_source

from autograder.engine.submission import load


def test_missing_function_and_wrong_signature_are_explained(grader, solution_source):
    source = solution_source.replace("def first_attn_detector(", "def first_detector(")
    source = source.replace(
        "def prev_attn_detector(cache: ActivationCache)", "def prev_attn_detector(cache, extra)"
    )
    result = grade_source(grader, source)
    scores = result.by_function()
    assert scores["first_attn_detector"][0] == 0 and scores["prev_attn_detector"][0] == 0
    outputs = {t.function: t.output for t in result.tests}
    assert "no function named first_attn_detector" in outputs["first_attn_detector"]
    assert len(outputs["first_attn_detector"].splitlines()) == 1  # said once, in one line
    assert "the contract is def prev_attn_detector(cache)" in outputs["prev_attn_detector"]
    assert scores["induction_attn_detector"] == (15, 15)


def test_a_file_that_cannot_be_read_is_not_imported_and_says_why_once(grader, tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{not json")
    result = grader.grade(load(path))
    assert result.score == 0 and result.status == "not imported"
    assert len(result.problems) == 1 and "not a readable notebook" in result.problems[0]
    assert all(
        t.output == "Not graded: the file could not be read (see the problem at the top)."
        for t in result.tests
    )


def test_a_submission_that_is_not_text_is_not_imported(grader, tmp_path):
    path = tmp_path / "binary.py"
    path.write_bytes(b"\xff\xfe\x00bad")
    result = grader.grade(load(path))
    assert result.status == "not imported" and "not UTF-8" in result.problems[0]


def test_command_line_writes_gradescope_results(pack, tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(pack.solution),
            "--results",
            str(out),
            "--only",
            "prev_attn_detector",
            "--public",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert document["score"] == document["max_score"] == 15
    assert {"name", "score", "max_score", "status", "output"} <= set(document["tests"][0])
    assert all(t["name"].startswith("prev_attn_detector: ") for t in document["tests"])
    assert document["extra_data"]["status"] == "graded"


def test_command_line_refuses_bad_input_with_a_clear_message(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(tmp_path / "missing.py"),
            "--results",
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "no such file or folder" in done.stderr and "Traceback" not in done.stderr


def test_every_protection_is_on_here(grader, pack):
    """On this Linux machine the full sandbox must come up: none of its mechanisms is reported off."""
    assert grader.protections_off == {}
    result = grader.grade(load(pack.solution))
    assert result.protections_off == {}
