"""A student's own check, from the notebook or script they are working in: `check("prev_attn_detector")`.

In a Jupyter kernel the submission is what the kernel holds now: the import lines it has run and the
source of every function and class defined in it, so nothing needs saving first. In a plain script
it is the script's file. Either way the functions run in the sandboxed worker, as when graded.
The grader starts once (a few seconds) and is kept for the next check.
"""

from __future__ import annotations

import atexit
import inspect
import sys
from pathlib import Path

from autograder.results import Result
from autograder.submission import Submission, load

_grader = None


def kernel_submission() -> Submission | None:
    """The functions and classes defined in the running IPython kernel, with its imports; None outside."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    namespace = shell.user_ns
    history = "\n".join(namespace.get("In", []))
    # Imports of the grader's own modules (the nbgrader test cells' `from autograder.nbgrader_tests
    # import grade_cell`) are left out: they are not the student's code, and the sandbox cannot read them.
    imports = [
        line
        for line in history.splitlines()
        if line.startswith(("import ", "from "))
        and not line.startswith(("import autograder.", "from autograder."))
    ]
    definitions = []
    for name, value in list(namespace.items()):
        if name.startswith("_") or getattr(value, "__module__", None) != "__main__":
            continue
        if inspect.isfunction(value) or inspect.isclass(value):
            try:
                definitions.append(inspect.getsource(value))
            except (OSError, TypeError):
                pass
    header = "\n".join(dict.fromkeys(imports)) + "\n\nMAIN = __name__ == '__main__'\n\n"
    source = header + "\n\n".join(definitions)
    return Submission("notebook", Path("notebook.py"), source=source)


def _submission(path: str | Path | None) -> Submission:
    if path is not None:
        return load(Path(path))
    found = kernel_submission()
    if found is not None:
        return found
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__file__", None):
        return load(Path(main.__file__))
    raise ValueError("check() needs a path outside a notebook or script: check(..., path='my_file.py')")


def check(*functions: str, path: str | Path | None = None) -> Result:
    """Grades the named functions (all of them if none is named) and prints the tests and messages."""
    global _grader
    from autograder import cases, reporters
    from autograder.grader import Grader

    unknown = [f for f in functions if f not in cases.EXERCISES]
    if unknown:
        names = ", ".join(cases.EXERCISES)
        raise ValueError(f"no exercise function named {', '.join(unknown)}; the functions are {names}")
    if _grader is None:
        _grader = Grader(require_isolation=False)
        atexit.register(_grader.close)
    result = _grader.grade(_submission(path))
    if functions:
        result.tests = [t for t in result.tests if t.function in functions]
    reporters.print_result(result)
    return result
