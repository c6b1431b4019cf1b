"""Writers for results: Gradescope JSON (results.py), a CSV gradebook, JUnit XML, and the terminal.

Each takes finished `Result`s and writes one format; none of them grades anything.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from autograder.paths import write_atomically
from autograder.results import Result


def write_gradebook(results: list[Result], path: Path) -> None:
    """One row per student, one column per test (its score), then the total and the maximum."""
    names: list[str] = []
    for result in results:
        names += [t.name for t in result.tests if t.name not in names]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", *names, "total", "max_score"])
    for result in sorted(results, key=lambda r: r.student):
        scores = {t.name: t.score for t in result.tests}
        writer.writerow(
            [
                result.student,
                *(_number(scores.get(n, 0.0)) for n in names),
                _number(result.score),
                _number(result.max_score),
            ]
        )
    write_atomically(path, buffer.getvalue().encode())


def _number(value: float) -> str:
    return f"{value:g}"


def write_junit(results: list[Result], path: Path) -> None:
    """JUnit XML: a test suite per submission, a test case per test, failures with their messages."""
    suites = ET.Element("testsuites", name="induction-heads autograder")
    for result in results:
        failed = [t for t in result.tests if not t.passed]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=result.student,
            tests=str(len(result.tests)),
            failures=str(len(failed)),
            errors="0",
            time=f"{result.seconds:.3f}",
        )
        ET.SubElement(suite, "properties").extend(
            [
                ET.Element("property", name="score", value=_number(result.score)),
                ET.Element("property", name="max_score", value=_number(result.max_score)),
            ]
        )
        for test in result.tests:
            case = ET.SubElement(
                suite, "testcase", classname=f"{result.student}.{test.function}", name=test.name, time="0"
            )
            if not test.passed:
                failure = ET.SubElement(
                    case, "failure", message=test.output.split("\n", 1)[0][:300], type="AssertionError"
                )
                failure.text = test.output
        if result.output:
            ET.SubElement(suite, "system-out").text = result.output
    ET.indent(suites)
    write_atomically(path, ET.tostring(suites, encoding="utf-8", xml_declaration=True))


def summary(results: list[Result]) -> str:
    """The score distribution and the tests failed most often, for the end of a batch."""
    if not results:
        return "No submissions graded."
    scores = sorted(r.score for r in results)
    top = max(r.max_score for r in results) or 1.0
    lines = [
        f"{len(results)} submissions: mean {sum(scores) / len(scores):.1f}, "
        f"median {scores[len(scores) // 2]:g}, min {scores[0]:g}, max {scores[-1]:g} (of {top:g})"
    ]
    bins = Counter(min(int(10 * s / top), 9) for s in scores)
    for b in range(10):
        low = b * top / 10
        lines.append(f"  {low:5.0f}-{low + top / 10:<5.0f} {'#' * bins[b]} {bins[b] or ''}".rstrip())
    failures = Counter(t.name for r in results for t in r.tests if not t.passed)
    if failures:
        lines.append("Most often failed:")
        lines += [f"  {count:4d}  {name}" for name, count in failures.most_common(8)]
    return "\n".join(lines)


def print_result(result: Result, console=None) -> None:
    """A student's view: a table of tests, then the messages of the failed ones."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"{result.student}: {result.score:g} / {result.max_score:g}", show_lines=False)
    table.add_column("", width=4)
    table.add_column("points", justify="right")
    table.add_column("test")
    for test in result.tests:
        mark = "[green]PASS[/]" if test.passed else "[red]FAIL[/]"
        table.add_row(mark, f"{test.score:g}/{test.max_score:g}", test.name)
    console.print(table)
    hinted = set()  # a function's likely mistake is the same in each of its tests: say it once
    for test in result.tests:
        if not test.passed and test.output:
            lines = test.output.splitlines()
            if test.function in hinted:
                lines = [line for line in lines if not line.startswith("Likely mistake:")]
            hinted |= {test.function} if any(line.startswith("Likely mistake:") for line in lines) else set()
            console.print(f"[bold red]{test.name}[/]", highlight=False)
            console.print("\n".join(lines), markup=False, highlight=False)
            console.print()
    if result.protections_off:
        console.print(
            "[yellow]Protections off in this run:[/] "
            + "; ".join(f"{name} ({why})" for name, why in result.protections_off.items()),
            highlight=False,
        )
