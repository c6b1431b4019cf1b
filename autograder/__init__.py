"""Induction-heads exercises and their sandboxed autograder.

`import autograder` stays cheap: `load_model` and `check` import what they need when first used, so
the judge never pays for torch or transformer_lens, and a submission that imports them inside the
sandbox pulls in nothing of the grader.
"""

from __future__ import annotations


def load_model(name: str = "default", **options):
    """The exercise's model: "default" (embedded, offline) or "arena" (the seed's, downloaded)."""
    from autograder.models import load_model as load

    return load(name, **options)


def check(*functions: str, path=None):
    """Grades your functions (the named ones, or all) in the sandbox and prints what to fix."""
    from autograder.selfcheck import check as run

    return run(*functions, path=path)


__all__ = ["check", "load_model"]
