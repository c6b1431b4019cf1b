# `pytest exercises/` grades the exercise files here (or `pytest exercises/my_copy.py`) with the autograder.
from autograder.integrations.pytest_plugin import pytest_addoption, pytest_collect_file, pytest_configure  # noqa: F401
