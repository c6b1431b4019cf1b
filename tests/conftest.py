"""What both tiers share: a private cache for reference runs and downloads, and tests/ on the path
(corpus.py: the submissions and the helpers that grade them). The sandbox's fixtures are in e2e/."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The suite runs in two processes at once (pytest-xdist, see pyproject.toml): torch's thread pools,
# in them and in every process they start, would otherwise fight over the same cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))  # tests/corpus.py

from autograder.engine import files  # noqa: E402


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
