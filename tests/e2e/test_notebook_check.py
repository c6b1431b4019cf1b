"""The exercise notebook run in a real Jupyter kernel, as a student runs it: each `check(...)` cell
comes before its exercise's demo, so with nothing written yet it still gives feedback (the demo
cells after it fail, as they would); check() grades the cells the kernel ran without an error,
multi-line imports and top-level constants included, and failed cells left out."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.engine import pack as packs

PACK = packs.get("induction_heads")


def outputs(cell) -> str:
    return "".join(o.get("text", "") + "".join(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    notebook = nbformat.read(PACK.exercise.with_suffix(".ipynb"), as_version=4)
    solved = "".join(
        line for line in PACK.solution.read_text().splitlines(keepends=True) if "### " not in line
    )
    first_detector = solved[
        solved.index("def current_attn_detector") : solved.index("def prev_attn_detector")
    ]
    extra = [  # a student's own cells: a multi-line import, a constant, a failing cell, then a redefinition
        nbformat.v4.new_code_cell(
            "from transformer_lens import (\n    ActivationCache,\n    HookedTransformer,\n)\nTHRESHOLD = 0.4"
        ),
        nbformat.v4.new_code_cell("import seaborn  # not installed: this cell fails"),
        nbformat.v4.new_code_cell(
            first_detector.replace("> 0.4", "> THRESHOLD") + "\ncheck('current_attn_detector')"
        ),
        nbformat.v4.new_code_cell("check('prev_attn_detector')  # its value is the cell's result"),
    ]
    position = next(i for i, c in enumerate(notebook.cells) if 'check("current_attn_detector"' in c.source)
    notebook.cells[position:position] = extra
    work = tmp_path_factory.mktemp("notebook")
    client = NotebookClient(
        notebook,
        timeout=600,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()
    return notebook


def test_check_cells_give_feedback_before_any_function_is_written(executed):
    checks = [c for c in executed.cells if c.cell_type == "code" and "if MAIN:\n    check(" in c.source]
    assert len(checks) == 3
    for cell in checks:
        text = outputs(cell)
        assert "FAIL" in text and "NotImplementedError" in text and "Traceback" not in text
    assert "15 / 45" in outputs(checks[0])  # the student's current_attn_detector cell came before it


def test_check_grades_what_ran_in_the_kernel(executed):
    mine = next(c for c in executed.cells if "check('current_attn_detector')" in c.source)
    text = outputs(mine)
    assert "PASS" in text and "15/15" in text, text[-2000:]  # THRESHOLD and the import came along
    assert "seaborn" not in text  # the failed cell was left out


def test_checks_value_has_a_short_repr(executed):
    cell = next(c for c in executed.cells if "its value is the cell's result" in c.source)
    result = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(result) == 1 and result[0].data["text/plain"].startswith("<check: 0/15, ")
