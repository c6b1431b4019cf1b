"""Writers: Gradescope JSON, the CSV gradebook and JUnit XML, from results made by hand."""

import csv
import json
import xml.etree.ElementTree as ET

from autograder import reporters
from autograder.results import Result, TestResult


def results():
    passed = TestResult("f: works", "f", 2.0, 2.0)
    failed = TestResult("g: also works, with a comma", "g", 0.0, 3.0, "On input x: expected 1, got 2")
    return [
        Result("bob", [passed, failed], "printed <stuff>", 0.5),
        Result("alice", [TestResult("f: works", "f", 0.0, 2.0, "raised"), failed], "", 0.25),
    ]


def test_gradescope_json_has_the_fields_gradescope_reads(tmp_path):
    result = results()[0]
    result.write(tmp_path / "bob.json")
    document = json.loads((tmp_path / "bob.json").read_text())
    assert document["score"] == 2.0 and document["max_score"] == 5.0
    assert [t["status"] for t in document["tests"]] == ["passed", "failed"]
    assert {"name", "score", "max_score", "status", "output"} <= set(document["tests"][0])
    assert all(t["name"].split(":")[0] in ("f", "g") for t in document["tests"])
    assert Result.read(tmp_path / "bob.json").score == 2.0


def test_gradebook_has_a_row_per_student_and_a_column_per_test(tmp_path):
    reporters.write_gradebook(results(), tmp_path / "gradebook.csv")
    rows = list(csv.DictReader((tmp_path / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == ["alice", "bob"]
    assert rows[1]["f: works"] == "2" and rows[1]["g: also works, with a comma"] == "0"
    assert rows[0]["total"] == "0" and rows[1]["total"] == "2" and rows[0]["max_score"] == "5"


def test_junit_marks_failures_with_their_messages(tmp_path):
    reporters.write_junit(results(), tmp_path / "junit.xml")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["bob", "alice"]
    assert suites[0].get("failures") == "1" and suites[1].get("failures") == "2"
    failure = suites[0].find("testcase[@name='g: also works, with a comma']/failure")
    assert failure is not None and "expected 1, got 2" in failure.text
    assert suites[0].find("system-out").text == "printed <stuff>"


def test_summary_counts_the_most_failed_tests():
    text = reporters.summary(results())
    assert "2 submissions" in text
    assert "2  g: also works, with a comma" in text
