"""Writers: Gradescope JSON, the CSV gradebook and JUnit XML, from results made by hand."""

import csv
import json
import xml.etree.ElementTree as ET

from autograder.output import reporters
from autograder.output.results import Result, TestResult


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


def test_gradebook_has_a_row_per_student_status_and_subtotals(tmp_path):
    reporters.write_gradebook(results(), tmp_path / "gradebook.csv")
    rows = list(csv.DictReader((tmp_path / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == ["alice", "bob"]
    assert rows[1]["f (of 2)"] == "2" and rows[1]["g (of 3)"] == "0" and rows[1]["status"] == "graded"
    assert rows[0]["total"] == "0" and rows[1]["total"] == "2" and rows[0]["max_score"] == "5"
    reporters.write_test_gradebook(results(), tmp_path / "tests.csv")
    rows = list(csv.DictReader((tmp_path / "tests.csv").open()))
    assert rows[1]["f: works"] == "2" and rows[1]["g: also works, with a comma"] == "0"


def test_gradebook_cells_are_never_formulas(tmp_path):
    evil = Result(
        '=HYPERLINK("http://x","y")',
        [TestResult("f: works", "f", 0.0, 1.0)],
        status="not imported",
        problems=["+cmd|' /C calc'!A0"],
    )
    reporters.write_gradebook([evil], tmp_path / "gradebook.csv")
    reporters.write_test_gradebook([evil], tmp_path / "tests.csv")
    for name in ("gradebook.csv", "tests.csv"):
        for row in csv.reader((tmp_path / name).open()):
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_junit_stays_parseable_whatever_a_student_wrote(tmp_path):
    nasty = Result("s\x01", [TestResult("f: x", "f", 0.0, 1.0, "bad \x00\x1b[2J \ud800 end")], "\x0c out")
    reporters.write_junit([nasty], tmp_path / "junit.xml")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert "end" in root.find("testsuite/testcase/failure").text


def test_junit_marks_failures_with_their_messages(tmp_path):
    reporters.write_junit(results(), tmp_path / "junit.xml")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["bob", "alice"]
    assert suites[0].get("failures") == "1" and suites[1].get("failures") == "2"
    failure = suites[0].find("testcase[@name='g: also works, with a comma']/failure")
    assert failure is not None and "expected 1, got 2" in failure.text
    assert suites[0].find("system-out").text == "printed <stuff>"
    assert suites[0].find("properties/property[@name='status']").get("value") == "graded"


def test_summary_counts_the_most_failed_tests():
    text = reporters.summary(results())
    assert "2 submissions" in text
    assert "2  g: also works, with a comma" in text
