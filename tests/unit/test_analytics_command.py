"""`autograder class RESULTS`: a graded class's analytics rebuilt from its results folder alone, and
its Canvas gradebook; bad input said in one line with exit status 2."""

from __future__ import annotations

import csv

from autograder.integrations import cli
from autograder.output import analytics, similarity
from autograder.output.results import Result, TestResult


def write_class(folder, scores: dict[str, float]) -> None:
    folder.mkdir(exist_ok=True)
    for student, score in scores.items():
        output = "" if score else "On input 1: wrong\nLikely mistake: it sums the diagonal."
        Result(student, [TestResult("detect: values", "detect", score, 1.0, output)]).write(
            folder / f"{student}.json"
        )


def test_rebuilds_the_class_from_the_results_folder_and_records_a_regrade(tmp_path, capsys):
    results = tmp_path / "results"
    write_class(results, {"ada": 1.0, "alan": 0.0, "grace": 0.0})
    assert cli.main(["class", str(results)]) == cli.OK
    with open(results / analytics.MISTAKES, newline="") as file:
        assert [(r["mistake"], r["count"]) for r in csv.DictReader(file)] == [("it sums the diagonal", "2")]
    assert (results / similarity.CSV).exists() and (results / analytics.PAGE).exists()
    write_class(results, {"alan": 1.0})  # regraded: alan's fixed test
    assert cli.main(["class", str(results)]) == cli.OK
    with open(results / analytics.CHANGES, newline="") as file:
        assert [(r["student"], r["before"], r["after"]) for r in csv.DictReader(file)] == [("alan", "0", "1")]


def test_canvas_export_lists_students_not_on_the_roster_and_exits_1(tmp_path, capsys):
    results = tmp_path / "results"
    write_class(results, {"ada": 1.0, "nobody": 0.0})
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\nAda,1,S1,ada@uni.edu,A\n")
    out = tmp_path / "canvas.csv"
    code = cli.main(
        ["class", str(results), "--canvas", str(roster), "--assignment", "Lab 3", "--out", str(out)]
    )
    assert code == cli.FAILED and "nobody" in capsys.readouterr().err
    assert out.read_text().splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,Lab 3",
        "Ada,1,S1,ada@uni.edu,A,1",
    ]


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    assert cli.main(["class", str(tmp_path)]) == cli.USAGE
    assert "no results in" in capsys.readouterr().err
    results = tmp_path / "results"
    write_class(results, {"ada": 1.0})
    assert cli.main(["class", str(results), "--canvas", str(tmp_path / "r.csv")]) == cli.USAGE
    assert "--canvas needs --assignment" in capsys.readouterr().err
    (tmp_path / "r.csv").write_text("name\nAda\n")
    assert (
        cli.main(["class", str(results), "--canvas", str(tmp_path / "r.csv"), "--assignment", "x"])
        == cli.USAGE
    )
    assert "no column 'Student'" in capsys.readouterr().err.strip()
