"""The judge on plain data: what the worker reported (no sandbox here), the pack's declaration, and
the reference's outcomes; each function's tests, scores and messages."""

from __future__ import annotations

import pytest

from autograder.engine import judge as judging
from autograder.engine import pack as packs
from autograder.engine.reference import Reference
from autograder.output.results import NOT_READ, Result


@pytest.fixture(scope="module")
def pack():
    return packs.get("induction_heads")


@pytest.fixture(scope="module")
def inputs(pack):
    return pack.inputs(None)


def verdict(pack, inputs, **raw):
    return judging.judge(judging.RawResults(**raw), Reference({}), pack, inputs, pack.names)


def defined(pack) -> dict:
    """Every function imported, each with a signature (the worker's report on a complete file)."""
    return {f: {"functions": {f: {}}} for f in pack.names}


def test_a_file_that_cannot_be_read_fails_every_test_with_the_reason_at_the_top(pack, inputs):
    said = verdict(pack, inputs, unloadable="work.ipynb is not a readable notebook: not JSON")
    assert said.status == judging.NOT_IMPORTED
    assert said.problems == ["work.ipynb is not a readable notebook: not JSON"]
    assert len(said.tests) == len(pack.tests) and all(t.output == NOT_READ for t in said.tests)
    result = Result("student", said.tests, status=said.status, problems=said.problems)
    assert result.score == 0 and result.unreadable() == "work.ipynb is not a readable notebook: not JSON"


def test_what_the_worker_sent_broke_the_protocol_is_not_a_file_that_cannot_be_read(pack, inputs):
    said = verdict(pack, inputs, invalid="a forged frame")
    assert said.status == judging.INVALID
    result = Result("student", said.tests, status=said.status, problems=said.problems)
    assert result.unreadable() == "" and all(t.score == 0 for t in said.tests)


def test_a_missing_function_fails_its_own_tests_only_and_names_the_contract(pack, inputs):
    imports = defined(pack)
    missing = pack.names[0]
    imports[missing] = {"functions": {}}
    said = verdict(pack, inputs, imports=imports)
    mine = [t for t in said.tests if t.function == missing]
    assert mine and all(t.output.startswith(f"There is no function named {missing}") for t in mine)
    assert pack.function(missing).signature() in mine[0].output
    # the others ran no case either (no outcomes came back), but for another reason than this one
    assert not any("There is no function" in t.output for t in said.tests if t.function != missing)


def test_an_untouched_stub_says_not_written_yet_on_each_input(pack, inputs):
    function = pack.names[0]
    error = {"status": "error", "error": {"type": "NotImplementedError", "message": ""}}
    outcomes = {case.id: error for case in inputs.of(function)}
    said = verdict(pack, inputs, imports=defined(pack), outcomes=outcomes)
    mine = [t for t in said.tests if t.function == function]
    assert mine and all(t.score == 0 for t in mine)
    first = mine[0].output.splitlines()[0]
    assert first.startswith("On ") and "raised NotImplementedError (not written yet:" in first
    assert "(and " in mine[0].output  # past the inputs shown, a count of the rest


def test_statuses_say_what_kind_of_result_it_is(pack, inputs):
    crashed = verdict(pack, inputs, imports=defined(pack), kinds={"crashed"})
    assert crashed.status == judging.CRASHED
    problem = {"where": "cell 2, line 1", "type": "ModuleNotFoundError", "message": "No module named 'x'"}
    partly = verdict(pack, inputs, imports=defined(pack), program=[problem])
    assert partly.status == judging.PROBLEMS
    assert partly.problems == [
        "cell 2, line 1: the module x is not installed where your work is graded "
        "(ModuleNotFoundError: No module named 'x')"
    ]
