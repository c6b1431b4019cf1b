"""The tests: what each exercise function must get right, with points.

A check gets a case, what the submission returned and what the reference returned (plain values:
`wire.Tensor`, `wire.Factored`, numbers, dicts) and says what is wrong, in a sentence, or nothing.
A FactoredMatrix is judged by what it means (its shape and its product, `kit.factored_problem`),
never by how it is factored; a number is accepted as a float, an `.item()` or a one-element tensor
(`kit.number`). `generate_single_random_comp_score` is random by design: it is judged by the mean and
the spread of its values over several calls under a torch seed, against the reference's under the
same seed, never by one value.
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
from autograder.packs.composition.cases import F_ABLATION, F_BATCHED, F_KCOMP, F_RANDOM, F_SCORE, F_TABLES

# Float tolerances: far above float32 rounding of the same sums taken in another order (or through a
# FactoredMatrix's other factoring), far below any mistake the hints name.
CIRCUIT_TOL = dict(atol=1e-3, rtol=1e-3)
SCORE_TOL = dict(atol=1e-5, rtol=1e-4)
TABLE_TOL = dict(atol=1e-5, rtol=1e-4)
ABLATION_TOL = dict(atol=1e-5, rtol=1e-4)
NOTICED = dict(atol=1e-4, rtol=1e-3)
# The random baseline's values: how far the mean of n values may be from the reference's (in standard
# errors of the difference of two means) and how far apart the spreads may be (a factor). Measured
# over 1000 draws of 40 values (a right answer's own draws against the reference's, four shapes):
# means at most 4.1 standard errors apart, spreads within a factor 1.7. Full-rank random matrices on
# the default model's shapes have a spread 0.30 times the reference's at most, another model's shapes
# a mean 16 standard errors away: far outside.
MEAN_ERRORS = 7.0
SPREAD_FACTOR = 3.0


def _head_pair(index: tuple) -> str:
    return f"heads 0.{index[0]} and 1.{index[1]}"


# --- find_K_comp_full_circuit ------------------------------------------------------------------


def circuit_shape(case: Case, got, want: Answer) -> str | None:
    vocab = case.extra["shape"]["d_vocab"]
    matrix = factored(got)
    if matrix is None:
        return (
            f"returned {what(got)}, expected a FactoredMatrix of shape [{vocab}, {vocab}] (d_vocab, d_vocab)"
        )
    why = {}
    if case.extra["model"] != "default":
        default = 1024
        why[(default, default)] = (
            " (the default model's vocabulary: it reads the global `model`, not the model given as argument)"
        )
    return shape_problem(matrix.shape, (vocab, vocab), why, " = [d_vocab, d_vocab]")


def circuit_matches(case: Case, got, want: Answer) -> str | Failure | None:
    return factored_problem(case, got, want.value, CIRCUIT_TOL, "K-composition circuit")


# --- get_comp_score ----------------------------------------------------------------------------


def score_in_range(case: Case, got, want: Answer) -> str | None:
    value = number(got)
    if value is None:
        return f"returned {what(got)}, expected the composition score as a number (a float, or .item())"
    if not 0.0 <= value <= 1.0 + 1e-6:
        return f"the score is {value:.4g}: a composition score lies between 0 and 1 (‖W_A W_B‖ ≤ ‖W_A‖ ‖W_B‖)"
    return None


def score_matches(case: Case, got, want: Answer) -> str | Failure | None:
    return number_problem(case, got, float(want.value), SCORE_TOL, "composition score")


# --- get_composition_scores --------------------------------------------------------------------

KINDS = ("Q", "K", "V")


def _table(got, kind: str) -> np.ndarray | None:
    if not isinstance(got, dict):
        return None
    return floats(got.get(kind))


def tables_shape(case: Case, got, want: Answer) -> str | None:
    heads = case.extra["shape"]["n_heads"]
    if not isinstance(got, dict):
        expected = f'a dict {{"Q": ..., "K": ..., "V": ...}} of [{heads}, {heads}] tensors'
        return f"returned {what(got)}, expected {expected}"
    missing = [kind for kind in KINDS if kind not in got]
    if missing:
        return f'the dict has no key {", ".join(repr(k) for k in missing)}: its keys are "Q", "K" and "V"'
    for kind in KINDS:
        values = floats(got[kind])
        if values is None:
            return (
                f'scores["{kind}"] is {what(got[kind])}, expected a float tensor of shape [{heads}, {heads}]'
            )
        why = {(12, 12): " (the default model's heads: it reads the global `model`, not the argument)"}
        problem = shape_problem(
            values.shape, (heads, heads), why if heads != 12 else {}, " = [n_heads, n_heads]"
        )
        if problem:
            return f'scores["{kind}"]: {problem}'
    return None


def _table_matches(kinds: tuple[str, ...]):
    def check(case: Case, got, want: Answer) -> str | Failure | None:
        for kind in kinds:
            values, expected = _table(got, kind), floats(want.value[kind])
            if values is None or values.shape != expected.shape:
                return f'no scores["{kind}"] of shape {list(expected.shape)} to compare (see the first test)'
            problem = allclose_problem(
                case, values, expected, TABLE_TOL, f"{kind}-composition scores", _head_pair, NOTICED
            )
            if problem:
                return problem
        return None

    return check


# --- generate_single_random_comp_score ----------------------------------------------------------


def random_values(case: Case, got, want: Answer) -> str | None:
    values = floats(got)
    if values is None:
        return f"returned {what(got)}, expected a composition score as a number (a float, or .item())"
    if not np.isfinite(values).all():
        return "some of its scores are NaN or infinite"
    if values.min() < 0 or values.max() > 1 + 1e-6:
        return "a score outside [0, 1]: a composition score lies between 0 and 1"
    return None


def random_distribution(case: Case, got, want: Answer) -> str | Failure | None:
    values, reference = floats(got), floats(want.value)
    if values is None or values.shape != reference.shape:
        return "no scores to compare (see the first test)"
    n = values.size
    mean, spread = float(values.mean()), float(values.std(ddof=1))
    expected_mean, expected_spread = float(reference.mean()), float(reference.std(ddof=1))
    measured = (
        f"; over {n} calls its scores have mean {mean:.4g} and standard deviation {spread:.3g}, the "
        f"reference's {expected_mean:.4g} and {expected_spread:.3g}"
    )
    if spread == 0:
        return say(
            case,
            f"it returned the same score, {mean:.4g}, on each of {n} calls: draw new random matrices on "
            "every call (no seed set inside the function)",
        )
    if abs(mean - expected_mean) > MEAN_ERRORS * np.sqrt((spread**2 + expected_spread**2) / n):
        return say(
            case,
            "its scores are not distributed as random composition scores of the global model's shapes "
            "(their mean is off): W_A and W_B are each the product of two random [d_model, d_head] matrices, "
            "with d_model and d_head of the global `model`",
            measured,
        )
    if not 1 / SPREAD_FACTOR <= spread / expected_spread <= SPREAD_FACTOR:
        return say(
            case,
            "its scores are not distributed as random composition scores of the global model's shapes "
            "(their spread is off): W_A and W_B are each the product of two random [d_model, d_head] "
            "matrices, of rank d_head, not full-rank [d_model, d_model] ones",
            measured,
        )
    return None


# --- get_batched_comp_scores -------------------------------------------------------------------


def _indices(want: Answer) -> tuple[tuple[int, ...], tuple[int, ...]]:
    W_As, W_Bs = want.args
    return tuple(W_As.shape[:-2]), tuple(W_Bs.shape[:-2])


def batched_values(got, want: Answer) -> np.ndarray | None:
    """The submission's scores as (*A_idx, *B_idx): flattened indices (ARENA's own solution returns
    [prod(A_idx), prod(B_idx)]) count as the same scores."""
    values = floats(got)
    if values is None:
        return None
    a, b = _indices(want)
    if values.shape == (*a, *b):
        return values
    if values.shape == (int(np.prod(a)), int(np.prod(b))):
        return values.reshape(*a, *b)
    return None


def batched_shape(case: Case, got, want: Answer) -> str | None:
    a, b = _indices(want)
    values = floats(got)
    if values is None:
        return f"returned {what(got)}, expected a float tensor of shape {[*a, *b]} (*A_idx, *B_idx)"
    if batched_values(got, want) is not None:
        return None
    why = {(*b, *a): " (transposed: W_As's indices first, then W_Bs's)"}
    return shape_problem(values.shape, (*a, *b), why, " = (*A_idx, *B_idx)")


def batched_matches(case: Case, got, want: Answer) -> str | Failure | None:
    values, expected = batched_values(got, want), floats(want.value)
    if values is None:
        return f"no scores of shape {list(expected.shape)} to compare (see the shape test)"
    return allclose_problem(case, values, expected, SCORE_TOL, "composition scores", noticed=NOTICED)


# --- ablation_induction_score ------------------------------------------------------------------


def ablation_number(case: Case, got, want: Answer) -> str | None:
    value = number(got)
    if value is None:
        return f"returned {what(got)}, expected the induction score as a number (a float, or .item())"
    if not 0.0 <= value <= 1.0 + 1e-6:
        return f"the score is {value:.4g}: a mean of attention probabilities lies between 0 and 1"
    return None


def ablation_matches(case: Case, got, want: Answer) -> str | Failure | None:
    return number_problem(case, got, float(want.value), ABLATION_TOL, "induction score")


# --- the tests, with their points --------------------------------------------------------------
# The format tests (`format_only`) pay only for answers computed from their input: constant answers
# of the right form earn nothing.

TESTS: tuple[Test, ...] = (
    Test(
        function=F_KCOMP,
        name="returns a FactoredMatrix of shape [d_vocab, d_vocab]",
        points=2,
        per_case=circuit_shape,
        format_only=True,
    ),
    Test(
        function=F_KCOMP,
        name="the circuit (query side first) of heads of the default model",
        points=4,
        selects=group("default"),
        per_case=circuit_matches,
    ),
    Test(
        function=F_KCOMP,
        name="models of other shapes (the model given, not the global one)",
        points=2,
        selects=group("shapes"),
        per_case=circuit_matches,
    ),
    Test(
        function=F_SCORE,
        name="returns a number between 0 and 1",
        points=1,
        per_case=score_in_range,
        format_only=True,
    ),
    Test(
        function=F_SCORE,
        name="the score of heads' circuits",
        points=3,
        selects=group("heads"),
        per_case=score_matches,
    ),
    Test(
        function=F_SCORE,
        name="random matrices of other shapes",
        points=2,
        selects=group("random"),
        per_case=score_matches,
    ),
    Test(
        function=F_TABLES,
        name='returns {"Q", "K", "V"}: three tensors of shape [n_heads, n_heads]',
        points=2,
        per_case=tables_shape,
        format_only=True,
    ),
    Test(
        function=F_TABLES,
        name="Q-composition scores on the default model",
        points=2,
        selects=group("default"),
        per_case=_table_matches(("Q",)),
    ),
    Test(
        function=F_TABLES,
        name="K-composition scores on the default model",
        points=2,
        selects=group("default"),
        per_case=_table_matches(("K",)),
    ),
    Test(
        function=F_TABLES,
        name="V-composition scores on the default model",
        points=2,
        selects=group("default"),
        per_case=_table_matches(("V",)),
    ),
    Test(
        function=F_TABLES,
        name="models of other shapes (the model given, not the global one)",
        points=2,
        selects=group("shapes"),
        per_case=_table_matches(KINDS),
    ),
    Test(
        function=F_RANDOM,
        name="returns a number between 0 and 1 on each call",
        points=1,
        per_case=random_values,
        format_only=True,
    ),
    Test(
        function=F_RANDOM,
        name="its scores are distributed as the reference's, for the default model's shapes",
        points=3,
        selects=group("default"),
        per_case=random_distribution,
    ),
    Test(
        function=F_RANDOM,
        name="the global model of another shape",
        points=2,
        selects=group("small"),
        per_case=random_distribution,
    ),
    Test(
        function=F_BATCHED,
        name="returns a float tensor of shape (*A_idx, *B_idx)",
        points=2,
        per_case=batched_shape,
        format_only=True,
    ),
    Test(
        function=F_BATCHED,
        name="the scores of every head of layer 0 with every head of layer 1",
        points=3,
        selects=group("heads"),
        per_case=batched_matches,
    ),
    Test(
        function=F_BATCHED,
        name="matrices indexed over several dimensions, of other shapes",
        points=2,
        selects=group("indices"),
        per_case=batched_matches,
    ),
    Test(
        function=F_ABLATION,
        name="returns a number between 0 and 1",
        points=1,
        per_case=ablation_number,
        format_only=True,
    ),
    Test(
        function=F_ABLATION,
        name="the induction score with a head ablated, on the default model",
        points=4,
        selects=group("default"),
        per_case=ablation_matches,
    ),
    Test(
        function=F_ABLATION,
        name="the global model of another shape",
        points=2,
        selects=group("shapes"),
        per_case=ablation_matches,
    ),
)
