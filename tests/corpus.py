"""The corpus of submissions the tests grade (tests/submissions/<pack>/...), as sources.

A variant file is the reference solution with some top-level definitions replaced: it holds only
what differs (the functions it rewrites, and any helper or constant they need), under a header line
`# wrong: FUNCTION: what is wrong` or `# correct: the style` (then, optionally, `# names: words the
feedback must say` and `# removes: definitions it drops`). `variant()` puts the rest back. Whole
files (notebooks, and files whose point is the file itself) are graded as they are.
"""

from __future__ import annotations

import ast
from pathlib import Path

SUBMISSIONS = Path(__file__).parent / "submissions"


def reference_source(pack) -> str:
    """The pack's reference solution without its solution markers: a correct submission."""
    return "".join(line for line in pack.solution.read_text().splitlines(keepends=True) if "### " not in line)


def variant(pack, path: Path) -> str:
    """The reference with the top-level definitions the variant file makes taken out, and the file's
    text after it (so its definitions are the ones that count)."""
    text = Path(path).read_text()
    defined = {n.name for n in ast.parse(text).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    for line in text.splitlines():  # `# removes: f, g`: definitions the variant drops (renames, say)
        if line.startswith("# removes: "):
            defined |= {name.strip() for name in line.removeprefix("# removes: ").split(",")}
    source = reference_source(pack)
    lines = source.splitlines(keepends=True)
    for node in reversed(ast.parse(source).body):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in defined:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            del lines[start - 1 : node.end_lineno]
    return "".join(lines) + "\n\n# --- the variant ---\n" + text


def header(path: Path) -> tuple[str, str, str]:
    """(kind, function, what) of a variant's first line `# kind: function: what`."""
    first = Path(path).read_text().splitlines()[0].removeprefix("# ")
    kind, _, rest = first.partition(":")
    function, _, what = rest.strip().partition(":")
    return kind.strip(), function.strip(), what.strip()


def files(pack_name: str, kind: str) -> list[Path]:
    folder = SUBMISSIONS / pack_name / kind
    return sorted(p for p in folder.iterdir() if p.suffix in (".py", ".ipynb")) if folder.exists() else []


def grade_source(grader, source: str, name: str = "student", worker: int = 0, filename: str | None = None):
    from autograder.engine.submission import from_source

    return grader.grade(from_source(name, source, filename or f"{name}.py"), worker)


def by_function(result) -> dict[str, tuple[float, float]]:
    """{function: (score, max_score)} of a result."""
    return result.by_function()
