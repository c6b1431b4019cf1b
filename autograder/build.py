"""Generates the student versions of the exercise from its single source.

`solutions/induction_heads.py` is the source: a percent-format script (`# %%` starts a cell) whose
exercise bodies sit between `### BEGIN SOLUTION` and `### END SOLUTION`, as in nbgrader. From it:

- `exercises/induction_heads.py`: each solution block becomes a stub that raises NotImplementedError;
- `exercises/induction_heads.ipynb`: the same stubs as a notebook;
- `nbgrader/source/induction_heads/induction_heads.ipynb`: the nbgrader source notebook, solutions
  kept in their markers (solution cells), with an autograded test cell per exercise function worth
  that function's points (`nbgrader generate_assignment` makes the student release from it).

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


TEST_CELL = """\
# Autograded. `python -m autograder nbgrader` grades this notebook in the project's sandbox and
# records this cell's score; under plain `nbgrader autograde` the hidden test runs the same checks
# from inside the notebook's kernel.
### BEGIN HIDDEN TESTS
from autograder.nbgrader_tests import grade_cell

grade_cell("{function}")
### END HIDDEN TESTS"""


def nbgrader_cell_id(function: str) -> str:
    """The grade cell that holds `function`'s points in nbgrader's gradebook."""
    return f"test_{function}"


def to_nbgrader_json(source: str) -> str:
    """The nbgrader source notebook: solution cells marked, a test cell after each exercise function."""
    from nbformat.v4 import new_code_cell

    from autograder.cases import EXERCISES
    from autograder.checks import tests_of

    notebook = jupytext.reads(source, fmt="py:percent")
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if cell.cell_type != "code" or "### BEGIN SOLUTION" not in cell.source:
            continue
        functions = [f for f in re.findall(r"^def (\w+)\(", cell.source, re.M) if f in EXERCISES]
        cell.metadata["nbgrader"] = _nbgrader(f"solution_{functions[0]}", solution=True)
        for function in functions:
            test = new_code_cell(TEST_CELL.format(function=function))
            points = sum(t.points for t in tests_of(function))
            test.metadata["nbgrader"] = _nbgrader(
                nbgrader_cell_id(function), grade=True, locked=True, points=points
            )
            cells.append(test)
    notebook.cells = cells
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
    return jupytext.writes(notebook, fmt="ipynb")


def _nbgrader(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    metadata = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        metadata["points"] = points
    return metadata


def render(source: str) -> dict[str, str]:
    """Every generated file, by its path relative to the repository root."""
    student = strip_solutions(source)
    return {
        "exercises/induction_heads.py": student,
        "exercises/induction_heads.ipynb": to_notebook_json(student),
        "nbgrader/source/induction_heads/induction_heads.ipynb": to_nbgrader_json(source),
    }


def main(root: Path = ROOT) -> None:
    for relative, text in render(SOURCE.read_text()).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
