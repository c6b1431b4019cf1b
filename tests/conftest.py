"""Shared fixtures: one grader for the whole session (its start costs seconds), a private cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder import paths

SUBMISSIONS = Path(__file__).parent / "submissions"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Reference runs and downloads go to a fresh cache, never the user's."""
    previous = os.environ.get(paths.CACHE_ENV)
    os.environ[paths.CACHE_ENV] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        os.environ.pop(paths.CACHE_ENV, None)
    else:
        os.environ[paths.CACHE_ENV] = previous


@pytest.fixture(scope="session")
def grader(private_cache):
    from autograder.grader import Grader

    with Grader(workers=2) as grader:
        yield grader


@pytest.fixture(scope="session")
def solution_source() -> str:
    """The reference solution without its markers: a correct submission to build variants from."""
    return "".join(
        line for line in paths.SOLUTION.read_text().splitlines(keepends=True) if "### " not in line
    )


def grade_source(grader, source: str, name: str = "student", worker: int = 0):
    from autograder.submission import Submission

    return grader.grade(Submission(name, Path(f"{name}.py"), source=source), worker)


def by_function(result) -> dict[str, tuple[float, float]]:
    """{function: (score, max_score)} of a result."""
    totals: dict[str, list[float]] = {}
    for test in result.tests:
        score, top = totals.setdefault(test.function, [0.0, 0.0])
        totals[test.function] = [score + test.score, top + test.max_score]
    return {f: (s, m) for f, (s, m) in totals.items()}
