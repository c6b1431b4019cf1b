"""Per-function similarity between the students of a class: ranked evidence, never an accusation.

Two kinds of evidence, each a number between 0 and 1, combined as independent clues
(1 - (1 - behaviour) * (1 - text)):

- behaviour: the judge keeps, for each function, a short hash of what it returned on each input
  (`fingerprints`, made on the judge side from plain data). Two students who returned the same
  value on an input share evidence by how rare that value is: 1 when only they returned it,
  1 / (count - 1) when count students did. A value some student who passed the function returned
  is a right one and counts nothing: returning it is what every student should do. A wrong answer
  the grader names (one of the usual wrong versions it simulates) counts a quarter: students make
  those on their own.
- text: the function's source, read with `ast` from the submission (never run), without its
  docstring, normalised (the names it chose, strings, comments and formatting taken out; keywords,
  builtins and attributes kept: they say how it works), then fingerprinted by copydetect (winnowed
  k-grams, the stub's own removed as boilerplate); the page marks the matching passages with
  copydetect's own comparison. A shared fingerprint counts by its rarity in the class as above, so
  what the exercise makes everyone write counts (almost) nothing.

Both scores are sum(w^2 over what the two share) / sum(w over what either has): how much they
share, by rarity, times how rare what they share is.

Independent right answers to a short exercise share common text and no wrong output, so they rank
below pairs that share an unusual wrong answer or unusual text. A high score says "look at these
two"; it never says who copied, or that anyone did.
"""

from __future__ import annotations

import ast
import builtins
import csv
import hashlib
import io
import json
import keyword
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograder.output.results import UNRUN, Result
from autograder.output.text import csv_cell

CSV = "similarity.csv"
PAGE = "similarity.html"
MAX_CASES = 64  # fingerprints kept per function: the result file stays small
MAX_SOURCE_CHARS = 20_000  # of one function, for the text evidence and the page
KEPT = 200  # pairs kept per function (the highest scores)
SHOWN = 10  # pairs shown side by side per function on the page
FLOOR = 0.15  # pairs below this are not listed: nothing to look at
KNOWN = 0.25  # what sharing a mistake the grader names counts, of what sharing another would
CAP = 10  # what more students than this share is no reason to compare them (it scores 1/9 at most)
SAMPLED = 4096  # entries of an array that go into its fingerprint
K, WINDOW = 12, 3  # copydetect's k-gram length (in normalised characters) and winnowing window
NO_EVIDENCE = ""  # a case that says nothing about who wrote what (not written yet, not run)


# --- behaviour: fingerprints of outputs, made on the judge side -----------------------------------


def fingerprint(value) -> str:
    """A 12-hex-digit hash of a decoded value (plain data, tensors as arrays, records), floats
    rounded so that the same computation gives the same hash."""
    digest = hashlib.blake2b(digest_size=6)
    _feed(digest, value, 0)
    return digest.hexdigest()


def _feed(digest, value, depth: int) -> None:
    if depth > 12:
        digest.update(b"<deep>")
    elif value is None or isinstance(value, (bool, int, str)):
        digest.update(f"{type(value).__name__}:{str(value)[:10_000]};".encode("utf-8", "replace"))
    elif isinstance(value, float):
        digest.update(f"float:{value:.4g};".encode())
    elif isinstance(value, (list, tuple)):
        digest.update(f"{type(value).__name__}[{len(value)}:".encode())
        for item in value[:10_000]:
            _feed(digest, item, depth + 1)
    elif isinstance(value, dict):
        digest.update(f"dict[{len(value)}:".encode())
        for key in sorted(value, key=str)[:1_000]:
            digest.update(str(key).encode("utf-8", "replace"))
            _feed(digest, value[key], depth + 1)
    elif hasattr(getattr(value, "values", None), "dtype"):  # a tensor or an array
        _feed_array(digest, value.values)
    elif isinstance(getattr(value, "fields", None), dict):  # a record: its class and fields
        digest.update(f"record:{getattr(value, 'cls', '')}".encode("utf-8", "replace"))
        _feed(digest, value.fields, depth + 1)
    else:  # an object that did not travel as data: its class and its repr
        digest.update(
            f"object:{getattr(value, 'cls', '')}:{getattr(value, 'text', '')}".encode("utf-8", "replace")
        )


def _feed_array(digest, array) -> None:
    import numpy as np

    array = np.asarray(array)
    digest.update(f"array{array.shape}:{array.dtype.kind}:".encode())
    if array.size > SAMPLED:  # entries spread over the whole array: as telling, and cheap to round
        array = array.reshape(-1)[:: (array.size + SAMPLED - 1) // SAMPLED]
    if array.dtype.kind in "fc":
        array = np.round(array.astype(np.float64), 3) + 0.0  # + 0.0: -0.0 and 0.0 alike
    elif array.dtype.kind not in "biu":
        array = array.astype(str)
    digest.update(np.ascontiguousarray(array).tobytes())


def outcome_fingerprint(outcome: dict | None) -> str:
    """The fingerprint of one call's outcome (as the worker reported it): its value's, or its
    exception's type and message; no evidence for a call not run or a stub not written yet."""
    if not outcome:
        return NO_EVIDENCE
    if outcome.get("status") == "error":
        error = outcome.get("error") or {}
        if error.get("type") == "NotImplementedError":
            return NO_EVIDENCE
        return fingerprint(("error", str(error.get("type")), str(error.get("message"))[:300]))
    return fingerprint(outcome.get("value"))


def fingerprints(outcomes: dict, cases_by_function: dict[str, list[str]]) -> dict:
    """{function: [a fingerprint per input]}, at most MAX_CASES inputs each. Right answers are kept
    too: they tell how common each output is, so that sharing the right one counts little."""
    return {
        function: [outcome_fingerprint(outcomes.get(case)) for case in cases[:MAX_CASES]]
        for function, cases in cases_by_function.items()
    }


# --- text: each function's source, read with ast (never run) --------------------------------------


def python_text(data: bytes, format: str) -> str:
    """A submission's Python source: the file, or a notebook's code cells (magics commented out)."""
    text = data.decode("utf-8", "replace")
    if format != "ipynb":
        return text
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return ""
    parts = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        parts.append(
            "\n".join(
                "# " + line if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")
            )
        )
    return "\n\n".join(parts)


def function_sources(text: str, names: list[str]) -> dict[str, str]:
    """{name: the body of its last top-level definition, docstring left out}, for the names defined.
    A file that does not parse is read cell by cell (a notebook) or not at all."""
    try:
        chunks = [ast.parse(text)]
        lines = [text.splitlines()]
    except (SyntaxError, ValueError, RecursionError):
        chunks, lines = [], []
        for part in text.split("\n\n"):
            try:
                chunks.append(ast.parse(part))
                lines.append(part.splitlines())
            except (SyntaxError, ValueError, RecursionError):
                continue
    found: dict[str, str] = {}
    for tree, text_lines in zip(chunks, lines, strict=False):
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
                body = node.body
                if (
                    body
                    and isinstance(body[0], ast.Expr)
                    and isinstance(getattr(body[0], "value", None), ast.Constant)
                ):
                    body = body[1:]  # the docstring: the stub's, or the student's prose
                if not body:
                    found[node.name] = ""
                    continue
                found[node.name] = "\n".join(text_lines[body[0].lineno - 1 : node.end_lineno])[
                    :MAX_SOURCE_CHARS
                ]
    return found


@dataclass
class _Text:
    source: str
    hashes: set


TOKEN = re.compile(
    r"""(?P<string>[rRbBuUfF]{0,2}(\"\"\"|\'\'\'|"|')(?:\\.|(?!\2)[^\\])*\2)"""
    r"|(?P<comment>#[^\n]*)|(?P<space>\s+)|(?P<name>[A-Za-z_]\w*)",
    re.S,
)
KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(dir(builtins))


def normalise(source: str) -> str:
    """The function's code with what a copy changes for free taken out: the names it chose (each
    becomes V; keywords, builtins and attributes, which say how it works, stay), strings (S),
    comments and all formatting. Read as text; nothing runs."""

    def token(match: re.Match) -> str:
        kind = match.lastgroup
        if kind == "name":
            name = match.group()
            start = match.start()
            after_dot = start > 0 and source[start - 1] == "."
            return name if after_dot or name in KEPT_NAMES else "V"
        return "S" if kind == "string" else ""

    return TOKEN.sub(token, source)


def _texts(sources: dict[str, str], stub: str) -> dict[str, _Text]:
    """Each student's normalised function as copydetect's winnowed k-gram fingerprints, the stub's
    own removed."""
    from copydetect import CodeFingerprint

    def make(source: str, boilerplate=None):
        return CodeFingerprint(
            "function.py", K, WINDOW, boilerplate=boilerplate, filter=False, fp=io.StringIO(normalise(source))
        )

    boilerplate = sorted(make(stub).hashes) if stub.strip() else []
    made: dict[str, set] = {}  # identical sources (copies, untouched stubs) are fingerprinted once
    texts = {}
    for student, source in sources.items():
        if source.strip():
            if source not in made:
                made[source] = set(make(source, boilerplate).hashes)
            if made[source]:
                texts[student] = _Text(source, made[source])
    return texts


# --- ranking ----------------------------------------------------------------------------------------


@dataclass
class Pair:
    function: str
    student_a: str
    student_b: str
    score: float
    behaviour: float
    text: float
    evidence: str
    slices: tuple = field(default=(), repr=False)  # (a's, b's) matching character ranges


def rank(
    results: list[Result],
    sources: dict[str, dict[str, str]] | None = None,
    stubs: dict[str, str] | None = None,
) -> list[Pair]:
    """Every function's pairs worth a look, highest score first. `sources`: {student: {function:
    source}} (without it, behaviour only); `stubs`: {function: the stub's source}."""
    sources, stubs = sources or {}, stubs or {}
    functions = list(dict.fromkeys(t.function for r in results for t in r.tests))
    mistakes = {r.student: r.mistakes() for r in results}
    pairs: list[Pair] = []
    for function in functions:
        prints = {r.student: r.fingerprints[function] for r in results if r.fingerprints.get(function)}
        texts = _texts(
            {s: by[function] for s, by in sources.items() if by.get(function)}, stubs.get(function, "")
        )
        passed = {r.student for r in results if _passed(r, function)}
        behaviour = _behaviour(prints, passed)
        text = _text_scores(texts)
        found = []
        for key in set(behaviour) | set(text):
            b, (t, shared) = behaviour.get(key, (0.0, 0, 0)), text.get(key, (0.0, 0))
            if _known(mistakes[key[0]].get(function), mistakes[key[1]].get(function)):
                b = (b[0] * KNOWN, *b[1:])
            score = 1 - (1 - b[0]) * (1 - t)
            if score >= FLOOR:
                found.append(
                    Pair(function, *key, round(score, 3), round(b[0], 3), round(t, 3), _say(b, t, shared))
                )
        found.sort(key=lambda p: (-p.score, p.student_a, p.student_b))
        pairs += found[:KEPT]
        _slices(found[:SHOWN], texts, stubs.get(function, ""))
    pairs.sort(key=lambda p: -p.score)
    return pairs


def _known(a: str | None, b: str | None) -> bool:
    """Both made the same mistake the grader names: one of the usual wrong versions, which students
    make on their own."""
    return bool(a) and a == b and not a.startswith(("fails: ", *UNRUN))


def _rarity(count: int) -> float:
    """What sharing something `count` students have says: 1 when only the two have it, 1/(count-1)
    when each could have it from count - 1 others."""
    return 1.0 / max(1, count - 1)


def _candidates(postings: dict) -> set[tuple[str, str]]:
    """Pairs sharing a rare item: an item many students share says little (at most 1/(CAP-1)), and
    pairing all its holders would cost N squared."""
    seen = set()
    for holders in postings.values():
        if 2 <= len(holders) <= CAP:
            holders = sorted(holders)
            for i, a in enumerate(holders):
                for b in holders[i + 1 :]:
                    seen.add((a, b))
    return seen


def _weighted(common: set, union: set, weight: dict) -> float:
    """How much two sets share, by rarity, times how rare what they share is:
    sum(w^2 over the common items) / sum(w over all items). Shared common things score 1/(count-1),
    shared things only these two have score 1, and what either has alone lowers the score."""
    total = sum(map(weight.__getitem__, union))
    return sum(weight[v] ** 2 for v in common) / total if total else 0.0


def _passed(result: Result, function: str) -> bool:
    tests = [t for t in result.tests if t.function == function]
    return bool(tests) and all(t.passed for t in tests)


def _behaviour(prints: dict[str, list[str]], passed: set[str]) -> dict:
    """{(a, b): (score, inputs with the same uncommon output, inputs)}. An output that a student
    who passed every test of the function returned is a right one: sharing it is no evidence."""
    postings: dict[tuple[int, str], list[str]] = defaultdict(list)
    right = set()
    keys = {}
    for student, hashes in prints.items():
        keys[student] = {(i, v) for i, v in enumerate(hashes) if v != NO_EVIDENCE}
        for key in keys[student]:
            postings[key].append(student)
            if student in passed:
                right.add(key)
    weight = {key: 0.0 if key in right else _rarity(len(who)) for key, who in postings.items()}
    scores = {}
    for a, b in _candidates({key: who for key, who in postings.items() if key not in right}):
        common = keys[a] & keys[b]
        score = _weighted(common, keys[a] | keys[b], weight)
        unusual = sum(1 for key in common if weight[key] >= 0.5)
        scores[(a, b)] = (score, unusual, max(len(prints[a]), len(prints[b])))
    return scores


def _text_scores(texts: dict[str, _Text]) -> dict:
    """{(a, b): (score, share of the text's fingerprints in common)}."""
    holders: dict[int, list[str]] = defaultdict(list)
    for student, text in texts.items():
        for value in text.hashes:
            holders[value].append(student)
    weight = {value: _rarity(len(who)) for value, who in holders.items()}
    scores = {}
    for a, b in _candidates(holders):
        common = texts[a].hashes & texts[b].hashes
        union = texts[a].hashes | texts[b].hashes
        scores[(a, b)] = (_weighted(common, union, weight), len(common) / len(union))
    return scores


def _say(behaviour: tuple, text: float, shared: float) -> str:
    score, same, cases = behaviour
    parts = []
    if same:
        parts.append(f"the same uncommon output on {same} of {cases} inputs (behaviour {score:.2f})")
    if text:
        parts.append(f"{shared:.0%} of the normalised text's fingerprints shared (text {text:.2f})")
    return "; ".join(parts) or "nothing in common"


def _slices(pairs: list[Pair], texts: dict[str, _Text], stub: str) -> None:
    """The matching passages of the pairs shown, in the students' own text: copydetect's tokeniser
    and comparison (slower than the ranking's, so only for these)."""
    from copydetect import CodeFingerprint, compare_files

    def make(source: str, boilerplate=None):
        return CodeFingerprint(
            "function.py", K, WINDOW, boilerplate=boilerplate, language="python", fp=io.StringIO(source)
        )

    boilerplate = sorted(make(stub).hashes) if stub.strip() else []
    made: dict[str, object] = {}
    for pair in pairs:
        a, b = texts.get(pair.student_a), texts.get(pair.student_b)
        if a and b:
            for text in (a, b):
                if text.source not in made:
                    made[text.source] = make(text.source, boilerplate)
            _, _, (slices_a, slices_b) = compare_files(made[a.source], made[b.source])
            pair.slices = (_ranges(slices_a), _ranges(slices_b))


def _ranges(slices) -> list[tuple[int, int]]:
    if len(slices) == 0 or len(slices[0]) == 0:
        return []
    return [(int(start), int(end)) for start, end in zip(slices[0], slices[1], strict=False)]


# --- writers ----------------------------------------------------------------------------------------


def write_csv(pairs: list[Pair], path: Path) -> None:
    from autograder.output.results import write_atomically

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["function", "student_a", "student_b", "score", "evidence"])
    for pair in pairs:
        writer.writerow(
            [
                pair.function,
                csv_cell(pair.student_a),
                csv_cell(pair.student_b),
                f"{pair.score:.3f}",
                pair.evidence,
            ]
        )
    write_atomically(path, buffer.getvalue().encode())


EXPLAINED = """
<p>Each row is a pair of students and one function, ranked by a score between 0 and 1 that combines
two clues. <b>Behaviour</b>: the two returned the same <em>wrong</em> value on the same secret
inputs, weighted by how rare that value is in the class (a wrong answer only these two gave counts
fully, one that k students gave counts 1/(k-1), a right answer counts nothing, and a mistake the
grader names, one students often make on their own, counts a quarter). <b>Text</b>: the function's
code, with the names it chose, strings, comments, formatting and the stub's own lines taken out,
shares passages (copydetect's winnowed fingerprints), weighted the same way: what the exercise makes
everyone write
counts next to nothing. The two combine as independent clues: 1 - (1 - behaviour)(1 - text).</p>
<p><b>What the score does not mean.</b> It is not a finding of copying, and it never says who copied
whom. Short exercises have few ways to be right, students work together where the course allows it,
and the same unusual mistake can come from the same lecture slide. A high score says: look at these
two side by side, then talk with the students.</p>
"""


def write_page(
    pairs: list[Pair], sources: dict[str, dict[str, str]], path: Path, links: str | None = None
) -> None:
    """similarity.html: what the score means, every listed pair, and the top pairs of each function
    side by side with their matching passages marked (escaped: the students' code is text here)."""
    from autograder.output.html import escape
    from autograder.output.results import write_atomically

    parts = [f"<h1>Similarity, per function</h1>{EXPLAINED}"]
    if not sources:
        parts.append("<p>The submissions were not given, so only behaviour is compared here.</p>")
    by_function: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_function[pair.function].append(pair)
    if not pairs:
        parts.append("<p>No pair has anything unusual in common.</p>")
    for function, listed in by_function.items():
        parts.append(
            f"<h2>{escape(function)}</h2><div class='wide'><table><tr><th>score</th><th>students</th>"
            "<th>evidence</th></tr>"
        )
        for pair in listed:
            parts.append(
                f"<tr><td>{pair.score:.2f}</td><td>{_student(pair.student_a, links)} and "
                f"{_student(pair.student_b, links)}</td><td>{escape(pair.evidence)}</td></tr>"
            )
        parts.append("</table></div>")
        for pair in listed[:SHOWN]:
            a = sources.get(pair.student_a, {}).get(function, "")
            b = sources.get(pair.student_b, {}).get(function, "")
            if not (a or b):
                continue
            marks = pair.slices or ([], [])
            parts.append(
                f"<details><summary>{escape(pair.student_a)} and {escape(pair.student_b)}: "
                f"{pair.score:.2f}</summary><div class='side'>"
                f"<pre>{_marked(a, marks[0])}</pre><pre>{_marked(b, marks[1])}</pre></div></details>"
            )
    write_atomically(path, _page("Similarity", "\n".join(parts)).encode())


def _student(student: str, links: str | None) -> str:
    from autograder.output.html import escape

    if links is None:
        return escape(student)
    from urllib.parse import quote

    return f"<a href='{escape(links + quote(student))}.html'>{escape(student)}</a>"


def _marked(source: str, ranges: list[tuple[int, int]]) -> str:
    from autograder.output.html import escape

    out, at = [], 0
    for start, end in sorted(ranges):
        start, end = max(start, at), min(end, len(source))
        if start >= end:
            continue
        out.append(escape(source[at:start]) + "<mark>" + escape(source[start:end]) + "</mark>")
        at = end
    out.append(escape(source[at:]))
    return "".join(out)


PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1em auto; max-width: 1200px; padding: 0 0.8em;
       color: #222; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
.wide { overflow-x: auto; }
.side { display: flex; flex-wrap: wrap; gap: 1em; }
.side pre { flex: 1 1 20em; min-width: 0; overflow-x: auto; background: #f6f8fa; padding: 0.5em; }
mark { background: #ffd33d; }
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>{PAGE_STYLE}</style></head><body>{body}</body></html>"
    )


def counts(pairs: list[Pair]) -> Counter:
    """Pairs listed per function (for the class page)."""
    return Counter(p.function for p in pairs)
