"""A student's own check, from the notebook or script they are working in: `check("prev_attn_detector")`.

In a Jupyter kernel the submission is what the student sees there: the cells that ran without an
error, whole and in the order they ran, top-level assignments included, with `check(...)` calls and
failed cells left out (so nothing needs saving first). In a plain script it is the script's file.
Either way it runs in the sandboxed worker, as when graded. The grader starts once (a few seconds)
and is kept for the next check.
"""

from __future__ import annotations

import atexit
import json
import sys
from pathlib import Path

from autograder.engine.submission import Submission, load
from autograder.output.results import Result

_graders: dict[str, object] = {}
_failed_cells: set[int] = set()  # execution counts of the kernel's cells that raised
_watching = False


def watch_kernel() -> None:
    """Notes which of the kernel's cells raise, from now on (called when the exercise imports us)."""
    global _watching
    shell = _shell()
    if shell is None or _watching:
        return

    def after(result) -> None:
        if not result.success and result.execution_count is not None:
            _failed_cells.add(result.execution_count)

    shell.events.register("post_run_cell", after)
    _watching = True


def _shell():
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def kernel_submission() -> Submission | None:
    """The kernel's cells as a notebook (those that ran without an error, and the one running now);
    None outside a kernel. Their own check() calls do nothing while graded."""
    shell = _shell()
    if shell is None:
        return None
    history = list(shell.user_ns.get("In", []))
    cells = [
        {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": [], "source": source}
        for count, source in enumerate(history)
        if count > 0 and source and count not in _failed_cells  # In[0] is empty
    ]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"autograder_kernel": True}, "cells": cells}
    return Submission("notebook", Path("notebook.ipynb"), data=json.dumps(notebook).encode(), format="ipynb")


def _submission(path: str | Path | None, pack_name: str) -> Submission:
    if path is not None:
        return load(Path(path), prefer=pack_name)
    found = kernel_submission()
    if found is not None:
        return found
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__file__", None):
        return load(Path(main.__file__), prefer=pack_name)
    raise ValueError("check() needs a path outside a notebook or script: check(..., path='my_file.py')")


class Checked(Result):
    """check()'s return value: the result, with a short repr (a notebook shows it under the cell)."""

    def __repr__(self) -> str:
        failed = sum(1 for t in self.tests if not t.passed)
        return f"<check: {self.score:g}/{self.max_score:g}, {failed} test(s) failed>"


def check(
    *functions: str, path: str | Path | None = None, exercise: str | None = None, verbose: bool = False
) -> Checked:
    """Grades the named functions (all of them if none is named) and prints the tests and messages."""
    from autograder.engine import pack as packs
    from autograder.engine.grader import Grader
    from autograder.output import reporters

    pack = packs.get(exercise) if exercise else _pack_for(functions, path)
    unknown = [f for f in functions if f not in pack.names]
    if unknown:
        raise ValueError(
            f"no function named {', '.join(unknown)} in {pack.name}; "
            f"its functions are {', '.join(pack.names)}"
        )
    if pack.name not in _graders:
        _graders[pack.name] = Grader(pack, require_isolation=False)
        atexit.register(_graders[pack.name].close)
    result = _graders[pack.name].grade(_submission(path, pack.name))
    if functions:
        result.tests = [t for t in result.tests if t.function in functions]
    checked = Checked(**{name: getattr(result, name) for name in Result.__dataclass_fields__})
    reporters.print_result(checked, verbose=verbose, verbose_how="check(..., verbose=True)")
    return checked


def _pack_for(functions: tuple[str, ...], path):
    """The pack whose functions these are (or whose file this is)."""
    from autograder.engine import pack as packs

    if path is not None:
        return packs.for_file(Path(path))
    for pack in packs.packs().values():
        if functions and all(f in pack.names for f in functions):
            return pack
    return packs.get()
