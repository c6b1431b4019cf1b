"""Induction-heads exercises and their sandboxed autograder.

Attributes are imported lazily: `import autograder` stays cheap (the judge never pays for torch or
transformer_lens), while `from autograder import load_model` works as expected.
"""

from importlib import import_module

_LAZY = {
    "load_model": "autograder.models",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
