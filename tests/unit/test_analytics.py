"""Class analytics, similarity ranking and the Canvas export on plain data: no sandbox, no grading."""

from __future__ import annotations

import csv
import json

import pytest

from autograder.output import analytics, lms, similarity
from autograder.output.results import Result, TestResult

FUNCTIONS = ("detect", "generate")


def result(
    student: str, passed: dict[str, bool], hint: str = "", status: str = "graded", prints=None
) -> Result:
    tests = []
    for function in FUNCTIONS:
        ok = passed.get(function, True)
        output = (
            ""
            if ok
            else "On input 1: wrong" + (f"\nLikely mistake: {hint}." if hint and function == "detect" else "")
        )
        tests.append(TestResult(f"{function}: right values", function, 1.0 if ok else 0.0, 1.0, output))
    return Result(student, tests, status=status, fingerprints=prints or {})


def test_mistakes_are_counted_per_function_with_their_students_hardest_test_first(tmp_path):
    results = [
        result("ann", {"detect": False}, hint="it sums the diagonal"),
        result("bob", {"detect": False}, hint="it sums the diagonal"),
        result("cy", {"detect": False, "generate": False}),
        result("dee", {}),
        result("eve", {"detect": False}, status="not imported"),
    ]
    results[-1].tests[0].output = "Not graded: the file could not be read (see the problem at the top)."
    data = analytics.class_data(results)
    assert data["tests"][0]["name"] == "detect: right values" and data["tests"][0]["passed"] == 1
    analytics.write_mistakes(data, tmp_path / "mistakes.csv")
    with open(tmp_path / "mistakes.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows[0] == {
        "function": "detect",
        "mistake": "it sums the diagonal",
        "count": "2",
        "students": "ann bob",
    }
    assert {r["mistake"]: r["count"] for r in rows[1:]} == {"fails: right values": "1"} or len(rows) == 3
    assert all("eve" not in r["students"] for r in rows)  # not imported: in its status, not a mistake
    assert data["statuses"] == {"graded": ["ann", "bob", "cy", "dee"], "not imported": ["eve"]}


def test_a_regrade_records_each_moved_score_and_keeps_every_earlier_record(tmp_path):
    first = [result("ann", {"detect": False}), result("bob", {})]
    assert analytics.record_changes(first, tmp_path, when="t1") == []
    regraded = [result("ann", {}), result("bob", {"generate": False})]
    rows = analytics.record_changes(regraded, tmp_path, when="t2")
    assert [(r["student"], r["before"], r["after"]) for r in rows] == [("ann", "1", "2"), ("bob", "2", "1")]
    assert rows[0]["tests"] == "detect: right values: 0 -> 1"
    analytics.record_changes(first, tmp_path, when="t3")
    with open(tmp_path / analytics.CHANGES, newline="") as file:
        recorded = [(r["when"], r["student"]) for r in csv.DictReader(file)]
    assert recorded == [("t2", "ann"), ("t2", "bob"), ("t3", "ann"), ("t3", "bob")]
    assert analytics.last_changes(tmp_path)[0] == "t3"


def test_the_class_page_escapes_names_and_mistakes_and_is_small_for_a_thousand(tmp_path):
    evil = "<img src=x onerror=alert(1)>"
    results = [result(f"s{i:04d}", {"detect": i % 3 == 0}, hint=f"it uses {evil}") for i in range(1000)]
    results.append(result(evil, {}))
    for r in results:
        r.write(tmp_path / f"{r.student.replace('/', '_')}.json")
    analytics.write_class(tmp_path, results, html_dir=tmp_path, sources={}, stubs={})
    page = (tmp_path / analytics.PAGE).read_text()
    assert evil not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert (tmp_path / analytics.PAGE).stat().st_size < 2_000_000
    assert "href='class.html'" in (tmp_path / "index.html").read_text()
    assert len(analytics.read_results(tmp_path)) == 1001  # the state file is not a student's


def test_sharing_a_rare_wrong_output_outranks_sharing_the_right_one_and_a_named_mistake():
    right = ["r1", "r2", "r3", "r4"]
    prints = {f"right{i}": {"detect": right} for i in range(8)}
    prints |= {"copy_a": {"detect": ["x1", "x2", "r3", "r4"]}, "copy_b": {"detect": ["x1", "x2", "r3", "r4"]}}
    prints |= {
        "named_a": {"detect": ["y1", "y2", "y3", "r4"]},
        "named_b": {"detect": ["y1", "y2", "y3", "r4"]},
    }
    results = []
    for student, fp in prints.items():
        wrong = not student.startswith("right")
        results.append(
            result(student, {"detect": not wrong}, hint="it sums" if "named" in student else "", prints=fp)
        )
    pairs = similarity.rank(results)
    assert (pairs[0].student_a, pairs[0].student_b) == ("copy_a", "copy_b")
    named = next(p for p in pairs if p.student_a == "named_a")
    assert named.score < pairs[0].score / 2
    assert not any(p.student_a.startswith("right") and p.student_b.startswith("right") for p in pairs)


def test_text_evidence_ignores_names_formatting_and_what_everyone_writes():
    common = "    return [h for h in heads(cache) if score(h) > 0.4]\n"
    unusual = (
        "    picked = []\n"
        "    for layer_index in range(cfg.n_layers):\n"
        "        block = cache['pattern', layer_index]\n"
        "        offsets = t.arange(1, block.shape[-1])\n"
        "        picked += block[:, offsets, offsets - 1].tolist()\n"
        "    return picked\n"
    )
    renamed = unusual.replace("picked", "chosen").replace("layer_index", "L").replace("block", "b")
    sources = {f"s{i}": {"detect": common} for i in range(12)} | {
        "a": {"detect": unusual},
        "b": {"detect": renamed},
    }
    results = [result(s, {}) for s in sources]
    pairs = similarity.rank(results, sources, {"detect": ""})
    assert (pairs[0].student_a, pairs[0].student_b) == ("a", "b") and pairs[0].text > 0.5
    assert not any(p.student_a.startswith("s") and p.student_b.startswith("s") for p in pairs)


def test_function_sources_come_from_the_last_definition_without_docstring_and_never_run():
    text = 'def f(x):\n    """doc"""\n    return 1\n\ndef f(x):\n    """doc"""\n    raise SystemExit(x)\n'
    assert similarity.function_sources(text, ["f", "g"]) == {"f": "    raise SystemExit(x)"}
    notebook = json.dumps(
        {"cells": [{"cell_type": "code", "source": ["%time\n", "def g():\n", "    return 2\n"]}]}
    )
    assert similarity.function_sources(similarity.python_text(notebook.encode(), "ipynb"), ["g"]) == {
        "g": "    return 2"
    }


def test_fingerprints_round_floats_and_tell_values_apart():
    assert similarity.fingerprint([0.1 + 0.2]) == similarity.fingerprint([0.3])
    assert similarity.fingerprint(["0.1"]) != similarity.fingerprint(["0.2"])
    assert similarity.outcome_fingerprint({"status": "error", "error": {"type": "NotImplementedError"}}) == ""


ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Induction heads (4321),Hooks (99)\n"
    "    Points Possible,,,,,14,10\n"
    '"Lovelace, Ada",101,S1,ada@uni.edu,Sec 1,,7\n'
    '"Turing, Alan",102,S2,alan@uni.edu,Sec 1,3,\n'
    '"=Hopper, Grace",103,S3,grace@uni.edu,Sec 2,,\n'
)


def test_canvas_export_fills_the_assignment_column_and_lists_who_is_not_on_the_roster(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    results = [result("ada", {}), result("ALAN", {"detect": False}), result("zed", {})]
    done = lms.export(results, roster, "Induction heads", tmp_path / "canvas.csv")
    with open(tmp_path / "canvas.csv", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Induction heads (4321)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "2"
    assert [r[1] for r in rows[2:]] == ["101", "102", "103"] and [r[-1] for r in rows[2:]] == ["2", "1", ""]
    assert rows[4][0] == "'=Hopper, Grace"
    assert done.unmatched == ["zed"] and done.matched == 2


def test_canvas_export_refuses_a_file_that_is_not_a_canvas_gradebook(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAda,ada@uni.edu\n")
    with pytest.raises(lms.RosterError, match="no column 'Student'"):
        lms.export([result("ada", {})], roster, "Induction heads", tmp_path / "out.csv")
