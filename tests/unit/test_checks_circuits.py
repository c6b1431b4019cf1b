"""The circuits pack's checks and named mistakes on plain data: what each says of a right answer, of
the usual wrong ones, and on a secret input. No sandbox: answers are built here as the worker would
send them (a FactoredMatrix as `wire.Factored`)."""

from __future__ import annotations

import numpy as np

from autograder.engine.contract import Answer
from autograder.engine.pack import Case, Failure
from autograder.engine.wire import Factored, Tensor
from autograder.packs.circuits import cases, checks, mistakes

RNG = np.random.default_rng(0)


def tensor(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float32), "float32", "cpu")


def case(function: str = "f", secret: bool = False, group: str = "", **extra) -> Case:
    return Case(f"{function}/0", function, (), about="an input", group=group, extra=extra, secret=secret)


def test_top_1_acc_inputs_tell_the_argmax_dimensions_apart():
    for secret in (None, "a secret", "another"):
        for c in cases.inputs(secret).of(cases.F_TOP1):
            spec = c.args[0]
            product = cases.inputs(secret).tensors[spec["A"]].astype(np.float64) @ cases.inputs(
                secret
            ).tensors[spec["B"]].astype(np.float64)
            rows, columns, gap = cases.accuracies(product)
            assert abs(rows - columns) * c.extra["n"] >= cases.TOP1_MARGIN and gap > cases.TIE, c.id


def test_accuracy_takes_any_number_and_names_dim_0():
    A, B = cases.random_circuit(np.random.default_rng(1), 60, 6)
    product = A.astype(np.float64) @ B.astype(np.float64)
    rows, columns, _ = cases.accuracies(product)
    c = case(cases.F_TOP1, n=60)
    want = Answer(rows, (Factored(A, B),))
    for got in (rows, np.float64(rows).item(), tensor(rows), tensor([rows])):
        assert checks.accuracy_matches(c, got, want) is None
    assert "is " in checks.accuracy_matches(c, columns, want)
    hint = mistakes.HINTS[cases.F_TOP1]([(c, columns, want)])
    assert "dim 0" in hint
    assert "not the fraction" in mistakes.HINTS[cases.F_TOP1]([(c, rows * 60, want)])
    assert mistakes.HINTS[cases.F_TOP1]([(c, rows, want)]) is None


def test_mask_placed_names_direction_diagonal_and_value():
    scores = RNG.standard_normal((5, 5))
    want = Answer(tensor(np.where(np.tril(np.ones((5, 5))), scores, -1e6)), (tensor(scores),))
    c = case(cases.F_MASK)
    assert checks.mask_placed(c, want.value, want) is None
    assert checks.mask_placed(c, tensor(np.where(np.tril(np.ones((5, 5))), scores, -np.inf)), want) is None
    assert "triu for tril" in checks.mask_placed(
        c, tensor(np.where(np.triu(np.ones((5, 5))), scores, -1e6)), want
    )
    diagonal = np.where(np.tril(np.ones((5, 5)), -1), scores, -1e6)
    assert "diagonal too" in checks.mask_placed(c, tensor(diagonal), want)
    assert "are 0" in checks.mask_placed(c, tensor(np.tril(scores)), want)
    assert "nothing is masked" in checks.mask_placed(c, tensor(scores), want)
    assert checks.mask_keeps_scores(c, want.value, want) is None


def test_decompose_attn_scores_accepts_either_scaling_and_names_d_head():
    q, k = RNG.standard_normal((4, 3, 16)), RNG.standard_normal((4, 3, 16))
    scores = np.einsum("iqh,jkh->ijqk", q, k)
    c = case(cases.F_SCORES, facts={"d_head": 16})
    want = Answer(tensor(scores), (tensor(q), tensor(k)))
    assert checks.scores_match(c, tensor(scores), want) is None
    assert checks.scores_match(c, tensor(scores / 4), want) is None
    assert checks.scores_match(c, tensor(scores / 16), want) is not None
    assert "not by its square root" in mistakes.HINTS[cases.F_SCORES]([(c, tensor(scores / 16), want)])
    swapped = scores.transpose(1, 0, 3, 2) / 4
    assert "query and the key are swapped" in mistakes.HINTS[cases.F_SCORES]([(c, tensor(swapped), want)])


def test_pattern_checks_name_a_missing_sqrt_and_the_softmax_dimension():
    n, d_head = 12, 16
    raw = RNG.standard_normal((n, n)) * 3
    causal = np.tril(np.ones((n, n), bool))

    def pattern(scale: float) -> np.ndarray:
        z = np.where(causal, raw * scale, -np.inf)
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    c = case(cases.F_POS, facts={"n_ctx": n, "d_head": d_head}, model="small", layer=0, head=0)
    want = Answer(tensor(pattern(1 / 4)))
    assert (
        checks.pattern_form(c, want.value, want) is None
        and checks.pattern_matches(c, want.value, want) is None
    )
    unscaled = tensor(pattern(1.0))
    assert checks.pattern_matches(c, unscaled, want) is not None
    assert "sqrt(d_head)" in mistakes.HINTS[cases.F_POS]([(c, unscaled, want)])
    assert "over the keys" in checks.pattern_form(c, tensor(pattern(1 / 4).T / pattern(1 / 4).T.sum(0)), want)
    secret = checks.pattern_matches(case(cases.F_POS, secret=True), unscaled, want)
    assert isinstance(secret, Failure) and "differ" in secret.summary and "got" not in secret.summary


def test_circuit_checks_judge_the_product_and_name_w_o_w_v_on_the_default_model():
    w = cases.default_weights()
    layer, head = 1, 4
    A = (w["W_E"] @ w["W_V"][layer, head]).astype(np.float32)
    B = (w["W_O"][layer, head] @ w["W_U"]).astype(np.float32)
    want = Answer(Factored(A, B))
    c = case(cases.F_OV, model="default", layer=layer, head=head, facts={"d_vocab": 1024})
    other = Factored(w["W_E"].astype(np.float32), (w["W_V"][layer, head] @ w["W_O"][layer, head] @ w["W_U"]))
    assert checks.circuit_form(c, other, want) is None and checks.circuit_matches(c, other, want) is None
    swapped = Factored(w["W_E"] @ w["W_O"][layer, head].T, w["W_V"][layer, head].T @ w["W_U"])
    assert checks.circuit_matches(c, swapped, want) is not None
    assert "W_O W_V for W_V W_O" in mistakes.HINTS[cases.F_OV]([(c, swapped, want)])
    assert mistakes.HINTS[cases.F_OV]([(c, other, want)]) is None


def test_decompose_q_hints_use_the_secret_draws_relabelled_heads():
    permutation = [list(range(12)), list(reversed(range(12)))]
    w = cases.permuted(permutation)
    x = RNG.standard_normal((14, 5, 64)).astype(np.float32)
    c = case(cases.F_Q, model="default", head=3, permutation=permutation, facts={"d_head": 16})
    want = Answer(tensor(x @ w["W_Q"][1, 3]), (tensor(x),))
    assert mistakes.HINTS[cases.F_Q]([(c, tensor(x @ w["W_K"][1, 3]), want)]).startswith("it uses W_K")
    assert "layer 0's W_Q" in mistakes.HINTS[cases.F_Q]([(c, tensor(x @ w["W_Q"][0, 3]), want)])


def test_a_numbers_simulated_mistake_keeps_its_shape_in_a_releases_table():
    """A release matches answers against the table: a number (0-d) must come back 0-d, or no hint
    on a number ever matches there."""
    from autograder.engine import hints

    for output in (np.array(0.25), np.array([0.25]), np.ones((2, 3))):
        back = hints._value(hints._plain(output))
        assert back.shape == np.shape(output) and np.allclose(back, output)
