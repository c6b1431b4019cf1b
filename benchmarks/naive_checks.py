"""The checks of the two baselines, run in the student's own process, the traditional way.

Both baselines (nbgrader's test cells, and one `pytest` process per submission) build the same
inputs as the project's worker (the induction-heads pack's public inputs, built by its fixtures:
the same models, caches and seeds), call the student's functions in-process, and compare what comes
back with expected values precomputed once from the reference solution
(`python benchmarks/naive_checks.py OUT`).

What they cover, for every case of the project's grader:
- the four detectors: the list of heads, as a set, equals the reference's;
- generate_repeated_tokens: the tensor equals the reference's (values, shape, dtype);
- run_and_cache_model_repeated_tokens: tokens equal, logits and every layer's attention pattern
  close to the reference's.
What they do not do (the project's grader does): partial credit per test, stand-ins for the other
functions, explanations of mistakes, time and memory limits, any isolation.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch as t

from autograder.engine import pack as packs
from autograder.packs.induction_heads.cases import DETECTORS
from autograder.transformer_lens.fixtures import Fixtures

PACK = packs.get("induction_heads")
INPUTS = PACK.inputs(None)
Expected = dict[str, Any]  # case id -> the reference's return value (plain lists and tensors)


def build_inputs() -> Fixtures:
    return Fixtures(INPUTS.catalog, {name: t.from_numpy(array) for name, array in INPUTS.tensors.items()})


def cases_of(function: str) -> list:
    return INPUTS.of(function)


def call(function, case, inputs: Fixtures) -> Any:
    """Calls `function` on the case's inputs, seeded as the project's worker seeds it."""
    inputs.restore()
    args = [inputs.build(spec) for spec in case.args]
    t.default_generator.manual_seed(case.seed)
    return function(*args)


def plain(function: str, value: Any) -> Any:
    """A return value as what is compared: heads as a sorted list, tensors as tensors."""
    if function in DETECTORS:
        return sorted(value)
    if function == "run_and_cache_model_repeated_tokens":
        tokens, logits, cache = value
        n_layers = cache.model.cfg.n_layers
        return [tokens, logits] + [cache["pattern", layer] for layer in range(n_layers)]
    return value


def same(function: str, got: Any, expected: Any) -> bool:
    if function in DETECTORS:
        return isinstance(got, list) and sorted(got) == expected
    if function == "generate_repeated_tokens":
        return isinstance(got, t.Tensor) and got.dtype == expected.dtype and t.equal(got, expected)
    if not (isinstance(got, tuple) and len(got) == 3):
        return False
    tokens, logits, *patterns = plain(function, got)
    return (
        t.equal(tokens, expected[0])
        and logits.shape == expected[1].shape
        and t.allclose(logits, expected[1], atol=1e-4)
        and len(patterns) == len(expected) - 2
        and all(
            p.shape == e.shape and t.allclose(p, e, atol=1e-5)
            for p, e in zip(patterns, expected[2:], strict=True)
        )
    )


def check_function(namespace: dict, function: str, inputs: Fixtures, expected: Expected) -> None:
    """Fails (AssertionError) unless `namespace[function]` matches the reference on every case."""
    assert callable(namespace.get(function)), f"{function} is not defined"
    for case in cases_of(function):
        got = call(namespace[function], case, inputs)
        assert same(function, got, expected[case.id]), f"{function}: wrong on {case.about}"


def load_expected(path: str | Path) -> Expected:
    return t.load(path, weights_only=True)


def compute_expected(out: Path) -> None:
    """Runs the reference solution on every case and saves what it returned."""
    inputs = build_inputs()
    namespace: dict[str, Any] = {"__name__": "reference"}  # not __main__: its demo code stays off
    exec(compile(PACK.solution.read_text(), str(PACK.solution), "exec"), namespace)
    expected = {
        case.id: plain(case.function, call(namespace[case.function], case, inputs)) for case in INPUTS.cases
    }
    t.save(expected, out)


if __name__ == "__main__":
    compute_expected(Path(sys.argv[1]))
