"""Shared fixtures: one grader per exercise for the whole session (its start costs seconds), and a
private cache for reference runs and downloads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The suite runs in two processes at once (pytest-xdist, see pyproject.toml): torch's thread pools,
# in them and in every process they start, would otherwise fight over the same cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))  # tests/corpus.py

from corpus import SUBMISSIONS, reference_source  # noqa: E402

from autograder.engine import files  # noqa: E402
from autograder.engine import pack as packs  # noqa: E402

__all__ = ["SUBMISSIONS", "by_function", "grade_source"]


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: an end-to-end test that takes a minute or more")


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Reference runs and downloads go to a fresh cache, never the user's."""
    previous = os.environ.get(files.CACHE_ENV)
    os.environ[files.CACHE_ENV] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        os.environ.pop(files.CACHE_ENV, None)
    else:
        os.environ[files.CACHE_ENV] = previous


@pytest.fixture(scope="session")
def graders(private_cache):
    """A grader per exercise, started when first asked for: graders("hooks")."""
    from autograder.engine.grader import Grader

    started: dict = {}

    def get(name: str = "induction_heads"):
        if name not in started:
            started[name] = Grader(packs.get(name), workers=2)
        return started[name]

    yield get
    for grader in started.values():
        grader.close()


@pytest.fixture(scope="session")
def grader(graders):
    return graders("induction_heads")


@pytest.fixture(scope="session")
def pack():
    return packs.get("induction_heads")


@pytest.fixture(scope="session")
def solution_source(pack) -> str:
    """The reference solution without its markers: a correct submission to build variants from."""
    return reference_source(pack)


def grade_source(grader, source: str, name: str = "student", worker: int = 0, filename: str | None = None):
    from autograder.engine.submission import from_source

    return grader.grade(from_source(name, source, filename or f"{name}.py"), worker)


def by_function(result) -> dict[str, tuple[float, float]]:
    """{function: (score, max_score)} of a result."""
    return result.by_function()
