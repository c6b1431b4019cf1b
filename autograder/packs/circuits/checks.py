"""The tests: what each exercise function must get right, with points.

FactoredMatrix answers are judged by what they mean (`kit.factored_problem`: the product, on a
sample of rows and by norm; the shape; a transposed answer named), never by their factors: any
factoring is right, and so is the product itself as a plain tensor. Numbers are taken however they
come (`kit.number`: a float, `.item()`, a 0-d tensor, a numpy float).

Contracts settled here (ARENA's versions disagree):
- top_1_acc takes the argmax over dim 1 (each row's largest entry: for each attended token, the
  logit it raises most), as ARENA's solution does; its docstring's "dim 0" is named as a mistake.
- decompose_attn_scores may divide by sqrt(d_head) or not: ARENA 2.0's solution does not, a later
  version does, and the decomposition is the same up to that constant. Both earn every point.
- mask_scores may mask with any large negative number (-1e6 as ARENA, -1e5, -inf, -1e4 added to
  the scores as BERT's and GPT-2's code do, ...): at most -1e3, which a softmax turns into exactly
  zero attention (exp(-1000) underflows in float32 and float64 alike).
"""

from __future__ import annotations

import numpy as np

from autograder.engine.kit import (
    Answer,
    Case,
    Failure,
    Test,
    allclose_problem,
    factored,
    factored_problem,
    floats,
    group,
    number,
    number_problem,
    say,
    shape_problem,
    what,
)
from autograder.packs.circuits.cases import (
    F_EFFECTIVE,
    F_K,
    F_MASK,
    F_OV,
    F_POS,
    F_Q,
    F_QK_INPUT,
    F_SCORES,
    F_TOP1,
)

CIRCUIT_TOL = dict(rtol=1e-3, atol=1e-3)  # float32 products of sums over d_model: errors near 1e-6
PATTERN_TOL = dict(rtol=1e-3, atol=1e-4)
LINEAR_TOL = dict(rtol=1e-4, atol=1e-4)
NOTICED = dict(rtol=1e-3, atol=1e-3)
MASKED = -1e3  # a score at most this is masked: a softmax gives it no attention (exp underflows to 0)


# --- full_ov_circuit and effective_ov_circuit ------------------------------------------------


def circuit_form(case: Case, got, want: Answer) -> str | None:
    d_vocab = case.extra["facts"]["d_vocab"]
    matrix = factored(got)
    if matrix is None:
        expected = f"[{d_vocab}, {d_vocab}] = [d_vocab, d_vocab]"
        return f"returned {what(got)}, expected a FactoredMatrix of shape {expected}"
    return shape_problem(matrix.shape, (d_vocab, d_vocab), {}, " = [d_vocab, d_vocab]")


def circuit_matches(case: Case, got, want: Answer) -> str | Failure | None:
    return factored_problem(case, got, want.value, CIRCUIT_TOL, "full OV circuit")


# --- top_1_acc ---------------------------------------------------------------------------------


def accuracy_matches(case: Case, got, want: Answer) -> str | Failure | None:
    n = case.extra["n"]
    expected = number(want.value)
    # A token or so either way: rounding may swap a row's two largest entries when they are close.
    return number_problem(case, got, expected, {"atol": 1.5 / n, "rtol": 0.0}, "top-1 accuracy")


# --- mask_scores -------------------------------------------------------------------------------


def _mask_values(case: Case, got, want: Answer) -> tuple[np.ndarray, np.ndarray] | str:
    scores = want.args[0].values.astype(np.float64)
    values = floats(got)
    if values is None:
        return (
            f"returned {what(got)}, expected the masked scores: a float tensor of shape {list(scores.shape)}"
        )
    if values.shape != scores.shape:
        return f"shape {list(values.shape)}, expected {list(scores.shape)}, the scores' own"
    return values, scores


def mask_placed(case: Case, got, want: Answer) -> str | None:
    found = _mask_values(case, got, want)
    if isinstance(found, str):
        return found
    values, scores = found
    n = scores.shape[0]
    masked = ~(values > MASKED)  # NaN counts as masked: it is no score
    expected = np.triu(np.ones((n, n), bool), k=1)
    if (masked == expected).all():
        return None
    if n > 1 and (masked == np.tril(np.ones((n, n), bool), k=-1)).all():
        return (
            "it masks the keys before each query instead of those after it (triu for tril): keep the "
            "lower triangle, t.tril, and mask above the diagonal"
        )
    if n > 0 and (masked == np.triu(np.ones((n, n), bool))).all():
        return "it masks the diagonal too: a token may attend to itself (t.tril keeps the diagonal)"
    upper = values[expected]
    if not masked.any() and upper.size and np.allclose(upper, 0.0):
        return (
            "the masked scores are 0, not a large negative number (-1e6, or -inf): a softmax would "
            "still give them attention"
        )
    if not masked.any() and upper.size and (upper >= 1e4).all():
        return (
            "the masked scores are a large positive number: they must be a large negative one (-1e6, or -inf)"
        )
    if not masked.any() and upper.size and np.allclose(upper, scores[expected]):
        return "nothing is masked: the scores above the diagonal (keys after the query) must be set to -1e6"
    if not masked.any() and upper.size:
        return (
            f"the scores above the diagonal are not masked: they must be at most {MASKED:g} (-1e6, or -inf)"
        )
    return f"{int(masked.sum())} entries are masked, expected the {int(expected.sum())} above the diagonal"


def mask_keeps_scores(case: Case, got, want: Answer) -> str | Failure | None:
    found = _mask_values(case, got, want)
    if isinstance(found, str):
        return found
    values, scores = found
    keep = np.tril(np.ones(scores.shape, bool))
    return allclose_problem(case, values[keep], scores[keep], LINEAR_TOL, "scores on and below the diagonal")


# --- pos_by_pos_pattern ------------------------------------------------------------------------


def pattern_form(case: Case, got, want: Answer) -> str | None:
    n = case.extra["facts"]["n_ctx"]
    values = floats(got)
    if values is None:
        return f"returned {what(got)}, expected a float tensor of shape [{n}, {n}] (= [n_ctx, n_ctx])"
    problem = shape_problem(values.shape, (n, n), {}, " = [n_ctx, n_ctx]")
    if problem:
        return problem
    if np.isnan(values).any():
        return "the pattern holds NaN"
    if not np.allclose(values.sum(-1), 1.0, atol=1e-3):
        if np.allclose(values.sum(0), 1.0, atol=1e-3):
            return (
                "each column sums to 1, not each row: the softmax is over the keys (dim=-1), not the queries"
            )
        return "the rows do not sum to 1: a pattern is a softmax over the keys (dim=-1)"
    if np.triu(values, k=1).max() > 1e-3:
        return (
            "queries attend to later positions: mask the scores (mask_scores) before the softmax, "
            "not after it"
        )
    return None


def pattern_matches(case: Case, got, want: Answer) -> str | Failure | None:
    values, expected = floats(got), want.value.values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"no pattern of shape {list(expected.shape)} to compare (see the first test)"

    def label(index: tuple) -> str:
        return f"query {index[0]}, key {index[1]}"

    return allclose_problem(case, values, expected, PATTERN_TOL, "attention probabilities", label, NOTICED)


# --- decompose_qk_input, decompose_q, decompose_k --------------------------------------------


def qk_input_form(case: Case, got, want: Answer) -> str | None:
    heads, d_model = case.extra["facts"]["n_heads"], case.extra["facts"]["d_model"]
    seq = case.extra["seq"]
    values = floats(got)
    if values is None:
        return f"returned {what(got)}, expected a float tensor of shape [{2 + heads}, {seq}, {d_model}]"
    why = {
        (1 + heads, seq, d_model): " (one component missing: embed, pos_embed, then each head of layer 0)",
        (heads, seq, d_model): " (the heads only: embed and pos_embed come first)",
        (3, seq, d_model): " (layer 0's heads summed: each head is a component of its own)",
        (seq, 2 + heads, d_model): " (the components go first: [component, position, d_model])",
        (2 + heads, 1, seq, d_model): " (an extra batch dimension: the cache has none)",
    }
    return shape_problem(values.shape, (2 + heads, seq, d_model), why, " = [2 + n_heads, seq, d_model]")


def _components(case: Case, got, want: Answer, noun: str, tolerance: dict) -> str | Failure | None:
    values, expected = floats(got), want.value.values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"no {noun} of shape {list(expected.shape)} to compare (see the first test)"
    problem = allclose_problem(
        case, values, expected, tolerance, noun, lambda i: f"component {i[0]}, position {i[1]}", NOTICED
    )
    if problem is None:
        return None
    # The right components in another order (pos_embed first, or the heads reversed): say so.
    gaps = np.abs(values[:, None] - expected[None, :]) - tolerance["rtol"] * np.abs(expected[None, :])
    matches = (gaps <= tolerance["atol"]).reshape(len(values), len(expected), -1).all(-1)
    order = [int(np.argmax(row)) if row.any() else None for row in matches]
    if None not in order and sorted(order) == list(range(len(expected))):
        summary = (
            "the right components in another order: embed, then pos_embed, then layer 0's heads 0, 1, ..."
        )
        return say(case, summary, f" (it has the components {order})")
    return problem


def qk_input_matches(case: Case, got, want: Answer) -> str | Failure | None:
    return _components(case, got, want, "components", LINEAR_TOL)


def projected_form(case: Case, got, want: Answer) -> str | None:
    expected = want.args[0].shape[:2] + (case.extra["facts"]["d_head"],)
    values = floats(got)
    if values is None:
        return f"returned {what(got)}, expected a float tensor of shape {list(expected)}"
    why = {
        tuple(want.args[0].shape): " (d_model wide: multiply by the head's W_Q or W_K, [d_model, d_head])",
        (expected[0], expected[1], 1) + expected[2:]: " (an extra dimension)",
    }
    return shape_problem(values.shape, expected, why, " = [2 + n_heads, seq, d_head]")


def projected_matches(case: Case, got, want: Answer) -> str | Failure | None:
    values, expected = floats(got), want.value.values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"no result of shape {list(expected.shape)} to compare (see the first test)"
    return allclose_problem(
        case, values, expected, LINEAR_TOL, "entries", lambda i: f"component {i[0]}, position {i[1]}", NOTICED
    )


# --- decompose_attn_scores ---------------------------------------------------------------------


def scores_form(case: Case, got, want: Answer) -> str | None:
    expected = tuple(want.value.shape)
    values = floats(got)
    if values is None:
        return f"returned {what(got)}, expected a float tensor of shape {list(expected)}"
    return shape_problem(values.shape, expected, {}, " = [q_comp, k_comp, q_pos, k_pos]")


def scores_match(case: Case, got, want: Answer) -> str | Failure | None:
    """Either scaling is right: the reference's (no division) or divided by sqrt(d_head)."""
    values, expected = floats(got), want.value.values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"no scores of shape {list(expected.shape)} to compare (see the first test)"
    scaled = expected / np.sqrt(case.extra["facts"]["d_head"])
    if np.allclose(values, scaled, **LINEAR_TOL):
        return None
    return allclose_problem(
        case,
        values,
        expected,
        LINEAR_TOL,
        "score contributions (divided by sqrt(d_head) or not: either is accepted)",
        lambda i: f"[{i[0]}, {i[1]}, {i[2]}, {i[3]}]",
        NOTICED,
    )


ROWS = 8  # rows of a product that a hint compares (a vocabulary-sized one is never formed)


def hint_form(function: str, case: Case, got):
    """A submission's answer in the form of the simulated mistakes' outputs (engine/hints.py): the
    first rows of a product, a number, or a float tensor's values."""
    if function in (F_OV, F_EFFECTIVE):
        matrix = factored(got)
        if matrix is None or len(matrix.shape) != 2:
            return None
        return matrix.rows(list(range(min(ROWS, matrix.ldim))))
    if function == F_TOP1:
        value = number(got)
        return None if value is None else np.array(value)
    return floats(got)


def _test(function: str, name: str, points: float, check, selects=None, format_only: bool = False) -> Test:
    options = {"selects": selects} if selects is not None else {}
    return Test(
        function=function, name=name, points=points, per_case=check, format_only=format_only, **options
    )


TESTS = (
    _test(F_OV, "returns a FactoredMatrix of shape [d_vocab, d_vocab]", 2, circuit_form, format_only=True),
    _test(
        F_OV,
        "the default model's heads: W_E W_V W_O W_U, by its product",
        4,
        circuit_matches,
        group("default"),
    ),
    _test(
        F_OV,
        "models of other shapes (the model given, not the notebook's)",
        3,
        circuit_matches,
        group("shapes"),
    ),
    _test(
        F_TOP1,
        "the default model's copying heads (argmax over each row)",
        3,
        accuracy_matches,
        group("model"),
    ),
    _test(
        F_TOP1, "other square matrices, where rows and columns differ", 3, accuracy_matches, group("random")
    ),
    _test(
        F_EFFECTIVE, "returns a FactoredMatrix of shape [d_vocab, d_vocab]", 1, circuit_form, format_only=True
    ),
    _test(
        F_EFFECTIVE,
        "the default model's heads together, by the product",
        3,
        circuit_matches,
        group("default"),
    ),
    _test(F_EFFECTIVE, "models of other shapes", 2, circuit_matches, group("shapes")),
    _test(
        F_MASK, "masks the keys after each query (a large negative score)", 2, mask_placed, format_only=True
    ),
    _test(F_MASK, "keeps the scores on and below the diagonal", 2, mask_keeps_scores),
    _test(
        F_POS,
        "returns a causal pattern [n_ctx, n_ctx] whose rows sum to 1",
        2,
        pattern_form,
        format_only=True,
    ),
    _test(
        F_POS,
        "the default model's heads: softmax(mask(scores / sqrt(d_head)))",
        3,
        pattern_matches,
        group("default"),
    ),
    _test(
        F_POS, "models of other shapes (the model given, its own d_head)", 2, pattern_matches, group("shapes")
    ),
    _test(F_QK_INPUT, "returns a tensor [2 + n_heads, seq, d_model]", 1, qk_input_form, format_only=True),
    _test(
        F_QK_INPUT,
        "embed, pos_embed, then each head of layer 0, on the default model",
        2,
        qk_input_matches,
        group("default"),
    ),
    _test(F_QK_INPUT, "models of other shapes", 2, qk_input_matches, group("shapes")),
    _test(F_Q, "returns a tensor [2 + n_heads, seq, d_head]", 1, projected_form, format_only=True),
    _test(
        F_Q,
        "each component times layer 1's W_Q of the head, on the default model",
        2,
        projected_matches,
        group("default"),
    ),
    _test(F_Q, "models of other shapes", 1, projected_matches, group("shapes")),
    _test(F_K, "returns a tensor [2 + n_heads, seq, d_head]", 1, projected_form, format_only=True),
    _test(
        F_K,
        "each component times layer 1's W_K of the head, on the default model",
        2,
        projected_matches,
        group("default"),
    ),
    _test(F_K, "models of other shapes", 1, projected_matches, group("shapes")),
    _test(F_SCORES, "returns a tensor [q_comp, k_comp, q_pos, k_pos]", 1, scores_form, format_only=True),
    _test(
        F_SCORES,
        "each pair of components' scores, on the default model's shapes",
        2,
        scores_match,
        group("default"),
    ),
    _test(F_SCORES, "other shapes", 2, scores_match, group("shapes")),
)
