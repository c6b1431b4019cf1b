"""Writers for results: a CSV gradebook, JUnit XML, a class summary and the terminal (the
Gradescope JSON is in results.py, the HTML pages in html.py).

Each takes finished `Result`s and writes one format, escaped for it (text.py); none grades anything.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from autograder.output.atomic import write_atomically
from autograder.output.results import Result
from autograder.output.text import ci_safe, csv_cell, markdown_code, markdown_text, terminal, xml_text

# A note in brackets that ends a message line (brackets within it one deep: `raise X()`).
NOTE = re.compile(r" \(((?:[^()]|\([^()]*\))*)\)$")


def write_gradebook(results: list[Result], path: Path) -> None:
    """One row per student: status, total, each function's subtotal, and why the score is what it is."""
    functions: list[str] = []
    tops: dict[str, float] = {}
    for result in results:
        for function, (_, top) in result.by_function().items():
            if function not in functions:
                functions.append(function)
            tops[function] = top
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["student", "status", "total", "max_score", *(f"{f} (of {tops[f]:g})" for f in functions), "why"]
    )
    for result in sorted(results, key=lambda r: r.student):
        subtotals = result.by_function()
        writer.writerow(
            [
                csv_cell(result.student),
                result.status,
                _number(result.score),
                _number(result.max_score),
                *(_number(subtotals.get(f, (0.0, 0.0))[0]) for f in functions),
                csv_cell(result.reason()),
            ]
        )
    write_atomically(path, buffer.getvalue().encode())


def write_test_gradebook(results: list[Result], path: Path) -> None:
    """One row per student, one column per test (its score): for looking into one test."""
    names: list[str] = []
    for result in results:
        names += [t.name for t in result.tests if t.name not in names]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", *map(csv_cell, names), "total"])
    for result in sorted(results, key=lambda r: r.student):
        scores = {t.name: t.score for t in result.tests}
        writer.writerow(
            [csv_cell(result.student), *(_number(scores.get(n, 0.0)) for n in names), _number(result.score)]
        )
    write_atomically(path, buffer.getvalue().encode())


def _number(value: float) -> str:
    return f"{value:g}"


def write_junit(results: list[Result], path: Path) -> None:
    """JUnit XML: a test suite per submission, a test case per test, failures with their messages."""
    suites = ET.Element("testsuites", name="autograder")
    for result in results:
        failed = [t for t in result.tests if not t.passed]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=xml_text(result.student),
            tests=str(len(result.tests)),
            failures=str(len(failed)),
            errors="0",
            time=f"{result.seconds:.3f}",
        )
        ET.SubElement(suite, "properties").extend(
            [
                ET.Element("property", name="score", value=_number(result.score)),
                ET.Element("property", name="max_score", value=_number(result.max_score)),
                ET.Element("property", name="status", value=result.status),
            ]
        )
        for test in result.tests:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=xml_text(f"{result.student}.{test.function}"),
                name=xml_text(test.name),
                time="0",
            )
            if not test.passed:
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=xml_text(test.output.split("\n", 1)[0][:300]),
                    type="AssertionError",
                )
                failure.text = xml_text(test.output)
        printed = "\n\n".join(part for part in (result.header(), result.output) if part)
        if printed:
            ET.SubElement(suite, "system-out").text = xml_text(printed)
    ET.indent(suites)
    write_atomically(path, ET.tostring(suites, encoding="utf-8", xml_declaration=True))


def append_markdown(results: list[Result], path: Path) -> None:
    """A Markdown summary (GitHub's $GITHUB_STEP_SUMMARY): each submission's score and status, and
    each failed test with its message, as text. Appended, as GitHub expects."""
    parts = []
    for result in results:
        parts.append(
            f"### {markdown_text(result.student)}: {result.score:g} / {result.max_score:g} "
            f"({markdown_text(result.status)})"
        )
        if result.problems:
            parts.append(markdown_code("\n".join(result.problems)))
        rows = [
            f"| {'PASS' if s >= m else 'FAIL'} | {s:g}/{m:g} | {markdown_text(f)} |"
            for f, (s, m) in result.by_function().items()
        ]
        parts.append("| | points | function |\n|---|---|---|\n" + "\n".join(rows))
        for test in result.tests:
            if not test.passed and test.output:
                parts.append(f"**{markdown_text(test.name)}**\n\n{markdown_code(test.output)}")
    inputs = sorted({result.inputs or "unknown" for result in results})
    parts.insert(0, f"Inputs: {', '.join(inputs)}")
    with open(path, "a", encoding="utf-8") as file:
        file.write(ci_safe("\n\n".join(parts) + "\n"))


def summary(results: list[Result], not_graded: int | dict[str, str] = 0) -> str:
    """The score distribution, how many of each status, the tests failed most often, the inputs, and
    who was not graded and why (`not_graded`: a count, or student -> reason)."""
    reasons = not_graded if isinstance(not_graded, dict) else {}
    not_graded = len(not_graded) if isinstance(not_graded, dict) else not_graded
    unlisted = [f"  {student}: {why}" for student, why in sorted(reasons.items())]
    if not results:
        return "\n".join(
            ["No submissions graded." + (f" {not_graded} could not be graded:" if not_graded else "")]
            + unlisted
        )
    scores = sorted(r.score for r in results)
    top = max(r.max_score for r in results) or 1.0
    lines = [
        f"{len(results)} submissions: mean {sum(scores) / len(scores):.1f}, "
        f"median {scores[len(scores) // 2]:g}, min {scores[0]:g}, max {scores[-1]:g} (of {top:g})"
    ]
    statuses = Counter(r.status for r in results)
    lines.append(
        "  "
        + ", ".join(f"{statuses[s]} {s}" for s in sorted(statuses, key=lambda s: -statuses[s]))
        + (f", {not_graded} NOT GRADED (see grading.log)" if not_graded else "")
    )
    bins = Counter(min(int(10 * s / top), 9) for s in scores)
    for b in range(10):
        low = b * top / 10
        lines.append(f"  {low:5.0f}-{low + top / 10:<5.0f} {'#' * bins[b]} {bins[b] or ''}".rstrip())
    failures = Counter(t.name for r in results for t in r.tests if not t.passed)
    if failures:
        lines.append("Most often failed:")
        lines += [f"  {count:4d}  {name}" for name, count in failures.most_common(8)]
    inputs = Counter(r.inputs or "unknown" for r in results)
    lines.append("Inputs: " + ", ".join(f"{label} ({count})" for label, count in sorted(inputs.items())))
    if unlisted:
        lines.append("Not graded:")
        lines += unlisted
    return "\n".join(lines)


def print_result(result: Result, console=None, verbose: bool = False, verbose_how: str = "-v") -> None:
    """A student's view: the top-level problems once, then a line per function with what is wrong
    first, and the likely mistake where one is recognised. With `verbose`, every test and every
    message in full; `verbose_how` says how to ask for that where the view is printed."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(highlight=False)
    if result.problems or result.notes:
        console.print(terminal(result.header()), highlight=False)
        console.print()
    table = Table(
        title=terminal(f"{result.student}: {result.score:g} / {result.max_score:g}"), show_lines=False
    )
    table.add_column("", width=4)
    table.add_column("points", justify="right")
    table.add_column("test" if verbose else "function")
    failing = [t for t in result.tests if not t.passed]
    shared: list[str] = []  # notes that end several functions' lines, said once below the table
    if verbose:
        for test in result.tests:
            table.add_row(_mark(test.passed), f"{test.score:g}/{test.max_score:g}", terminal(test.name))
    else:
        firsts = {}
        for test in failing:
            if test.output:
                firsts.setdefault(test.function, test.output.splitlines()[0])
        firsts, shared = _shared_notes(firsts)
        for function, (score, top) in result.by_function().items():
            row = terminal(function)
            if function in firsts:
                row += "\n[dim]" + terminal(_short(firsts[function])) + "[/]"
            table.add_row(_mark(score >= top), f"{score:g}/{top:g}", row)
    console.print(table)
    for note in shared:
        console.print(terminal(note), highlight=False)
    hinted = set()  # a function's likely mistake is the same in each of its tests: say it once
    for test in failing if verbose else _first_per_function(failing):
        lines = test.output.splitlines()
        if not verbose:  # the input's message in full and the hint; tracebacks and the rest with -v
            lines = [line for line in lines if line.startswith("Likely mistake:")]
            if not lines:
                continue
        if test.function in hinted:
            lines = [line for line in lines if not line.startswith("Likely mistake:")]
        hinted |= {test.function} if any(line.startswith("Likely mistake:") for line in lines) else set()
        if lines:
            console.print(f"[bold red]{terminal(test.name)}[/]", highlight=False)
            console.print(terminal("\n".join(lines)), highlight=False)
            console.print()
    if failing and not verbose:
        console.print(f"[dim]{terminal(verbose_how)} shows every test, with every message in full.[/]")
    if result.protections_off:
        console.print(
            "[yellow]Protections off in this run:[/] "
            + terminal("; ".join(f"{name} ({why})" for name, why in result.protections_off.items())),
            highlight=False,
        )


def _shared_notes(lines: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The note in brackets that ends several functions' lines (say, "(not written yet: ...)"), taken
    out of each and said once: (the lines without it, the notes as sentences)."""
    notes = Counter(NOTE.search(line)[1] for line in lines.values() if NOTE.search(line))
    shared = [note for note, count in notes.items() if count > 1]
    kept = {}
    for function, line in lines.items():
        found = NOTE.search(line)
        kept[function] = line[: found.start()] if found and found[1] in shared else line
    return kept, [note[:1].upper() + note[1:] + "." for note in shared]


def _short(line: str, width: int = 160) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


def _mark(passed: bool) -> str:
    return "[green]PASS[/]" if passed else "[red]FAIL[/]"


def _first_per_function(failing):
    seen, first = set(), []
    for test in failing:
        if test.function not in seen:
            seen.add(test.function)
            first.append(test)
    return first
