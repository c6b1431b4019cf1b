"""The hooks pack's checks on plain data: what each says of a right answer, of the usual wrong
ones, and on a secret input. No sandbox: answers are built here as the worker would send them."""

from __future__ import annotations

import numpy as np

from autograder.engine.contract import Answer
from autograder.engine.pack import Case, Failure
from autograder.engine.wire import Tensor
from autograder.packs.hooks import checks


def tensor(values, dtype: str = "float32") -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64 if dtype.startswith("float") else None), dtype, "cpu")


def case(function: str = "f", secret: bool = False, **extra) -> Case:
    return Case("f/0", function, (), about="an input", extra=extra, secret=secret)


RNG = np.random.default_rng(0)


def test_store_filled():
    c = case(shape=(2, 3))
    assert checks.store_filled(c, tensor(RNG.random((2, 3)) + 0.1), Answer(None)) is None
    assert "row 1 of" in checks.store_filled(c, tensor([[0.5, 0.5, 0.5], [0, 0, 0]]), Answer(None))
    assert "has shape [3, 2], expected [2, 3]" in checks.store_filled(
        c, tensor(np.ones((3, 2))), Answer(None)
    )
    assert "holds NaN" in checks.store_filled(c, tensor(np.full((2, 3), np.nan)), Answer(None))
    assert "is None, expected the float tensor" in checks.store_filled(c, None, Answer(None))


def test_induction_scores_match_with_figures_on_public_inputs_only():
    want = RNG.random((2, 3))
    got = want.copy()
    got[1, 2] += 0.25
    assert checks.induction_scores_match(case(), tensor(want), Answer(tensor(want))) is None
    public = checks.induction_scores_match(case(), tensor(got), Answer(tensor(want)))
    assert public.startswith("1 of 6 scores differ from the reference's, by up to 0.25 (at head 1.2: got ")
    secret = checks.induction_scores_match(case(secret=True), tensor(got), Answer(tensor(want)))
    assert isinstance(secret, Failure) and secret.summary == "the scores differ from the reference's"
    assert "by up to 0.25" in secret.details


def test_attribution_shape_names_the_usual_mistakes():
    c = case(positions=5, shape=(2, 3))  # [seq - 1, 1 + 2 * n_heads] = [4, 7]
    assert checks.attribution_shape(c, tensor(np.ones((4, 7))), Answer(None)) is None
    transposed = checks.attribution_shape(c, tensor(np.ones((7, 4))), Answer(None))
    assert transposed == (
        "shape [7, 4], expected [4, 7] = [seq - 1, 1 + 2 * n_heads] "
        "(transposed: one row per position, one column per component)"
    )
    assert "direct path's column is missing" in checks.attribution_shape(
        c, tensor(np.ones((4, 6))), Answer(None)
    )
    assert checks.attribution_shape(c, [1], Answer(None)) == (
        "returned a list of 1 items, expected a float tensor of shape [4, 7]"
    )


def test_columns_are_judged_apart():
    c = case(shape=(2, 3))
    want = RNG.random((4, 7))
    got = want.copy()
    got[:, 4:] *= -1  # layer 1's heads flipped
    assert checks.direct_path_matches(c, tensor(got), Answer(tensor(want))) is None
    assert checks.layer0_heads_match(c, tensor(got), Answer(tensor(want))) is None
    problem = checks.layer1_heads_match(c, tensor(got), Answer(tensor(want)))
    assert problem.startswith("12 of 12 layer-1 head contributions (the last n_heads columns) differ")
    assert ", column 4" in problem or ", column 5" in problem or ", column 6" in problem


def _z_case():
    z = RNG.random((1, 5, 3, 2)) + 0.1
    return case(shape=(2, 3)), z, Answer(None, args=(tensor(z), 1))


def test_the_ablation_hook_zeroes_one_head_and_keeps_the_others():
    c, z, want = _z_case()
    right = z.copy()
    right[:, :, 1, :] = 0
    assert checks.head_zeroed(c, tensor(right), want) is None
    assert checks.other_heads_unchanged(c, tensor(right), want) is None
    everything = z * 0  # the head is zeroed, and every other head with it
    assert checks.head_zeroed(c, tensor(everything), want) is None  # a format: evidence comes from below
    assert checks.other_heads_unchanged(c, tensor(everything), want) == (
        "the output of heads 0, 2 changed too: every head but head_index_to_ablate=1 keeps its values"
    )
    assert (
        checks.head_zeroed(c, tensor(z), want)
        == "10 of the 10 entries of head 1 (z[:, :, 1, :]) are not zero"
    )
    assert checks.head_zeroed(c, None, want).startswith("returned None: return the tensor")


def test_ablated_logits_say_no_gap_on_a_secret_input():
    want = RNG.random((1, 4, 6))
    got = want + 0.5
    public = checks.ablated_logits_match(case(layer=1, head=2), tensor(got), Answer(tensor(want)))
    assert "differ from the reference's by up to 0.5: the hook must return z" in public
    secret = checks.ablated_logits_match(
        case(layer=1, head=2, secret=True), tensor(got), Answer(tensor(want))
    )
    assert secret == (
        "the model's logits with head 1.2 ablated differ from the reference's: "
        "the hook must return z with only that head's output zeroed"
    )


def test_scores_shape():
    c = case(shape=(2, 3))
    assert checks.scores_shape(c, tensor(np.ones((2, 3))), Answer(None)) is None
    assert checks.scores_shape(c, tensor(np.ones((3, 2))), Answer(None)) == (
        "shape [3, 2], expected [n_layers, n_heads] = [2, 3] (transposed: one row per layer)"
    )
    assert checks.scores_shape(c, tensor(np.full((2, 3), np.nan)), Answer(None)) == "the scores hold NaN"


def test_the_format_tests_are_the_four_that_need_evidence():
    assert [t.per_case for t in checks.TESTS if t.format_only] == [
        checks.store_filled,
        checks.attribution_shape,
        checks.head_zeroed,
        checks.scores_shape,
    ]
