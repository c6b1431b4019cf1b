"""Generates the student versions of the exercise from its single source.

`solutions/induction_heads.py` is the source: a percent-format script (`# %%` starts a cell) whose
exercise bodies sit between `### BEGIN SOLUTION` and `### END SOLUTION`, as in nbgrader. From it:

- `exercises/induction_heads.py`: each solution block becomes a stub that raises NotImplementedError;
- `exercises/induction_heads.ipynb`: the same stubs as a notebook.

Run `python -m autograder.build` after editing the source; a test fails when the files are stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "solutions" / "induction_heads.py"
EXERCISES = ROOT / "exercises"

SOLUTION_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[ \t]*\n.*?^[ \t]*### END SOLUTION[ \t]*\n", re.M | re.S
)
STUB = "{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()\n"


def strip_solutions(source: str) -> str:
    """Replaces every solution block by nbgrader's stub, keeping its indentation."""
    if source.count("### BEGIN SOLUTION") != source.count("### END SOLUTION"):
        raise ValueError("unbalanced ### BEGIN SOLUTION / ### END SOLUTION markers")
    return SOLUTION_BLOCK.sub(lambda m: STUB.format(indent=m["indent"]), source)


def to_notebook_json(script: str) -> str:
    """The percent-format script as notebook JSON (no outputs)."""
    notebook = jupytext.reads(script, fmt="py:percent")
    notebook.metadata.pop("jupytext", None)  # the notebook stands alone, not paired with a script
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # stable ids, so that regenerating changes nothing
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return jupytext.writes(notebook, fmt="ipynb")


def render(source: str) -> dict[str, str]:
    """Every generated file, by its path relative to the repository root."""
    student = strip_solutions(source)
    return {
        "exercises/induction_heads.py": student,
        "exercises/induction_heads.ipynb": to_notebook_json(student),
    }


def main(root: Path = ROOT) -> None:
    for relative, text in render(SOURCE.read_text()).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
