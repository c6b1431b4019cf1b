"""Generates an exercise's student files from its single source (`python -m autograder build`).

A pack's source (`solutions/NAME.py`) is a percent-format script (`# %%` starts a cell) whose
exercise bodies sit between `### BEGIN SOLUTION` and `### END SOLUTION`, as in nbgrader. From it:

- `exercises/NAME.py`: each solution block becomes a stub that raises NotImplementedError;
- `exercises/NAME.ipynb`: the same stubs as a notebook;
- the nbgrader source notebook (where the pack names one): solutions kept in their markers
  (solution cells), with an autograded test cell per exercise function worth that function's
  points (`nbgrader generate_assignment` makes the student release from it).

Run `python -m autograder build` after editing a source; a test fails when the files are stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext

from autograder.engine.files import ROOT
from autograder.engine.pack import Pack

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
from autograder.integrations.nbgrader_cell import grade_cell

grade_cell("{function}")
### END HIDDEN TESTS"""


def nbgrader_cell_id(function: str) -> str:
    """The grade cell that holds `function`'s points in nbgrader's gradebook."""
    return f"test_{function}"


def to_nbgrader_json(pack: Pack, source: str) -> str:
    """The nbgrader source notebook: solution cells marked, a test cell after each exercise function."""
    from nbformat.v4 import new_code_cell

    notebook = jupytext.reads(source, fmt="py:percent")
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if cell.cell_type != "code" or "### BEGIN SOLUTION" not in cell.source:
            continue
        functions = [f for f in re.findall(r"^def (\w+)\(", cell.source, re.M) if f in pack.names]
        cell.metadata["nbgrader"] = _nbgrader(f"solution_{functions[0]}", solution=True)
        for function in functions:
            test = new_code_cell(TEST_CELL.format(function=function))
            points = pack.points_of(function)
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


def render(pack: Pack, source: str) -> dict[Path, str]:
    """Every generated file of the pack, by its path."""
    student = strip_solutions(source)
    files = {pack.exercise: student, pack.exercise.with_suffix(".ipynb"): to_notebook_json(student)}
    if pack.nbgrader_source:
        files[pack.nbgrader_source] = to_nbgrader_json(pack, source)
    return files


def write(pack: Pack) -> list[Path]:
    if not pack.solution.exists():
        raise ValueError(f"{pack.name}'s source {pack.solution} is not here: the build needs the reference")
    written = []
    for path, text in render(pack, pack.solution.read_text()).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def main() -> None:
    from autograder.engine import pack as packs

    for pack in packs.packs().values():
        for path in write(pack):
            print(f"wrote {path.relative_to(ROOT) if ROOT in path.parents else path}", file=sys.stderr)


if __name__ == "__main__":
    main()
