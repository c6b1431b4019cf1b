"""HTML feedback pages: one per submission, an index of the class, and one shared script file.

A page holds the score, the status and the top-level problems (once, at the top), the table of tests
and their messages, the sections the exercise's pack adds (plots of the student's values beside the
reference's), and what the submission printed. Pages load plotly.js and circuitsvis's bundle from
`report-assets.js` beside them, written once per folder, so a class's pages stay small; everything
is local, so they render offline. Every text a student wrote is escaped; values are plain data.
"""

from __future__ import annotations

import functools
import html
import json
import threading
from pathlib import Path

from autograder.output.atomic import write_atomically
from autograder.output.results import Result

ASSETS = "report-assets.js"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
.pass { color: #1a7f37; font-weight: bold; } .fail { color: #cf222e; font-weight: bold; }
pre { white-space: pre-wrap; margin: 0; font-size: 0.85em; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
.problems { background: #fff8c5; border: 1px solid #d4a72c; padding: 0.5em 1em; }
"""


def escape(text: str) -> str:
    return html.escape(str(text), quote=True)


def script_json(value) -> str:
    """JSON to embed in a <script>: nothing in it can close the script or open a comment."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_RENDERING = threading.Lock()  # a pack's plotting libraries import lazily: one page at a time


def write_html(result: Result, grader, path: Path) -> None:
    """The page of one result; `grader` gives the pack and the reference its sections show."""
    path = Path(path)
    with _RENDERING:
        write_assets(path.parent)
        sections = grader.pack.report(result, grader) if grader.pack.report else []
        page_text = render(result, sections)
    write_atomically(path, page_text.encode())


def render(result: Result, sections: list[tuple[str, str]]) -> str:
    """The page: `sections` are (heading, HTML) pairs from the pack, already escaped."""
    parts = [
        f"<h1>{escape(result.student)}: {result.score:g} / {result.max_score:g}</h1>",
        f"<p>Status: {escape(result.status)}</p>",
    ]
    if result.problems or result.notes:
        items = "".join(f"<li>{escape(p)}</li>" for p in result.problems)
        notes = f"<p>{escape('Notes: ' + '; '.join(result.notes))}</p>" if result.notes else ""
        heading = "<h2>Problems in the file's top-level code</h2>" if result.problems else ""
        parts.append(f"<div class='problems'>{heading}<ul>{items}</ul>{notes}</div>")
    parts.append(_table(result))
    for heading, body in sections:
        parts.append(f"<h2>{escape(heading)}</h2>\n{body}")
    if result.output:
        parts.append(f"<h2>What the submission printed</h2><pre>{escape(result.output)}</pre>")
    return page(escape(result.student), "\n".join(parts))


def page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{STYLE}</style><script src='{ASSETS}'></script></head><body>{body}</body></html>"
    )


def _table(result: Result) -> str:
    rows = []
    for test in result.tests:
        mark = "<span class='pass'>PASS</span>" if test.passed else "<span class='fail'>FAIL</span>"
        message = f"<pre>{escape(test.output)}</pre>" if test.output else ""
        rows.append(
            f"<tr><td>{mark}</td><td>{test.score:g}/{test.max_score:g}</td><td>{escape(test.name)}{message}</td></tr>"
        )
    return "<table><tr><th></th><th>points</th><th>test</th></tr>" + "".join(rows) + "</table>"


def write_index(results: list[Result], folder: Path, class_page: str | None = None) -> Path:
    """index.html: every student, score and status, linking to their page (and to `class_page`,
    the class's analytics, where given: a path relative to the folder)."""
    rows = "".join(
        f"<tr><td><a href='{escape(_href(r.student))}.html'>{escape(r.student)}</a></td>"
        f"<td>{r.score:g} / {r.max_score:g}</td><td>{escape(r.status)}</td><td>{escape(r.reason())}</td></tr>"
        for r in sorted(results, key=lambda r: r.student)
    )
    body = (
        f"<h1>{len(results)} submissions</h1>"
        + (
            f"<p><a href='{escape(class_page)}'>What the class got wrong, and similarity</a></p>"
            if class_page
            else ""
        )
        + "<table><tr><th>student</th><th>score</th><th>status</th>"
        f"<th>why</th></tr>{rows}</table>"
    )
    path = Path(folder) / "index.html"
    write_atomically(path, page("Class results", body).encode())
    return path


def _href(student: str) -> str:
    from urllib.parse import quote

    return quote(student)


def write_assets(folder: Path) -> None:
    """plotly.js and circuitsvis's bundle, in one file the pages share (written when it changes)."""
    path = Path(folder) / ASSETS
    text = assets()
    if not path.exists() or path.stat().st_size != len(text.encode()):
        write_atomically(path, text.encode())


@functools.cache
def assets() -> str:
    from plotly.offline import get_plotlyjs

    parts = [get_plotlyjs()]
    try:
        import circuitsvis

        parts.append((Path(circuitsvis.__file__).parent / "dist" / "cdn" / "iife.js").read_text())
    except (ImportError, OSError):
        pass
    return "\n;\n".join(parts)


# --- pieces a pack's sections are made of ------------------------------------------------------


def attention_view(tokens: list[str], attention) -> str:
    """circuitsvis's attention patterns view of `attention` [heads, query, key] (its bundle is in
    the assets): a closed div (a self-closing one swallows the rest of the page) and its call."""
    import uuid

    element = f"circuits-vis-{uuid.uuid4().hex[:12]}"
    props = script_json({"tokens": [str(t) for t in tokens], "attention": attention.tolist()})
    return (
        f"<div id='{element}' style='margin: 15px 0;'></div>"
        f"<script>CircuitsVis.render({json.dumps(element)}, CircuitsVis.AttentionPatterns, {props});</script>"
    )


def figure(fig) -> str:
    """A plotly figure as a fixed-size div and its script (plotly.js is in the assets)."""
    return fig.to_html(
        full_html=False, include_plotlyjs=False, default_width="560px", config={"responsive": True}
    )
