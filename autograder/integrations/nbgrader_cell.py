"""What the hidden test cells of the nbgrader notebook run under plain `nbgrader autograde`.

The cell grades one function of the notebook's kernel with the project's grader (the kernel's
functions run in the sandboxed worker) and returns the points earned, which nbgrader takes as the
cell's partial credit. Plain `nbgrader autograde` runs this inside the student's kernel, where the
student's code could replace it: grade with `python -m autograder nbgrader` for scores that
cannot be tampered with.
"""

from __future__ import annotations

import contextlib
import io
import warnings


def grade_cell(function: str, exercise: str | None = None) -> float:
    from autograder.integrations.selfcheck import check

    # nbgrader gives a cell zero for any output on stderr: keep warnings and progress off it.
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        result = check(function, exercise=exercise)
    return float(result.score)
