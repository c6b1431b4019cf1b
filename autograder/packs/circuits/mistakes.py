"""The mistakes the grader can name: the usual wrong versions of each function, worked out on the
judge's side in numpy on the same inputs (from the reference's answers and the arguments it was
called with, and from the default model's weights where the mistake needs them: then on the default
model's inputs only). The one that would have returned what the submission did, on every input it
can be worked out for, is the hint."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.engine.hints import _same, error_rules
from autograder.engine.kit import factored
from autograder.engine.pack import Case
from autograder.packs.circuits.cases import (
    F_EFFECTIVE,
    F_K,
    F_OV,
    F_POS,
    F_Q,
    F_SCORES,
    F_TOP1,
    permuted,
)
from autograder.packs.circuits.checks import ROWS, hint_form

Simulate = Callable[[Case, object], "np.ndarray | None"]
GLOBAL_MODEL = (
    "it reads the notebook's global `model`, not the `model` argument: right on the default model "
    "only (name the parameter `model`, or use the name you gave it)"
)


def _weights(case: Case) -> dict[str, np.ndarray]:
    """The default model of this input (its heads relabelled as the secret's draw has them)."""
    return permuted(case.extra.get("permutation"))


def _default(case: Case) -> bool:
    return case.extra.get("model") == "default"


def _fits(case: Case, layer: int, head: int) -> bool:
    return 0 <= layer < 2 and 0 <= head < 12


# --- full_ov_circuit and effective_ov_circuit ------------------------------------------------


def _circuit_rows(w, layer: int, heads: list[int], swap_ov=False, interleave=False) -> np.ndarray:
    """The first rows of W_E W_V W_O W_U for the heads (concatenated along d_head), as a student's
    version would compute them: `swap_ov` reads W_O.T W_V.T, `interleave` concatenates W_O's heads
    in the other order of (head, d_head) than W_V's."""
    V = np.concatenate([w["W_V"][layer, h] for h in heads], axis=1)  # [d_model, H * d_head]
    stacked = np.stack([w["W_O"][layer, h] for h in heads])  # [H, d_head, d_model]
    out = (stacked.transpose(1, 0, 2) if interleave else stacked).reshape(-1, stacked.shape[-1])
    if swap_ov:
        V, out = out.T, V.T
    return (w["W_E"][:ROWS] @ V) @ (out @ w["W_U"])


def _heads(case: Case) -> list[int]:
    return case.extra["heads"] if "heads" in case.extra else [case.extra["head"]]


def _global_circuit(case: Case, want) -> np.ndarray | None:
    layer, heads = case.extra["layer"], _heads(case)
    if not all(_fits(case, layer, h) for h in heads):
        return None
    return _circuit_rows(_weights(case), layer, heads)


def _on_default(**options) -> Simulate:
    def simulate(case: Case, want) -> np.ndarray | None:
        if not _default(case):
            return None
        layer, heads = case.extra["layer"], _heads(case)
        if options.get("other_layer"):
            layer = 1 - layer
        if options.get("first_only"):
            heads = heads[:1]
        return _circuit_rows(
            _weights(case), layer, heads, options.get("swap_ov", False), options.get("interleave", False)
        )

    return simulate


OV_MISTAKES: list[tuple[str, Simulate]] = [
    (
        "W_O W_V for W_V W_O: the OV circuit is FactoredMatrix(W_V, W_O), W_V first (W_E @ W_V @ W_O @ "
        "W_U); W_O.T @ W_V.T is its transpose",
        _on_default(swap_ov=True),
    ),
    (
        "layer 0 and layer 1 swapped: the head is model.W_V[layer, head], of the layer given",
        _on_default(other_layer=True),
    ),
    (GLOBAL_MODEL, _global_circuit),
]
EFFECTIVE_MISTAKES: list[tuple[str, Simulate]] = [
    (
        "W_V's and W_O's heads are concatenated in different orders: both must be (head d_head), so "
        "that each head's W_V columns meet its own W_O rows",
        _on_default(interleave=True),
    ),
    ("only the first head's circuit: concatenate every head's W_V and W_O", _on_default(first_only=True)),
    (
        "W_O W_V for W_V W_O: the circuit is FactoredMatrix(W_V_both, W_O_both), W_V first",
        _on_default(swap_ov=True),
    ),
    ("layer 0 and layer 1 swapped: the heads are of the layer given", _on_default(other_layer=True)),
    (GLOBAL_MODEL, _global_circuit),
]


# --- top_1_acc ---------------------------------------------------------------------------------


_PRODUCTS: dict[int, tuple] = {}  # id of the reference's argument -> (it, its product): judged often


def _product(want) -> np.ndarray | None:
    """The product of top_1_acc's argument, once per argument (in float32, as the reference's own:
    a float64 product of a vocabulary-sized matrix costs a submission's whole budget here)."""
    matrix = factored(want.args[0]) if want.args else None
    if matrix is None:
        return None
    kept = _PRODUCTS.get(id(matrix))
    if kept is None or kept[0] is not matrix:
        if len(_PRODUCTS) > 64:
            _PRODUCTS.clear()
        kept = _PRODUCTS[id(matrix)] = (
            matrix,
            np.matmul(matrix.A.astype(np.float32), matrix.B.astype(np.float32)),
        )
    return kept[1]


def _top1(reduce: Callable[[np.ndarray], float]) -> Simulate:
    def simulate(case: Case, want) -> np.ndarray | None:
        product = _product(want)
        return None if product is None else np.array(reduce(product))

    return simulate


def _with_A(case: Case, want) -> np.ndarray | None:
    matrix = factored(want.args[0]) if want.args else None
    if matrix is None:
        return None
    return np.array(float((matrix.A.argmax(1) == np.arange(matrix.ldim)).mean()))


TOP1_MISTAKES: list[tuple[str, Simulate]] = [
    (
        "the argmax is over dim 0 (each column's largest entry): for each token attended to (a row), "
        "the output token whose logit it raises most is the argmax over dim 1",
        _top1(lambda p: float((p.argmax(0) == np.arange(p.shape[0])).mean())),
    ),
    ("it compares with .A instead of .AB: the factor A is not the matrix; its product .AB is", _with_A),
    (
        "it returns the number of tokens, not the fraction: take the mean, not the sum",
        _top1(lambda p: float((p.argmax(1) == np.arange(p.shape[0])).sum())),
    ),
]


# --- pos_by_pos_pattern ------------------------------------------------------------------------


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(-1, keepdims=True)


def _rescaled(factor: Callable[[int], float]) -> Simulate:
    """softmax(factor * scores) from the reference's pattern: its log is the scaled scores, up to a
    constant per row, on the causal part (the rest stays masked)."""

    def simulate(case: Case, want) -> np.ndarray:
        P = want.value.values.astype(np.float64)
        logp = np.where(P > 0, np.log(np.maximum(P, 1e-300)), -np.inf)
        return _softmax(factor(case.extra["facts"]["d_head"]) * logp)

    return simulate


def _pattern(w, layer: int, head: int, transpose_key=False) -> np.ndarray:
    scores = w["W_pos"] @ w["W_Q"][layer, head] @ w["W_K"][layer, head].T @ w["W_pos"].T / 4.0
    if transpose_key:
        scores = scores.T
    n = scores.shape[0]
    return _softmax(np.where(np.tril(np.ones((n, n), bool)), scores, -1e6))


def _pattern_on_default(transpose_key=False, other_layer=False) -> Simulate:
    def simulate(case: Case, want) -> np.ndarray | None:
        if not _default(case):
            return None
        layer = 1 - case.extra["layer"] if other_layer else case.extra["layer"]
        return _pattern(_weights(case), layer, case.extra["head"], transpose_key)

    return simulate


def _global_pattern(case: Case, want) -> np.ndarray | None:
    if not _fits(case, case.extra["layer"], case.extra["head"]):
        return None
    return _pattern(_weights(case), case.extra["layer"], case.extra["head"])


POS_MISTAKES: list[tuple[str, Simulate]] = [
    (
        "the scores are not divided by sqrt(d_head) before the mask and the softmax (model.cfg.d_head "
        "** 0.5)",
        _rescaled(lambda d: np.sqrt(d)),
    ),
    ("the scores are divided by d_head, not by its square root", _rescaled(lambda d: 1 / np.sqrt(d))),
    (
        "the query and key sides are swapped (W_pos W_K W_Q.T W_pos.T): queries use W_Q, keys W_K, "
        "and the key side is transposed",
        _pattern_on_default(transpose_key=True),
    ),
    ("layer 0 and layer 1 swapped: the head is of the layer given", _pattern_on_default(other_layer=True)),
    (GLOBAL_MODEL, _global_pattern),
]


# --- decompose_q and decompose_k ---------------------------------------------------------------


def _projected(weight: str, layer: int = 1, bias: str | None = None) -> Simulate:
    def simulate(case: Case, want) -> np.ndarray | None:
        if not _default(case) or not want.args:
            return None
        w, head = _weights(case), case.extra["head"]
        if not _fits(case, layer, head):
            return None
        x = want.args[0].values.astype(np.float64)
        out = x @ w[weight][layer, head]
        return out + w[bias][layer, head] if bias else out

    return simulate


Q_MISTAKES: list[tuple[str, Simulate]] = [
    ("it uses W_K, the key weights: a query is the input times W_Q", _projected("W_K")),
    (
        "layer 0's W_Q: the induction head, and the decomposed input it reads, are layer 1's",
        _projected("W_Q", 0),
    ),
    (
        "it adds b_Q to every component: the decomposition is of the input's linear part (no bias), "
        "so that the components sum to the query less b_Q",
        _projected("W_Q", 1, "b_Q"),
    ),
]
K_MISTAKES: list[tuple[str, Simulate]] = [
    ("it uses W_Q, the query weights: a key is the input times W_K", _projected("W_Q")),
    (
        "layer 0's W_K: the induction head, and the decomposed input it reads, are layer 1's",
        _projected("W_K", 0),
    ),
    (
        "it adds b_K to every component: the decomposition is of the input's linear part (no bias)",
        _projected("W_K", 1, "b_K"),
    ),
]


# --- decompose_attn_scores ---------------------------------------------------------------------


def _scores(change: Callable[[np.ndarray], np.ndarray], scaled: bool) -> Simulate:
    def simulate(case: Case, want) -> np.ndarray:
        value = want.value.values.astype(np.float64)
        if scaled:
            value = value / np.sqrt(case.extra["facts"]["d_head"])
        return change(value)

    return simulate


SCORES_MISTAKES: list[tuple[str, Simulate]] = [
    (hint, _scores(change, scaled))
    for hint, change in [
        (
            "the query and the key are swapped: [i, j, q, k] is query component i at position q with key "
            "component j at position k",
            lambda v: v.transpose(1, 0, 3, 2),
        ),
        (
            "the positions are transposed: the last two dimensions are the query's position, then the key's",
            lambda v: v.transpose(0, 1, 3, 2),
        ),
        (
            "the components are transposed: the first dimension is the query's component, the second "
            "the key's",
            lambda v: v.transpose(1, 0, 2, 3),
        ),
    ]
    for scaled in (False, True)
] + [
    (
        "the scores are divided by d_head, not by its square root (dividing by sqrt(d_head), or not at "
        "all, is accepted)",
        lambda case, want: want.value.values.astype(np.float64) / case.extra["facts"]["d_head"],
    )
]


MISTAKES: dict[str, list[tuple[str, Simulate]]] = {
    F_OV: OV_MISTAKES,
    F_EFFECTIVE: EFFECTIVE_MISTAKES,
    F_TOP1: TOP1_MISTAKES,
    F_POS: POS_MISTAKES,
    F_Q: Q_MISTAKES,
    F_K: K_MISTAKES,
    F_SCORES: SCORES_MISTAKES,
}
FAILED = (IndexError, ValueError, ZeroDivisionError, FloatingPointError, KeyError, AttributeError)


def _simulated(simulate: Simulate, case: Case, want) -> np.ndarray | None:
    try:
        with np.errstate(all="ignore"):
            return simulate(case, want)
    except FAILED:
        return None


def _hint(function: str) -> Callable:
    def hint(answers) -> str | None:
        """The first mistake whose simulation gives what came back wherever it can be worked out
        (on at least one input the submission got wrong)."""
        seen = []
        for case, got, want in answers:
            form = hint_form(function, case, got)
            if form is not None:
                seen.append((case, form, want, _same(form, hint_form(function, case, want.value))))
        if all(right for *_, right in seen):
            return None
        for text, simulate in MISTAKES[function]:
            fits, explains_a_wrong_one = True, False
            for case, form, want, right in seen:
                output = _simulated(simulate, case, want)
                if output is None:
                    continue
                if not _same(form, output):
                    fits = False
                    break
                explains_a_wrong_one |= not right
            if fits and explains_a_wrong_one:
                return text
        return None

    return hint


HINTS: dict[str, Callable] = {function: _hint(function) for function in MISTAKES}


ERROR_HINTS = [  # the usual causes of an exception, in words: no code that computes an answer
    {
        "functions": [F_OV, F_EFFECTIVE],
        "types": ["RuntimeError", "AssertionError"],
        "hint": "the shapes: W_E is [d_vocab, d_model], W_V [d_model, d_head], W_O [d_head, d_model], "
        "W_U [d_model, d_vocab]; the circuit is W_E @ FactoredMatrix(W_V, W_O) @ W_U",
    },
    {
        "functions": [F_POS],
        "types": ["RuntimeError"],
        "contains": "cannot be multiplied",
        "hint": "W_Q and W_K are both [d_model, d_head]: the QK circuit is W_Q @ W_K.T (the key side "
        "transposed), between W_pos and W_pos.T",
    },
    {
        "functions": [F_TOP1],
        "types": ["AttributeError", "TypeError"],
        "hint": "a FactoredMatrix is not a tensor: take its product, full_OV_circuit.AB, before argmax",
    },
    {
        "functions": [F_Q, F_K],
        "types": ["NameError"],
        "hint": "the head's weights are the notebook's model's: model.W_Q[1, ind_head_index]",
    },
    {
        "functions": ["decompose_qk_input"],
        "types": ["KeyError"],
        "hint": "the cache's names: cache['embed'], cache['pos_embed'] and cache['result', 0] (layer 0's "
        "hook_result, [seq, n_heads, d_model])",
    },
]
error_hint = error_rules(ERROR_HINTS)


def simulations(function: str, case: Case, want) -> list[tuple[str, object]]:
    """What each usual mistake would have returned on this case (for a release's table of hints)."""
    outputs = []
    for hint, simulate in MISTAKES.get(function, []):
        output = _simulated(simulate, case, want)
        if output is not None:
            outputs.append((hint, output))
    return outputs
