# `pytest exercises/` grades exercises/induction_heads.py (and .ipynb) with the autograder.
from autograder.pytest_plugin import pytest_collect_file, pytest_configure  # noqa: F401
