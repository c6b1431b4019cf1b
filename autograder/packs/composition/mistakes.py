"""The mistakes the grader can name: the usual wrong versions of each function, worked out on the
same inputs as the submission (on the judge's side, in numpy, from what the reference run recorded:
the model's weights, the matrices, the patterns of the ablated runs); the one that would have
returned what the submission did, on every input, is the hint.

generate_single_random_comp_score is random by design: its tests name its mistakes from the
statistics of its values (one value every call, a mean or a spread off), not by simulation here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.engine.hints import error_rules
from autograder.engine.kit import factored, floats
from autograder.engine.pack import Case
from autograder.packs.composition.cases import F_ABLATION, F_BATCHED, F_KCOMP, F_SCORE, F_TABLES, HINT_ROWS

MATCH = dict(atol=1e-4, rtol=1e-3)  # a wrong version "would have returned" what came back
GLOBAL_MODEL = (
    "it reads the global `model`, not the model given as argument: inside the function, use the "
    "parameter (here the grader passes a model of another shape)"
)


def _form(function: str, got, case: Case) -> np.ndarray | None:
    """What came back, in the form the simulations give (as the pack's `hint_form`)."""
    from autograder.packs.composition import hint_form

    return hint_form(function, case, got)


def _first_match(function, answers, mistakes, simulate) -> str | None:
    """The first mistake whose simulation gives what came back on every input the submission
    answered, where at least one answer is wrong."""
    seen = []
    for case, got, want in answers:
        value, expected = _form(function, got, case), _form(function, want.value, case)
        if value is not None and expected is not None:
            seen.append((case, value, want, expected))
    if all(v.shape == r.shape and np.allclose(v, r, **MATCH) for _, v, _, r in seen):
        return None
    for hint, mistake in mistakes:
        matched = True
        for case, value, want, _ in seen:
            try:
                wrong = simulate(mistake, case, want)
            except (IndexError, ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError):
                wrong = None
            if wrong is None or wrong.shape != value.shape or not np.allclose(value, wrong, **MATCH):
                matched = False
                break
        if matched:
            return hint
    return None


def _arrays(values) -> list[np.ndarray]:
    return [v.values.astype(np.float64) for v in values]


# --- find_K_comp_full_circuit ------------------------------------------------------------------


def _kcomp(q_layer=1, ov_layer=0, swap_heads=False, ov=True, transpose=False):
    def simulate(case: Case, want) -> np.ndarray:
        prev, ind = int(want.args[0]), int(want.args[1])
        W_E, W_Q, W_K, W_V, W_O = _arrays(want.args[2:7])
        if swap_heads:
            prev, ind = ind, prev
        query = W_E @ W_Q[q_layer, ind]
        moved = W_E @ W_V[ov_layer, prev] @ W_O[ov_layer, prev] if ov else W_E
        key = moved @ W_K[q_layer, ind]
        if transpose:
            query, key = key, query
        return query[HINT_ROWS] @ key.T

    return simulate


KCOMP_MISTAKES = [
    (
        "layer 0 and layer 1 are swapped: the induction head (W_Q, W_K) is in layer 1, the previous-token "
        "head (W_V, W_O) in layer 0",
        _kcomp(q_layer=0, ov_layer=1),
    ),
    (
        "the two head indices are swapped: W_V and W_O are prev_token_head_index's (layer 0), W_Q and W_K "
        "ind_head_index's (layer 1)",
        _kcomp(swap_heads=True),
    ),
    (
        "the key side leaves out the previous-token head's OV circuit: the keys are read from what head "
        "0.prev wrote, W_E @ W_V @ W_O @ W_K",
        _kcomp(ov=False),
    ),
    (
        "the query and key sides are swapped (the transpose): the first dimension is the query side, "
        "W_E @ W_Q, the second the key side",
        _kcomp(transpose=True),
    ),
]


def kcomp_hint(answers) -> str | None:
    for case, got, _ in answers:  # a matrix of the global model's size: the global was read
        matrix = factored(got)
        if matrix is not None and case.extra["model"] != "default" and matrix.shape == (1024, 1024):
            return GLOBAL_MODEL
    return _first_match(F_KCOMP, answers, KCOMP_MISTAKES, lambda mistake, case, want: mistake(case, want))


# --- get_comp_score ----------------------------------------------------------------------------


def _score(norm: Callable[[np.ndarray], float], order: bool = False):
    def simulate(W_A: np.ndarray, W_B: np.ndarray) -> np.ndarray:
        product = W_B @ W_A if order else W_A @ W_B
        return np.asarray([norm(product) / (norm(W_A) * norm(W_B))])

    return simulate


def _frobenius(W: np.ndarray) -> float:
    return float(np.sqrt((W**2).sum()))


SCORE_MISTAKES = [
    (
        "it uses the spectral norm (ord=2, the largest singular value): the composition score uses the "
        "Frobenius norm, the square root of the sum of the squared entries (.norm())",
        _score(lambda W: float(np.linalg.norm(W, 2))),
    ),
    (
        "it uses squared Frobenius norms (no square roots): ‖W_A W_B‖_F / (‖W_A‖_F ‖W_B‖_F)",
        _score(lambda W: float((W**2).sum())),
    ),
    (
        "it uses the nuclear norm (the sum of the singular values): the score uses the Frobenius norm",
        _score(lambda W: float(np.linalg.norm(W, "nuc"))),
    ),
    ("it multiplies W_B @ W_A: the path is W_A, then W_B (W_A @ W_B)", _score(_frobenius, order=True)),
]


def score_hint(answers) -> str | None:
    return _first_match(
        F_SCORE, answers, SCORE_MISTAKES, lambda mistake, case, want: mistake(*_arrays(want.args))
    )


# --- get_composition_scores --------------------------------------------------------------------


def _scores(As: np.ndarray, Bs: np.ndarray) -> np.ndarray:
    """Composition scores of every matrix of As [a, m, k] with every one of Bs [b, k, n]: [a, b].
    ‖A B‖_F² = Σ (AᵀA) ∘ (B Bᵀ): k × k Gram matrices, not the a × b products (their einsum was most
    of the judge's time on a class's wrong tables)."""
    left, right = As.swapaxes(-1, -2) @ As, Bs @ Bs.swapaxes(-1, -2)
    products = np.sqrt(np.maximum(np.einsum("aij,bij->ab", left, right), 0.0))
    norms = lambda M: np.sqrt((M**2).sum(axis=(-2, -1)))  # noqa: E731
    return products / (norms(As)[:, None] * norms(Bs)[None, :])


def _tables(a_layer=0, b_layer=1, k_transposed=True, q_transposed=False, rows_first=True, b_first=False):
    def simulate(case: Case, want) -> np.ndarray:
        _, W_Q, W_K, W_V, W_O = _arrays(want.args[:5])
        W_OV, W_QK = W_V @ W_O, W_Q @ W_K.swapaxes(-1, -2)
        A = W_OV[a_layer]
        seconds = {
            "Q": W_QK[b_layer].swapaxes(-1, -2) if q_transposed else W_QK[b_layer],
            "K": W_QK[b_layer].swapaxes(-1, -2) if k_transposed else W_QK[b_layer],
            "V": W_OV[b_layer],
        }
        tables = [_scores(B, A).T if b_first else _scores(A, B) for B in seconds.values()]
        return np.stack([table if rows_first else table.T for table in tables])

    return simulate


TABLE_MISTAKES = [
    (
        "layer 0 and layer 1 are swapped: W_A is layer 0's OV circuit (head i, the rows), W_B layer 1's QK "
        "or OV circuit (head j, the columns)",
        _tables(a_layer=1, b_layer=0),
    ),
    (
        'scores["K"] is the Q-composition table: K-composition reads the keys, the right-hand side of the QK '
        "circuit, so W_B is W_QK[1, j].T",
        _tables(k_transposed=False),
    ),
    (
        "the Q and K tables are swapped: Q-composition uses W_QK[1, j], K-composition its transpose",
        _tables(k_transposed=False, q_transposed=True),
    ),
    (
        "the tables are transposed: rows are layer 0's heads (W_A), columns layer 1's (W_B)",
        _tables(rows_first=False),
    ),
    (
        "W_B comes first: the score is get_comp_score(W_A, W_B), layer 0's OV circuit then layer 1's circuit",
        _tables(b_first=True),
    ),
]


def tables_hint(answers) -> str | None:
    for case, got, _ in answers:  # tables of the global model's size: the global was read
        if isinstance(got, dict) and case.extra["shape"]["n_heads"] != 12:
            values = floats(got.get("Q"))
            if values is not None and values.shape == (12, 12):
                return GLOBAL_MODEL
    return _first_match(F_TABLES, answers, TABLE_MISTAKES, lambda mistake, case, want: mistake(case, want))


# --- get_batched_comp_scores -------------------------------------------------------------------


def _tl_matmul(left: tuple, right: tuple) -> tuple:
    """The factors of FactoredMatrix(*left) @ FactoredMatrix(*right), as TransformerLens forms them."""

    def times_tensor(A, B, X):
        return (A, B @ X) if B.shape[-1] > A.shape[-1] else (A @ B, X)

    A, B = times_tensor(*left, right[0])
    return times_tensor(A, B, right[1])


def _batched(norm: str = "frobenius", transposed: bool = False):
    def simulate(case: Case, want) -> np.ndarray:
        W_As, W_Bs = want.args
        a, b = W_As.shape[:-2], W_Bs.shape[:-2]
        A = [f.astype(np.float64).reshape(-1, 1, *f.shape[-2:]) for f in (W_As.A, W_As.B)]
        B = [f.astype(np.float64).reshape(1, -1, *f.shape[-2:]) for f in (W_Bs.A, W_Bs.B)]
        if (
            norm == "factors"
        ):  # the left factor of each matrix, and of the product as TransformerLens makes it
            product = _tl_matmul(tuple(A), tuple(B))
            size = lambda M: np.sqrt((M**2).sum(axis=(-2, -1)))  # noqa: E731
            scores = size(product[0]) / (size(A[0]) * size(B[0]))
        else:
            As, Bs = (A[0] @ A[1])[:, 0], (B[0] @ B[1])[0]
            if norm == "frobenius":
                scores = _scores(As, Bs)
            else:
                top = lambda M: np.linalg.svd(M, compute_uv=False)[..., 0]  # noqa: E731
                scores = top(np.einsum("amk,bkn->abmn", As, Bs)) / (top(As)[:, None] * top(Bs)[None, :])
        scores = np.broadcast_to(scores, (int(np.prod(a)), int(np.prod(b))))
        return (scores.T if transposed else scores).ravel()

    return simulate


BATCHED_MISTAKES = [
    (
        "it takes the norms of the left factors (.A) of the factored matrices, not of the matrices they "
        "stand for: the norm of a FactoredMatrix M is M.norm() (or M.AB's Frobenius norm over its last "
        "two dimensions)",
        _batched("factors"),
    ),
    (
        "the result is transposed: W_As's indices come first, then W_Bs's, (*A_idx, *B_idx)",
        _batched(transposed=True),
    ),
    (
        "it uses the spectral norm (the largest singular value, S[..., 0]): the score uses the Frobenius "
        "norm, FactoredMatrix.norm()",
        _batched("spectral"),
    ),
]


def batched_hint(answers) -> str | None:
    return _first_match(F_BATCHED, answers, BATCHED_MISTAKES, lambda mistake, case, want: mistake(case, want))


# --- ablation_induction_score ------------------------------------------------------------------


def _ablation(run: int, offset: Callable[[int], int] = lambda n: 1 - n, reduce=np.mean):
    """The score read from one of the recorded runs (0: the right one, 1: nothing ablated, 2: layer 0's
    pattern), at a diagonal offset of seq_len."""

    def simulate(case: Case, want) -> np.ndarray:
        ind = int(want.args[1])
        pattern = want.args[2 + run].values.astype(np.float64)[ind]
        return np.asarray([reduce(np.diagonal(pattern, offset(case.extra["seq_len"])))])

    return simulate


ABLATION_MISTAKES = [
    (
        "nothing was ablated: the score is the head's score without ablation. Zero head prev_head_index's "
        "value vectors (or its z, or its result) in layer 0, and let the model use the changed tensor: "
        "return it, or change it in place (a hook that changes a copy and returns nothing changes nothing; "
        "ablating a head of layer 1 cannot change layer 1's pattern)",
        _ablation(1),
    ),
    (
        "it reads the diagonal seq_len below the main one (offset -seq_len): the token after the previous "
        "copy is seq_len - 1 below, offset 1 - seq_len",
        _ablation(0, lambda n: -n),
    ),
    (
        "it reads layer 0's pattern: the induction head's pattern is layer 1's (blocks.1.attn.hook_pattern)",
        _ablation(2),
    ),
    ("it sums the stripe instead of taking its mean", _ablation(0, reduce=np.sum)),
]


def ablation_hint(answers) -> str | None:
    return _first_match(
        F_ABLATION, answers, ABLATION_MISTAKES, lambda mistake, case, want: mistake(case, want)
    )


HINTS: dict[str, Callable] = {
    F_KCOMP: kcomp_hint,
    F_SCORE: score_hint,
    F_TABLES: tables_hint,
    F_BATCHED: batched_hint,
    F_ABLATION: ablation_hint,
}

ERROR_HINTS = [  # the usual causes of an exception, in words: no code that computes an answer
    {
        "functions": [F_KCOMP],
        "types": ["AssertionError"],
        "contains": "inner dimension",
        "hint": "FactoredMatrix(A, B) needs A's columns to match B's rows: transpose the key side, "
        "FactoredMatrix(W_E @ W_Q, (W_E @ W_V @ W_O @ W_K).T)",
    },
    {
        "functions": [F_KCOMP, F_TABLES],
        "types": ["RuntimeError"],
        "contains": "cannot be multiplied",
        "hint": "an OV circuit is W_V @ W_O ([d_model, d_model]: W_V reads the residual stream, W_O writes "
        "to it); W_O @ W_V is [d_head, d_head]. A QK circuit is W_Q @ W_K.T",
    },
    {
        "functions": [F_ABLATION],
        "types": ["NameError"],
        "contains": "rep_tokens",
        "hint": "rep_tokens, seq_len and model are the notebook's globals: the grader sets them",
    },
]
error_hint = error_rules(ERROR_HINTS)


def simulations(function: str, case: Case, want) -> list[tuple[str, object]]:
    """What each usual mistake would have returned on this case (for a release's table of hints)."""
    found = {
        F_KCOMP: KCOMP_MISTAKES,
        F_SCORE: [(h, lambda case, want, m=m: m(*_arrays(want.args))) for h, m in SCORE_MISTAKES],
        F_TABLES: TABLE_MISTAKES,
        F_BATCHED: BATCHED_MISTAKES,
        F_ABLATION: ABLATION_MISTAKES,
    }.get(function, [])
    outputs = []
    for hint, simulate in found:
        try:
            outputs.append((hint, simulate(case, want)))
        except (
            IndexError,
            ValueError,
            ZeroDivisionError,
            FloatingPointError,
            KeyError,
            np.linalg.LinAlgError,
        ):
            continue
    return outputs
