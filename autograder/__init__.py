"""Exercises for mechanistic interpretability (induction heads first) and their sandboxed autograder.

`import autograder` stays cheap: `load_model` and `check` import what they need when first used, so
the judge never pays for torch or transformer_lens, and a submission that imports them inside the
sandbox pulls in nothing of the grader.
"""

from __future__ import annotations


def load_model(name: str = "default", **options):
    """The exercise's model: "default" (embedded, offline) or "arena" (the seed's, downloaded)."""
    from autograder.transformer_lens.models import load_model as load

    return load(name, **options)


_grading = False  # set in the grader's worker, where a submission's own check() calls do nothing


def check(*functions: str, path=None, exercise: str | None = None, verbose: bool = False):
    """Grades your functions (the named ones, or all) in the sandbox and prints what to fix."""
    if _grading:
        return None
    from autograder.integrations.selfcheck import check as run

    return run(*functions, path=path, exercise=exercise, verbose=verbose)


def _watch_kernel() -> None:
    """In a Jupyter kernel, note from now on which cells fail, so that check() leaves them out."""
    import sys

    if "IPython" in sys.modules and not _grading:
        from autograder.integrations.selfcheck import watch_kernel

        watch_kernel()


_watch_kernel()
__all__ = ["check", "load_model"]
