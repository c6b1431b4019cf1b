"""The sandboxed end-to-end tier's fixtures: one grader per exercise for the whole session (its start
costs seconds), shared by every test that grades."""

from __future__ import annotations

import pytest
from corpus import reference_source

from autograder.engine import pack as packs


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
