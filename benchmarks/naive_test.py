"""The naive baseline: `python -m pytest benchmarks/naive_test.py` in a fresh process per submission.

The submission ($SUBMISSION) is imported into the test process itself and checked against the
expected values ($EXPECTED, see naive_checks.py), one test per function.
"""

from __future__ import annotations

import importlib.util
import os

import naive_checks  # beside this file: pytest puts this folder on sys.path
import pytest


@pytest.fixture(scope="module")
def setup() -> tuple[dict, naive_checks.Fixtures, naive_checks.Expected]:
    spec = importlib.util.spec_from_file_location("submission", os.environ["SUBMISSION"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # a submission that does not import fails every test
    inputs = naive_checks.build_inputs()
    return vars(module), inputs, naive_checks.load_expected(os.environ["EXPECTED"])


@pytest.mark.parametrize("function", naive_checks.PACK.names)
def test_function(setup, function: str) -> None:
    namespace, inputs, expected = setup
    naive_checks.check_function(namespace, function, inputs, expected)
