"""`pytest exercises/`: each of the grader's tests as a pytest test, for students who think in pytest.

`exercises/conftest.py` imports these hooks. Every `induction_heads.py` or `induction_heads.ipynb`
under the given paths is graded once, in the sandbox; each test then passes or fails with the
grader's message.
"""

from __future__ import annotations

import pytest

from autograder.results import Result, TestResult

NAMES = ("induction_heads.py", "induction_heads.ipynb")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): what the graded test is worth")


def pytest_collect_file(parent, file_path):
    if file_path.name in NAMES:
        return SubmissionFile.from_parent(parent, path=file_path)
    return None


class SubmissionFile(pytest.File):
    def collect(self):
        from autograder.grader import Grader
        from autograder.submission import load

        with Grader(require_isolation=False) as grader:
            result: Result = grader.grade(load(self.path))
        for test in result.tests:
            yield GradedTest.from_parent(self, name=test.name, test=test)


class GradedTest(pytest.Item):
    def __init__(self, *, test: TestResult, **kwargs):
        super().__init__(**kwargs)
        self.test = test
        self.add_marker(pytest.mark.points(test.max_score))

    def runtest(self) -> None:
        if not self.test.passed:
            raise Failed(self.test.output)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, Failed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


class Failed(Exception):
    """A graded test that did not pass; its message is the grader's feedback."""
