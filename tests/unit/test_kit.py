"""The pack author's kit, on plain data: the vocabulary of checks, the typed contract, and the
judge's rule that a format test pays only on evidence. No sandbox, no subprocess."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.engine import kit
from autograder.engine.contract import Answer
from autograder.engine.judge import CONSTANT, NO_EVIDENCE, judge
from autograder.engine.pack import Case, Failure, Function, Inputs, Pack, Param, Test
from autograder.engine.reference import Reference
from autograder.engine.runner import RawResults
from autograder.engine.wire import Factored, Record, Tensor


def tensor(values, dtype: str = "float32") -> Tensor:
    return Tensor(np.asarray(values), dtype, "cpu")


def case(secret: bool = False, **extra) -> Case:
    return Case("f/0", "f", (), about="an input", extra=extra, secret=secret)


# --- the vocabulary ----------------------------------------------------------------------------


def test_what_says_what_came_back():
    assert kit.what(tensor([[1.0, 2.0]])) == "a tensor of shape [1, 2] and dtype float32"
    assert kit.what(None) == "None"
    assert kit.what([1, 2, 3]) == "a list of 3 items"
    assert kit.what(Record("ActivationCache", {})) == "an ActivationCache"
    assert kit.what(3.5) == "float '3.5'"


def test_fmt_elides_the_middle_of_long_arrays():
    assert kit.fmt([1, 2, 3]) == "[1, 2, 3]"
    assert kit.fmt(list(range(20))) == "[ 0, 1, 2, 3, ..., 16, 17, 18, 19]"
    assert kit.fmt(list(range(20)), edgeitems=2) == "[ 0, 1, ..., 18, 19]"


def test_say_keeps_the_details_of_a_secret_input_for_later():
    assert kit.say(case(), "wrong", "; expected 3") == "wrong; expected 3"
    said = kit.say(case(secret=True), "wrong", "; expected 3")
    assert isinstance(said, Failure) and said.summary == "wrong" and said.details == "wrong; expected 3"


def test_selectors():
    default, other = case(model="default"), Case("f/1", "f", (), group="shapes", extra={"model": "x"})
    assert kit.every(default) and kit.group("shapes")(other) and not kit.group("shapes")(default)
    assert kit.extra_is("model", "default")(default) and not kit.extra_is("model", "default")(other)
    assert kit.extra_is_not("model", "default")(other)


def test_shape_problem_names_the_usual_mistake():
    assert kit.shape_problem((2, 3), (2, 3)) is None
    why = {(3, 2): " (transposed)"}
    assert kit.shape_problem((3, 2), (2, 3), why) == "shape [3, 2], expected [2, 3] (transposed)"
    assert kit.shape_problem((4,), (2, 3), why, " = [a, b]") == "shape [4], expected [2, 3] = [a, b]"


def test_allclose_problem_measures_on_public_inputs_only():
    want = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = want + np.array([[0.0, 0.0], [0.0, 0.5]])
    assert kit.allclose_problem(case(), want + 1e-9, want, dict(atol=1e-6, rtol=0), "scores") is None
    public = kit.allclose_problem(case(), got, want, dict(atol=1e-6, rtol=0), "scores")
    assert public.startswith("1 of 4 scores differ from the reference's, by up to 0.5 (at index [1, 1]: ")
    secret = kit.allclose_problem(case(secret=True), got, want, dict(atol=1e-6, rtol=0), "scores")
    assert isinstance(secret, Failure)
    assert secret.summary == "the scores differ from the reference's"  # no count, gap or position
    assert "by up to 0.5" in secret.details and "expected 4" in secret.details
    nan = kit.allclose_problem(case(), np.full((2, 2), np.nan), want, dict(atol=1e-6, rtol=0), "scores")
    assert nan == "4 of the 4 scores are NaN"


def test_heads_reads_labels_and_says_what_is_wrong():
    assert kit.heads(["1.4", "0.10"], (2, 12)) == {"1.4", "0.10"}
    assert kit.heads("1.4", (2, 12)).startswith("returned str")
    assert kit.heads(["1.4", "1.4"], (2, 12)) == "'1.4' is listed twice"
    assert kit.heads(["2.0"], (2, 12)) == "'2.0' is not a head of this model (2 layers of 12 heads)"
    assert kit.heads(["01.4"], (2, 12)).startswith("'01.4' is not a head")
    assert kit.heads(["a"], (2, 12)) == '\'a\' is not of the form "layer.head" (e.g. "1.4")'
    assert kit.heads([1], (2, 12)).startswith("the list holds int")
    assert kit.heads(["0.0"] * 30, (2, 12)) == "30 labels, more than this model's 24 heads"


def test_head_lists_are_shown_in_order_and_compared():
    assert kit.order(["1.10", "1.9", "0.3"]) == ["0.3", "1.9", "1.10"]
    assert kit.show_labels([]) == "[] (no heads)"
    assert kit.show_labels([f"0.{i}" for i in range(10)]).endswith(", ... (10 heads)]")
    assert kit.compare_labels({"1.4"}, {"1.4"}) is None
    assert kit.compare_labels({"0.1", "1.4"}, {"1.4"}) == "expected [0.1, 1.4], got [1.4]"


def test_same_answer_compares_values_and_shapes():
    assert kit.same_answer(tensor([0.0, 0.0]), tensor([0.0, 0.0]))
    assert not kit.same_answer(tensor([0.0, 0.0]), tensor([0.0, 0.0, 0.0]))
    assert not kit.same_answer(tensor([0.0, 1.0]), tensor([0.0, 0.0]))
    assert kit.same_answer([tensor([1.0]), "a"], (tensor([1.0]), "a"))
    assert not kit.same_answer(["a"], ["b"]) and not kit.same_answer(tensor([1.0]), [1.0])


def test_varies_like_tells_a_computed_answer_from_one_made_of_the_shape():
    want = tensor([[1.0, 5.0], [2.0, 7.0]])
    assert kit.varies_like(tensor([[1.1, 5.2], [2.0, 6.5]]), want)
    assert kit.varies_like(tensor([[-1.0, -5.0], [-2.0, -7.0]]), want)  # a flipped sign: computed, wrong
    assert not kit.varies_like(tensor([[0.0, 0.0], [0.0, 0.0]]), want)  # zeros, z * 0
    assert not kit.varies_like(tensor([[1.0, 1.0], [1.0, 1.0]]), want)  # a filled row
    assert not kit.varies_like(tensor([[1.0, 5.0, 0.0]]), want)  # another shape
    assert not kit.varies_like(tensor([[np.nan, 5.0], [2.0, 7.0]]), want)
    assert not kit.varies_like([1.0, 5.0], want)


# --- the contract ------------------------------------------------------------------------------


def test_tests_and_packs_take_keywords():
    with pytest.raises(TypeError):
        Test("f", "a test", 1)  # type: ignore[misc]
    test = Test(function="f", name="a test", points=1)
    assert test.selects is kit.every and test.title == "f: a test" and not test.format_only


def test_answer_of_a_reference_outcome():
    answer = Answer.of({"status": "ok", "value": 3, "args": [1, 2], "calls": []})
    assert (answer.value, answer.args, answer.inputs) == (3, (1, 2), ())
    assert Answer.of({"value": None}).args == ()


# --- evidence: a format test pays only for an answer computed from its input ---------------------


def _shape_only(case, got, want):
    return None if isinstance(got, Tensor) and got.shape == want.value.shape else "wrong shape"


def _values(case, got, want):
    return None if kit.same_answer(got, want.value) else "wrong values"


def _close(case, got, want):
    return None if np.allclose(got.values, want.value.values, atol=1e-4) else "wrong values"


def _grade(
    answers: dict[str, Tensor],
    references: dict[str, Tensor],
    value_cases=("a", "b", "c"),
    values=_values,
    other_cases=(),
) -> dict:
    """The toy pack's scores by test name, for these answers to cases "a", "b" and "c"."""
    cases = tuple(Case(f"f/{key}", "f", (), about=f"input {key}", group=key) for key in references)
    pack = Pack(
        name="toy",
        title="A toy",
        functions=(Function("f", (Param("x"),)),),
        tests=(
            Test(function="f", name="the shape", points=2, per_case=_shape_only, format_only=True),
            Test(function="f", name="the values", points=3, selects=kit.group(*value_cases), per_case=values),
        )
        + (
            (
                Test(
                    function="f",
                    name="the other values",
                    points=1,
                    selects=kit.group(*other_cases),
                    per_case=values,
                ),
            )
            if other_cases
            else ()
        ),
        inputs=lambda secret: Inputs({}, {}, cases),
        package=Path("."),
        solution=Path("solution.py"),
        exercise=Path("exercise.py"),
    )
    raw = RawResults(
        imports={"f": {"functions": {"f": "def f(x)"}}},
        outcomes={f"f/{key}": {"status": "ok", "value": value} for key, value in answers.items()},
    )
    reference = Reference({f"f/{key}": {"status": "ok", "value": value} for key, value in references.items()})
    verdict = judge(raw, reference, pack, pack.inputs(None), ["f"])
    return {test.name.split(": ")[1]: (test.score, test.output) for test in verdict.tests}


REFERENCES = {"a": tensor([1.0, 2.0]), "b": tensor([3.0, 4.0]), "c": tensor([5.0, 6.0, 7.0])}


def test_a_right_answer_earns_every_point():
    scores = _grade(REFERENCES, REFERENCES)
    assert scores == {"the shape": (2, ""), "the values": (3, "")}


def test_a_constant_answer_of_the_right_shape_earns_nothing():
    constant = {"a": tensor([0.0, 0.0]), "b": tensor([0.0, 0.0]), "c": tensor([0.0, 0.0, 0.0])}
    scores = _grade(constant, REFERENCES)
    assert scores["the shape"][0] == 0 and scores["the values"][0] == 0
    assert scores["the shape"][1].splitlines()[0] == f"On input a: {NO_EVIDENCE}"


def test_a_wrong_answer_that_changes_as_the_reference_does_keeps_its_format_points():
    """Where no value test passed, an answer that differs wherever the reference's does (same
    shape) shows it is computed from the input; a lone shape (c) shows nothing either way."""
    wrong = {"a": tensor([1.0, 1.0]), "b": tensor([2.0, 2.0]), "c": tensor([0.0, 0.0, 0.0])}
    assert _grade(wrong, REFERENCES, value_cases=("a", "b", "c"))["the shape"] == (
        0,
        f"On input c: {NO_EVIDENCE}",
    )
    assert _grade(wrong, REFERENCES, value_cases=("a", "c"))["the shape"][0] == 0  # c: no evidence
    right_on_c = dict(wrong, c=REFERENCES["c"])
    assert _grade(right_on_c, REFERENCES, value_cases=("a", "c"))["the shape"] == (2, "")


def test_one_answer_for_every_input_earns_nothing_even_where_it_is_right():
    """The seed's heads returned for any cache match the default model's: a coincidence, not a
    computation, when the reference's answers differ between the inputs."""
    references = {"a": tensor([1.0, 2.0]), "b": tensor([3.0, 4.0])}
    same = {"a": tensor([1.0, 2.0]), "b": tensor([1.0, 2.0])}
    scores = _grade(same, references, value_cases=("a",), other_cases=("b",))
    assert scores["the values"] == (0, CONSTANT) and scores["the other values"][0] == 0
    # Where the reference's answer is one for every input too, the same answer is the right one.
    assert _grade(same, same, value_cases=("a", "b")) == {"the shape": (2, ""), "the values": (3, "")}
    # Where the reference's answers differ by less than the checks tell apart, one answer is right.
    nearly = {"a": tensor([1.0, 2.0]), "b": tensor([1.0, 2.00001])}
    assert _grade(same, nearly, ("a", "b"), _close) == {"the shape": (2, ""), "the values": (3, "")}


def test_a_wrong_answer_computed_from_its_input_keeps_its_format_points():
    flipped = {key: tensor(-value.values) for key, value in REFERENCES.items()}
    assert _grade(flipped, REFERENCES) == {
        "the shape": (2, ""),
        "the values": (0, "On input a: wrong values\nOn input b: wrong values\n(and 1 more input)"),
    }


def test_every_case_of_a_format_test_can_show_evidence():
    """A right answer must earn a format test's points: each case it looks at is also looked at by
    a value test of the same function (which a right answer passes)."""
    from autograder.engine import pack as packs

    for pack in packs.packs().values():
        for secret in (None, "a secret"):
            inputs = pack.inputs(secret)
            for test in (t for t in pack.tests if t.format_only):
                values = [t for t in pack.tests_of(test.function) if not t.format_only and t.per_case]
                for case in inputs.of(test.function):
                    if test.selects(case):
                        assert any(t.selects(case) for t in values), (pack.name, test.title, case.id)


# --- fixtures: a pack's own argument kinds and drivers -------------------------------------------


def test_a_pack_adds_argument_kinds_and_drivers_in_its_own_module():
    import torch as t

    from autograder.engine.fixtures import Fixtures, driver, kind

    class Mine(Fixtures):
        @kind("sorted_list")
        def sorted_list(self, spec: dict) -> list:
            return sorted(self.catalog["lists"][spec["name"]])

        @driver("twice")
        def twice(self, function, args, case, namespace):
            return [function(*args), function(*args)]

    fixtures = Mine({"lists": {"l": [3, 1, 2]}}, {"x": t.ones(2)})
    assert fixtures.build({"kind": "sorted_list", "name": "l"}) == [1, 2, 3]
    assert fixtures.build({"kind": "tensor", "ref": "x"}).tolist() == [1.0, 1.0]  # the base's kinds stay
    case_ = {"driver": {"name": "twice"}}
    assert fixtures.drive(len, [[1, 2]], case_, {}) == [2, 2]
    assert "sorted_list" not in Fixtures({}, {}).kinds  # another pack's fixtures are untouched
    with pytest.raises(ValueError, match="unknown argument kind 'nothing'"):
        fixtures.build({"kind": "nothing"})


# --- numbers and factored matrices ------------------------------------------------------------


def factored(A, B) -> Factored:
    return Factored(np.asarray(A, np.float32), np.asarray(B, np.float32))


def test_number_takes_a_float_however_it_came():
    assert kit.number(0.5) == 0.5 and kit.number(2) == 2.0
    assert kit.number(tensor(0.5)) == 0.5  # a 0-d tensor
    assert kit.number(tensor([0.5])) == 0.5  # a tensor of one element
    assert kit.number(True) is None and kit.number("0.5") is None and kit.number(tensor([0.5, 1.0])) is None


def test_number_problem_names_the_value_and_keeps_the_expected_one_secret():
    assert kit.number_problem(case(), tensor(0.5), 0.5, {"atol": 1e-6}, "top-1 accuracy") is None
    public = kit.number_problem(case(), 0.25, 0.5, {"atol": 1e-6}, "top-1 accuracy")
    assert public == "the top-1 accuracy is 0.25; expected 0.5"
    secret = kit.number_problem(case(secret=True), 0.25, 0.5, {"atol": 1e-6}, "top-1 accuracy")
    assert isinstance(secret, Failure) and "0.5" not in secret.summary and "expected 0.5" in secret.details
    named = kit.number_problem(
        case(), 0.25, 0.5, {"atol": 1e-6}, "accuracy", lambda v: " (argmax over dim 0?)"
    )
    assert "dim 0" in named
    assert "expected the accuracy as a number" in kit.number_problem(case(), [0.5], 0.5, {}, "accuracy")
    assert kit.number_problem(case(), float("nan"), 0.5, {}, "accuracy") == "the accuracy is NaN"


def _factors(m=40, n=30, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, k)), rng.standard_normal((k, n))


TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def test_factored_matrices_are_judged_by_product_not_by_factoring():
    A, B = _factors()
    want = factored(A, B)
    mix = np.random.default_rng(1).standard_normal((3, 3))
    other_factoring = factored(A @ mix, np.linalg.inv(mix) @ B)
    wider = factored(np.concatenate([A, np.zeros((40, 5))], 1), np.concatenate([B, np.ones((5, 30))], 0))
    assert kit.factored_problem(case(), other_factoring, want, TOLERANCE) is None
    assert kit.factored_problem(case(), wider, want, TOLERANCE) is None
    assert kit.factored_problem(case(), tensor(A @ B), want, TOLERANCE) is None  # the product itself
    assert "expected the matrix as a FactoredMatrix" in kit.factored_problem(
        case(), tensor(A @ B), want, TOLERANCE, products=False
    )
    assert kit.same_answer(want, factored(A, B)) and not kit.same_answer(want, factored(-A, B))


def test_factored_problem_names_a_transposed_answer():
    A, B = _factors()
    want = factored(A, B)
    message = kit.factored_problem(case(), factored(B.T, A.T), want, TOLERANCE, "full OV circuit")
    assert "transpose" in message and "shape [30, 40], expected [40, 30]" in message
    square = factored(*_factors(30, 30))
    assert "transpose" in kit.factored_problem(case(), square.T, square, TOLERANCE)
    plain = kit.factored_problem(case(), tensor((A @ B).T), want, TOLERANCE)  # the product, transposed
    assert "transpose" in plain and "shape [30, 40], expected [40, 30]" in plain


def test_factored_problem_says_what_differs_and_keeps_figures_secret():
    A, B = _factors()
    want = factored(A, B)
    wrong = factored(A, 1.01 * B)
    public = kit.factored_problem(case(), wrong, want, TOLERANCE, "circuit")
    assert "differs from the reference's" in public and "relative gap" in public
    secret = kit.factored_problem(case(secret=True), wrong, want, TOLERANCE, "circuit")
    assert isinstance(secret, Failure) and "gap" not in secret.summary and "gap" in secret.details
    assert "shape [40, 29]" in kit.factored_problem(case(), factored(A, B[:, :29]), want, TOLERANCE)
    assert "FactoredMatrix" in kit.factored_problem(case(), 3.0, want, TOLERANCE)
    nan = factored(A, np.full_like(B, np.nan))
    assert "NaN" in kit.factored_problem(case(), nan, want, TOLERANCE)


def test_a_change_of_one_row_outside_the_sampled_rows_is_caught_by_the_norm():
    A, B = _factors(m=1000, n=30)
    product = A @ B
    unsampled = next(i for i in range(1000) if i not in kit._sample(1000))
    product[unsampled] += 1.0
    assert kit.factored_problem(case(), tensor(product), factored(A, B), TOLERANCE) is not None


def test_factors_shaped_alike_are_settled_by_a_bound_that_never_passes_a_wrong_product():
    A, B = _factors(m=1000, n=30)
    want = factored(A, B)
    rng = np.random.default_rng(3)
    for scale in (1e-9, 1e-6, 1e-3, 1e-1):  # the bound is never below the true gap
        dA, dB = scale * rng.standard_normal(A.shape), scale * rng.standard_normal(B.shape)
        x = Factored(A + dA, B + dB)
        true_gap = np.linalg.norm((A + dA) @ (B + dB) - A @ B)
        assert kit._gap_bound(x, Factored(A, B)) >= true_gap * (1 - 1e-9)
    assert kit.factored_problem(case(), factored(A, B), want, TOLERANCE) is None
    scaled = factored(3 * A, B / 3)  # the same product, not the same factors: settled by the norm
    assert kit.factored_problem(case(), scaled, want, TOLERANCE) is None
    row = next(i for i in range(1000) if i not in kit._sample(1000))
    changed = A.copy()
    changed[row] += 1.0  # one unsampled row of the factor: the same shapes, another product
    assert kit.factored_problem(case(), factored(changed, B), want, TOLERANCE) is not None


def test_batched_factored_matrices_compare_by_product():
    rng = np.random.default_rng(2)
    A, B = rng.standard_normal((4, 10, 2)), rng.standard_normal((2, 10))
    want = factored(A, B)
    assert want.shape == (4, 10, 10)
    assert kit.factored_problem(case(), factored(A, np.broadcast_to(B, (4, 2, 10))), want, TOLERANCE) is None
    assert kit.factored_problem(case(), factored(-A, B), want, TOLERANCE) is not None
