"""The pack `autograder new-exercise` writes is built on the kit: judged on plain data, a right
answer earns every point, a constant one nothing, and a secret input keeps its expected value."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from autograder.authoring import new_exercise
from autograder.engine.judge import judge
from autograder.engine.reference import Reference
from autograder.engine.runner import RawResults


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = new_exercise.write("squares_kit", tmp_path_factory.mktemp("course") / "pack")
    spec = importlib.util.spec_from_file_location(
        "squares_kit_pack", out / "squares_kit_pack" / "__init__.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module.PACK
    del sys.modules[spec.name]


def _grade(pack, answer, secret=None) -> dict:
    inputs = pack.inputs(secret)
    values = {case.id: case.args[0]["value"] for case in inputs.cases}
    right = {key: sum(x * x for x in v) / len(v) if v else 0.0 for key, v in values.items()}
    raw = RawResults(
        imports={"mean_of_squares": {"functions": {"mean_of_squares": "def mean_of_squares(values)"}}},
        outcomes={key: {"status": "ok", "value": answer(values[key])} for key in values},
    )
    reference = Reference({key: {"status": "ok", "value": value} for key, value in right.items()})
    verdict = judge(raw, reference, pack, inputs, ["mean_of_squares"])
    return {test.name: test for test in verdict.tests}


def test_the_scaffold_pays_right_answers_and_not_constants(pack):
    right = _grade(pack, lambda v: sum(x * x for x in v) / len(v) if v else 0.0)
    assert all(test.score == test.max_score for test in right.values())
    constant = _grade(pack, lambda v: 0.0)
    format_test = constant["mean_of_squares: runs without errors and returns a number"]
    assert format_test.score == 0 and "no value test passed" in format_test.output
    # Right on the empty list (0.0), but the same 0.0 for every list: a coincidence, worth nothing.
    assert sum(test.score for test in constant.values()) == 0


def test_the_scaffold_keeps_a_secret_inputs_expected_value_for_later(pack):
    wrong = _grade(pack, lambda v: sum(x * x for x in v), secret="a secret")
    lists = wrong["mean_of_squares: the mean of the squares of lists of numbers"]
    assert lists.score == 0 and "expected" not in lists.output and "expected" in lists.details
    assert "it returns the sum of the squares" in lists.output  # the hint names the mistake
