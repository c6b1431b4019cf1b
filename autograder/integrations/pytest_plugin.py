"""`pytest exercises/`: each of the grader's tests as a pytest test, for students who think in pytest.

`exercises/conftest.py` imports these hooks. Collected: a file named on the command line
(`pytest my_copy.py`, `pytest my_work.ipynb`), and, in a folder, each exercise's `NAME.py` (its
notebook `NAME.ipynb` only where there is no `NAME.py` beside it, so one exercise is graded once).
Each file is graded once, in the sandbox; each test then passes or fails with the grader's message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.output.results import Result, TestResult

SUFFIXES = (".py", ".ipynb")


def pytest_addoption(parser):
    parser.addoption("--exercise", default=None, help="the exercise (pack) to grade the files with")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): what the graded test is worth")


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix not in SUFFIXES or file_path.name == "conftest.py":
        return None
    named = any(Path(arg.split("::")[0]).resolve() == file_path.resolve() for arg in parent.config.args)
    if named or _is_exercise(file_path):
        return SubmissionFile.from_parent(parent, path=file_path)
    return None


def _is_exercise(path: Path) -> bool:
    from autograder.engine import pack as packs

    if path.stem not in packs.packs():
        return False
    return path.suffix == ".py" or not path.with_suffix(".py").exists()


class SubmissionFile(pytest.File):
    def collect(self):
        from autograder.engine import pack as packs
        from autograder.engine.grader import Grader
        from autograder.engine.submission import load

        exercise = self.config.getoption("--exercise", default=None)
        pack = packs.get(exercise) if exercise else packs.for_file(self.path)
        with Grader(pack, require_isolation=False) as grader:
            result: Result = grader.grade(load(self.path, prefer=pack.name))
        header = result.header()
        for test in result.tests:
            yield GradedTest.from_parent(self, name=test.name, test=test, header=header)


class GradedTest(pytest.Item):
    def __init__(self, *, test: TestResult, header: str = "", **kwargs):
        super().__init__(**kwargs)
        self.test, self.header = test, header
        self.add_marker(pytest.mark.points(test.max_score))

    def runtest(self) -> None:
        if not self.test.passed:
            raise Failed(self.test.output)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, Failed):
            return str(excinfo.value) + (f"\n\n{self.header}" if self.header else "")
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


class Failed(Exception):
    """A graded test that did not pass; its message is the grader's feedback."""
