"""What the class got wrong: class.html, mistakes.csv and the record of what a regrade changed.

Everything here is made from the results folder alone (each student's `<student>.json`), as plain
data (`class_data`), so an old class can be looked at again (`autograder class RESULTS`). A batch
writes it all at its end (`write_class`), similarity included when the submissions are at hand.

Regrades: `.class-state` holds each student's test scores as the class page last saw them.
Before it is replaced, every student whose scores moved is appended to changes.csv (when, student,
before, after, the tests that changed), so no score is overwritten without a record, even when a
batch was stopped before its end: the next run records what the stopped one changed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

from autograder.output import similarity
from autograder.output.results import Result, write_atomically
from autograder.output.text import FORMULA, csv_cell

PAGE = "class.html"
MISTAKES = "mistakes.csv"
CHANGES = "changes.csv"
STATE = ".class-state"  # no .json: a folder of results holds one .json per student, and tools glob them
BINS = 10
CHANGES_SHOWN = 500  # rows of the last regrade on the page; changes.csv has them all


def read_results(folder: Path) -> list[Result]:
    """Every student's result in a results folder (hidden files and other JSON left out)."""
    results = []
    for path in sorted(Path(folder).glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if (
            isinstance(document, dict)
            and isinstance(document.get("tests"), list)
            and "extra_data" in document
        ):
            try:
                results.append(Result.from_gradescope(document, path.stem))
            except (KeyError, TypeError, ValueError):
                continue
    return results


def class_data(results: list[Result]) -> dict:
    """The class as plain data: scores, each function's, each test's pass rate (hardest first),
    each mistake with its students, each status with its students."""
    results = sorted(results, key=lambda r: r.student)
    functions: dict[str, float] = {}
    tests: dict[str, dict] = {}
    for result in results:
        for function, (_, top) in result.by_function().items():
            functions.setdefault(function, top)
        for test in result.tests:
            entry = tests.setdefault(
                test.name, {"name": test.name, "function": test.function, "passed": 0, "of": 0}
            )
            entry["of"] += 1
            entry["passed"] += test.passed
    mistakes: dict[tuple[str, str], list[str]] = defaultdict(list)
    statuses: dict[str, list[str]] = defaultdict(list)
    for result in results:
        statuses[result.status].append(result.student)
        for function, mistake in result.mistakes().items():
            mistakes[(function, mistake)].append(result.student)
    order = list(functions)
    return {
        "students": len(results),
        "max_score": max((r.max_score for r in results), default=0.0),
        "scores": {r.student: r.score for r in results},
        "functions": {
            f: {"max": top, "scores": [r.by_function().get(f, (0.0, top))[0] for r in results]}
            for f, top in functions.items()
        },
        "tests": sorted(
            ({**t, "rate": t["passed"] / t["of"]} for t in tests.values()),
            key=lambda t: (t["rate"], order.index(t["function"]), t["name"]),
        ),
        "mistakes": [
            {"function": f, "mistake": m, "students": who}
            for (f, m), who in sorted(
                mistakes.items(), key=lambda i: (-len(i[1]), order.index(i[0][0]), i[0][1])
            )
        ],
        "statuses": dict(sorted(statuses.items(), key=lambda i: -len(i[1]))),
    }


def write_mistakes(data: dict, path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["function", "mistake", "count", "students"])
    for row in data["mistakes"]:
        writer.writerow(
            [
                row["function"],
                csv_cell(row["mistake"]),
                len(row["students"]),
                csv_cell(" ".join(row["students"])),
            ]
        )
    write_atomically(path, buffer.getvalue().encode())


# --- regrades -------------------------------------------------------------------------------------


def _state(results: list[Result]) -> dict:
    return {r.student: {"score": r.score, "tests": {t.name: t.score for t in r.tests}} for r in results}


def record_changes(results: list[Result], folder: Path, when: str | None = None) -> list[dict]:
    """Appends to changes.csv each student whose scores moved since the page last saw them, then
    keeps the new scores as the state to compare with next time. Returns the rows appended."""
    folder = Path(folder)
    when = when or time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        before = json.loads((folder / STATE).read_text())
    except (OSError, ValueError):
        before = {}
    rows = []
    for student, now in _state(results).items():
        was = before.get(student) if isinstance(before, dict) else None
        if not isinstance(was, dict) or not isinstance(was.get("tests"), dict):
            continue  # graded for the first time: nothing moved
        names = list(now["tests"]) + [n for n in was["tests"] if n not in now["tests"]]
        moved = [
            f"{name}: {_points(was['tests'].get(name))} -> {_points(now['tests'].get(name))}"
            for name in names
            if was["tests"].get(name) != now["tests"].get(name)
        ]
        if moved or was.get("score") != now["score"]:
            rows.append(
                {
                    "when": when,
                    "student": student,
                    "before": _points(was.get("score")),
                    "after": _points(now["score"]),
                    "tests": "; ".join(moved),
                }
            )
    path = folder / CHANGES
    if rows:
        new = not path.exists()
        with open(path, "a", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            if new:
                writer.writerow(["when", "student", "before", "after", "tests"])
            for row in rows:
                writer.writerow(
                    [
                        row["when"],
                        csv_cell(row["student"]),
                        row["before"],
                        row["after"],
                        csv_cell(row["tests"]),
                    ]
                )
            file.flush()
            os.fsync(file.fileno())  # the record is on disk before the state it compares with moves
    write_atomically(folder / STATE, json.dumps(_state(results)).encode())
    return rows


def _points(value) -> str:
    return "absent" if value is None else f"{value:g}"


def _uncell(text: str) -> str:
    """A CSV cell as written, back to the text: the ' that `csv_cell` puts before a formula taken off."""
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA else text


def last_changes(folder: Path) -> tuple[str, list[dict]]:
    """(when, rows) of the most recent regrade that changed a score, from changes.csv."""
    try:
        with open(Path(folder) / CHANGES, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except OSError:
        return "", []
    if not rows:
        return "", []
    when = rows[-1]["when"]
    return when, [row for row in rows if row["when"] == when]


# --- the page --------------------------------------------------------------------------------------


def render(
    data: dict, links: str | None, changes: tuple[str, list[dict]] = ("", []), similar: dict | None = None
) -> str:
    """class.html: `links` is the path from the page to the students' pages (None: no pages)."""
    from autograder.output.html import escape

    def student(name: str) -> str:
        if links is None:
            return escape(name)
        return f"<a href='{escape(links + quote(name))}.html'>{escape(name)}</a>"

    def students(names: list[str]) -> str:
        listed = ", ".join(student(n) for n in names)
        return (
            listed
            if len(names) <= 12
            else f"<details><summary>{len(names)} students</summary>{listed}</details>"
        )

    top = data["max_score"]
    scores = list(data["scores"].values())
    parts = [f"<h1>The class: {data['students']} students</h1>"]
    if scores:
        mean = sum(scores) / len(scores)
        median = sorted(scores)[len(scores) // 2]
        parts.append(f"<p>Mean {mean:.1f}, median {median:g}, of {top:g} points.</p>")
    parts.append(
        "<nav><a href='#scores'>scores</a> · <a href='#tests'>tests</a> · <a href='#mistakes'>mistakes</a>"
        " · <a href='#statuses'>statuses</a> · <a href='#changes'>changes</a> · "
        f"<a href='{similarity.PAGE}'>similarity</a></nav>"
    )
    parts.append("<h2 id='scores'>Scores</h2>" + _histogram(scores, top, "the class's total scores"))
    parts.append("<div class='plots'>")
    for function, entry in data["functions"].items():
        parts.append(
            f"<figure><figcaption>{escape(function)}</figcaption>"
            f"{_histogram(entry['scores'], entry['max'], escape(function))}</figure>"
        )
    parts.append("</div>")
    rows = "".join(
        f"<tr><td>{t['rate']:.0%}</td><td>{t['passed']} of {t['of']}</td><td>{escape(t['name'])}</td></tr>"
        for t in data["tests"]
    )
    parts.append(
        "<h2 id='tests'>Tests, hardest first</h2><div class='wide'><table><tr><th>pass rate</th>"
        f"<th>passed</th><th>test</th></tr>{rows}</table></div>"
    )
    rows = "".join(
        f"<tr><td>{len(m['students'])}</td><td>{escape(m['function'])}</td><td>{escape(m['mistake'])}</td>"
        f"<td>{students(m['students'])}</td></tr>"
        for m in data["mistakes"]
    )
    parts.append(
        "<h2 id='mistakes'>Mistakes</h2><p>A mistake the grader named, else why the function could not be "
        f"called, else its first failed test (also in {MISTAKES}).</p>"
        + (
            "<div class='wide'><table><tr><th>students</th><th>function</th><th>mistake</th>"
            f"<th>who</th></tr>{rows}</table></div>"
            if rows
            else "<p>No function failed.</p>"
        )
    )
    rows = "".join(
        f"<tr><td>{escape(status)}</td><td>{len(names)}</td><td>{students(names)}</td></tr>"
        for status, names in data["statuses"].items()
    )
    parts.append(
        f"<h2 id='statuses'>Statuses</h2><div class='wide'><table><tr><th>status</th><th>students</th>"
        f"<th>who</th></tr>{rows}</table></div>"
    )
    when, moved = changes
    if moved:
        rows = "".join(
            f"<tr><td>{student(_uncell(r['student']))}</td><td>{escape(r['before'])}</td>"
            f"<td>{escape(r['after'])}</td><td>{escape(r['tests'])}</td></tr>"
            for r in moved[:CHANGES_SHOWN]
        )
        more = (
            f"<p>And {len(moved) - CHANGES_SHOWN} more in {CHANGES}.</p>"
            if len(moved) > CHANGES_SHOWN
            else ""
        )
        parts.append(
            f"<h2 id='changes'>What the last regrade changed ({escape(when)})</h2>"
            f"<p>{len(moved)} students' scores moved; every regrade's changes are in {CHANGES}.</p>"
            "<div class='wide'><table><tr><th>student</th>"
            f"<th>before</th><th>after</th><th>tests that changed</th></tr>{rows}</table></div>{more}"
        )
    else:
        parts.append("<h2 id='changes'>Changes after a regrade</h2><p>No regrade has changed a score.</p>")
    if similar is not None:
        listed = ", ".join(f"{escape(f)}: {n}" for f, n in similar.items()) or "none"
        parts.append(
            f"<h2>Similarity</h2><p>Pairs worth a look, per function: {listed}. See "
            f"<a href='{similarity.PAGE}'>the similarity page</a> for what the score means.</p>"
        )
    return _page("Class analytics", "\n".join(parts))


CLASS_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1em auto; max-width: 1100px; padding: 0 0.8em;
       color: #222; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
.wide { overflow-x: auto; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; flex: 1 1 16em; } figcaption { font-weight: bold; }
svg { width: 100%; height: auto; max-width: 36em; }
svg text { font-size: 11px; fill: #444; }
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>{CLASS_STYLE}</style></head><body>{body}</body></html>"
    )


def _histogram(values: list[float], top: float, label: str) -> str:
    """A bar chart as inline SVG (no script, renders anywhere): how many scored in each tenth."""
    width, height, gap = 360, 150, 2
    if top <= 0 or not values:
        return "<p>No scores.</p>"
    distinct = sorted({round(v, 6) for v in values})
    if len(distinct) <= BINS:  # few possible scores (a function of one or two tests): one bar each
        edges = [(v, v) for v in distinct]
        counts = Counter(round(v, 6) for v in values)
        heights = [counts[v] for v in distinct]
        names = [f"{v:g}" for v in distinct]
    else:
        heights = [0] * BINS
        for v in values:
            heights[min(int(BINS * v / top), BINS - 1)] += 1
        edges = [(top * i / BINS, top * (i + 1) / BINS) for i in range(BINS)]
        names = [f"{low:g}-{high:g}" for low, high in edges]
    most = max(heights) or 1
    bar = width / len(heights)
    shapes = []
    for i, (count, name) in enumerate(zip(heights, names, strict=False)):
        h = (height - 40) * count / most
        x, y = i * bar, height - 20 - h
        shapes.append(
            f"<rect x='{x + gap:.1f}' y='{y:.1f}' width='{bar - 2 * gap:.1f}' height='{h:.1f}' "
            "fill='#4c78a8'>"
            f"<title>{name}: {count}</title></rect>"
            f"<text x='{x + bar / 2:.1f}' y='{y - 3:.1f}' text-anchor='middle'>{count or ''}</text>"
            f"<text x='{x + bar / 2:.1f}' y='{height - 6}' text-anchor='middle'>{name}</text>"
        )
    return (
        f"<svg viewBox='0 0 {width} {height}' role='img' aria-label='{label}' class='histogram'>"
        + "".join(shapes)
        + "</svg>"
    )


# --- the whole --------------------------------------------------------------------------------------


def write_class(
    results_dir: Path,
    results: list[Result] | None = None,
    *,
    html_dir: Path | None = None,
    sources: dict[str, dict[str, str]] | None = None,
    stubs: dict[str, str] | None = None,
) -> dict:
    """class.html, mistakes.csv, changes.csv and, where there is something to compare,
    similarity.csv and similarity.html, in `results_dir`. `results`: the class (default: read from
    the folder); `html_dir`: where the students' pages are, for links (and index.html's link here);
    `sources`: {student: {function: source}} for similarity's text evidence (without it, similarity
    is rewritten only if none was written before). Returns the class data."""
    results_dir = Path(results_dir)
    results = read_results(results_dir) if results is None else results
    data = class_data(results)
    if results:  # an empty class (nothing graded yet) keeps the state it would otherwise wipe
        record_changes(results, results_dir)
    write_mistakes(data, results_dir / MISTAKES)
    links = None
    if html_dir is not None:
        links = quote(os.path.relpath(Path(html_dir), results_dir).replace(os.sep, "/")) + "/"
        links = "" if links == "./" else links
    similar = None
    if sources is not None or not (results_dir / similarity.CSV).exists():
        pairs = similarity.rank(results, sources, stubs)
        similarity.write_csv(pairs, results_dir / similarity.CSV)
        similarity.write_page(pairs, sources or {}, results_dir / similarity.PAGE, links)
        similar = dict(similarity.counts(pairs))
    page = render(data, links, last_changes(results_dir), similar)
    write_atomically(results_dir / PAGE, page.encode())
    if html_dir is not None and results:
        from autograder.output.html import write_index

        write_index(
            results, Path(html_dir), class_page=quote(os.path.relpath(results_dir / PAGE, Path(html_dir)))
        )
    return data


def write_after_batch(
    results_dir: Path,
    results: list[Result],
    html_dir: Path | None,
    submissions: list,
    functions: list[str],
    stub: Path | None = None,
) -> None:
    """The class's analytics at the end of a batch: `submissions` (each with .student, .data and
    .format) give the functions' sources, `stub` the exercise's file, whose lines are no evidence.
    A failure here costs no student a result: it is said in a line, and the results stand."""
    import sys

    try:
        sources = {
            s.student: similarity.function_sources(similarity.python_text(s.data, s.format), functions)
            for s in submissions
            if s.data
        }
        stubs = {}
        if stub is not None and Path(stub).exists():
            stubs = similarity.function_sources(
                similarity.python_text(Path(stub).read_bytes(), Path(stub).suffix.lstrip(".")), functions
            )
        write_class(results_dir, results, html_dir=html_dir, sources=sources, stubs=stubs)
    except Exception as error:  # noqa: BLE001 - a fault of the analytics, never of a grade
        print(f"warning: the class analytics were not written: {error!r}", file=sys.stderr)
