"""The composition pack's checks and hints on plain data: what each says of a right answer, of the
usual wrong ones, and on a secret input. No sandbox: answers are built here as the worker would send
them (`wire.Tensor`, `wire.Factored`, numbers, dicts)."""

from __future__ import annotations

import numpy as np

from autograder.engine.contract import Answer
from autograder.engine.pack import Case, Failure
from autograder.engine.wire import Factored, Tensor
from autograder.packs import composition
from autograder.packs.composition import checks, mistakes
from autograder.packs.composition.cases import F_BATCHED, F_RANDOM, F_SCORE, F_TABLES

RNG = np.random.default_rng(0)


def tensor(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), "float32", "cpu")


def case(function: str = "f", secret: bool = False, group: str = "", **extra) -> Case:
    return Case("f/0", function, (), about="an input", group=group, extra=extra, secret=secret)


def random_scores(d_model: int, d_head: int, n: int, full_rank: bool = False) -> np.ndarray:
    """Composition scores of random matrices of a head's shape, as the exercise draws them."""

    def draw():
        if full_rank:
            return RNG.standard_normal((d_model, d_model))
        return RNG.standard_normal((d_model, d_head)) @ RNG.standard_normal((d_head, d_model))

    scores = []
    for _ in range(n):
        A, B = draw(), draw()
        scores.append(np.linalg.norm(A @ B) / (np.linalg.norm(A) * np.linalg.norm(B)))
    return np.array(scores)


def test_random_scores_are_judged_by_their_distribution_not_their_values():
    c = case(F_RANDOM)
    reference = tensor(random_scores(64, 16, 40))
    # another right answer: other draws, the same distribution
    assert checks.random_distribution(c, tensor(random_scores(64, 16, 40)), Answer(reference)) is None
    full = checks.random_distribution(c, tensor(random_scores(64, 16, 40, full_rank=True)), Answer(reference))
    assert "spread is off" in full and "not full-rank" in full
    other_shape = checks.random_distribution(c, tensor(random_scores(32, 8, 40)), Answer(reference))
    assert "mean is off" in other_shape
    same = checks.random_distribution(c, tensor(np.full(40, 0.125)), Answer(reference))
    assert "the same score" in same
    secret = checks.random_distribution(
        case(F_RANDOM, secret=True), tensor(random_scores(32, 8, 40)), Answer(reference)
    )
    assert isinstance(secret, Failure) and "standard deviation" not in secret.summary


def test_numbers_come_as_floats_or_one_element_tensors():
    want = Answer(0.3125)
    for got in (0.3125, tensor(0.3125), tensor([0.3125])):
        assert checks.score_matches(case(F_SCORE), got, want) is None
        assert checks.score_in_range(case(F_SCORE), got, want) is None
    assert "between 0 and 1" in checks.score_in_range(case(F_SCORE), 1.5, want)
    assert "expected the composition score as a number" in checks.score_in_range(case(F_SCORE), "0.3", want)


def test_batched_scores_may_come_flattened_but_not_transposed():
    W_As = Factored(RNG.standard_normal((2, 3, 5, 4)), RNG.standard_normal((2, 3, 4, 6)))
    W_Bs = Factored(RNG.standard_normal((4, 6, 2)), RNG.standard_normal((4, 2, 7)))
    want = RNG.random((2, 3, 4))
    answer = Answer(tensor(want), (W_As, W_Bs))
    c = case(F_BATCHED)
    assert checks.batched_matches(c, tensor(want), answer) is None
    assert checks.batched_matches(c, tensor(want.reshape(6, 4)), answer) is None
    assert checks.batched_shape(c, tensor(want.reshape(6, 4)), answer) is None
    assert "transposed" in checks.batched_shape(c, tensor(np.moveaxis(want, -1, 0)), answer)


def test_tables_name_the_global_model_and_each_table():
    heads = 5
    want = {kind: tensor(RNG.random((heads, heads))) for kind in "QKV"}
    c = case(F_TABLES, model="small", shape={"n_heads": heads})
    assert checks.tables_shape(c, want, Answer(want)) is None
    global_model = {kind: tensor(RNG.random((12, 12))) for kind in "QKV"}
    assert "global `model`" in checks.tables_shape(c, global_model, Answer(want))
    assert "no key 'K'" in checks.tables_shape(c, {"Q": want["Q"], "V": want["V"]}, Answer(want))
    wrong_k = dict(want, K=tensor(want["K"].values + 0.1))
    assert checks._table_matches(("Q",))(c, wrong_k, Answer(want)) is None
    assert "K-composition scores differ" in checks._table_matches(("K",))(c, wrong_k, Answer(want))


def test_the_hint_forms_are_those_of_the_simulations():
    """A submission's answer and a simulated mistake's output compare in one form (as the release's
    table stores them): a number as a one-element array, the batched scores flattened."""
    W_A, W_B = RNG.standard_normal((6, 9)), RNG.standard_normal((9, 4))
    c = case(F_SCORE)
    simulated = dict(mistakes.simulations(F_SCORE, c, Answer(0.5, (tensor(W_A), tensor(W_B)))))
    spectral = next(output for hint, output in simulated.items() if "spectral" in hint)
    assert composition.hint_form(F_SCORE, c, float(spectral[0])).shape == spectral.shape == (1,)
    assert composition.hint_form(F_BATCHED, c, tensor(np.ones((2, 3, 4)))).shape == (24,)
