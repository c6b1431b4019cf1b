"""The mistakes the grader can name: the usual wrong versions of each function, worked out on the
same inputs as the submission (on the judge's side, in numpy, from the inputs the reference run
recorded); the one that would have returned what the submission did, on every input, is the hint.
get_ablation_scores's mistakes are recognised from the reference's answer alone (a sign, an offset,
a factor)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.engine.hints import error_rules
from autograder.engine.kit import floats
from autograder.engine.pack import Case
from autograder.packs.hooks.cases import F_ATTRIBUTION, F_HOOK, F_INDUCTION, F_SCORES

MATCH = dict(atol=1e-4, rtol=1e-3)  # a wrong version "would have returned" what came back


def _first_match(answers, mistakes, simulate, expected) -> str | None:
    """The first mistake whose simulation gives what came back (a float tensor, of any shape) on every
    input the submission answered, where at least one answer is wrong."""
    seen = []
    for case, got, want in answers:
        values = floats(got)
        if values is not None and values.size <= 1 << 20:
            seen.append((case, values, want, expected(want)))
    if all(v.shape == r.shape and np.allclose(v, r, **MATCH) for _, v, _, r in seen):
        return None
    for hint, mistake in mistakes:
        matched = True
        for case, values, want, _ in seen:
            try:
                wrong = simulate(mistake, case, want)
            except (IndexError, ValueError, ZeroDivisionError, FloatingPointError):
                wrong = None
            if wrong is None or wrong.shape != values.shape or not np.allclose(values, wrong, **MATCH):
                matched = False
                break
        if matched:
            return hint
    return None


def _value(want) -> np.ndarray:
    return want.value.values.astype(np.float64)


# --- induction_score_hook ----------------------------------------------------------------------


def _patterns(case: Case, want) -> np.ndarray:
    """The run's patterns as [batch, n_layers, n_heads, n, n] (recorded one sequence at a time)."""
    layers = case.extra["shape"][0]
    flat = [p.values.astype(np.float64) for p in want.args]
    return np.stack([np.stack(flat[row * layers : (row + 1) * layers]) for row in range(case.extra["batch"])])


def _stripe(offset: Callable[[int], int]):
    """The stripe at offset(seq_len) of every pattern: [batch, n_layers, n_heads, positions]."""
    return lambda p, seq_len: np.diagonal(p, offset(seq_len), axis1=-2, axis2=-1)


def _score(stripe, reduce=lambda s: s.mean(axis=(0, -1))):
    return lambda p, seq_len: reduce(stripe(p, seq_len))


INDUCTION_STRIPE = _stripe(lambda n: 1 - n)


def _row_zero(p, seq_len):
    scores = INDUCTION_STRIPE(p, seq_len).mean(axis=(0, -1))
    store = np.zeros_like(scores)
    store[0] = scores[-1]  # every layer wrote into row 0; the last one stays
    return store


INDUCTION_MISTAKES = [
    (
        "it reads the diagonal seq_len below the main one (offset -seq_len): the token after the previous "
        "copy is seq_len - 1 below, offset 1 - seq_len",
        _score(_stripe(lambda n: -n)),
    ),
    (
        "it reads the diagonal seq_len - 2 below the main one (offset 2 - seq_len): the offset is "
        "1 - seq_len",
        _score(_stripe(lambda n: 2 - n)),
    ),
    (
        "it averages over the first sequence of the batch only (pattern[0]): the mean is over the batch "
        "and the positions",
        _score(INDUCTION_STRIPE, lambda s: s[0].mean(axis=-1)),
    ),
    (
        "it sums the stripe over the positions instead of taking its mean",
        _score(INDUCTION_STRIPE, lambda s: s.sum(axis=-1).mean(axis=0)),
    ),
    (
        "it sums over the batch instead of taking the mean",
        _score(INDUCTION_STRIPE, lambda s: s.mean(axis=-1).sum(axis=0)),
    ),
    (
        "it writes every layer's scores into row 0 of induction_score_store: the row is hook.layer()",
        _row_zero,
    ),
    (
        "nothing is written, or only zeros: a diagonal above the main one (offset seq_len - 1, or the "
        "pattern's last two dimensions swapped) is all zeros in a causal pattern; the stripe lies "
        "seq_len - 1 below the main diagonal of the last two dimensions",
        lambda p, seq_len: np.zeros(p.shape[1:3]),
    ),
]


def induction_hint(answers) -> str | None:
    return _first_match(
        answers,
        INDUCTION_MISTAKES,
        lambda mistake, case, want: mistake(_patterns(case, want), case.extra["seq_len"]),
        _value,
    )


# --- logit_attribution -------------------------------------------------------------------------


def _attribution(embed, l1, l2, W_U, tokens, targets=None, rows=None, order=(0, 1, 2)):
    """The attribution with its parts chosen: `targets` the tokens whose logits, `rows` the positions."""
    targets = tokens[1:] if targets is None else targets
    rows = slice(None, -1) if rows is None else rows
    columns = W_U[:, targets]  # [d_model, seq - 1]
    parts = [
        np.einsum("es,se->s", columns, embed[rows])[:, None],
        np.einsum("es,she->sh", columns, l1[rows]),
        np.einsum("es,she->sh", columns, l2[rows]),
    ]
    return np.concatenate([parts[i] for i in order], axis=-1)


def _attribution_args(want):
    embed, l1, l2, W_U, tokens = want.args
    return (
        embed.values.astype(np.float64),
        l1.values.astype(np.float64),
        l2.values.astype(np.float64),
        W_U.values.astype(np.float64),
        tokens.values.astype(np.int64),
    )


ATTRIBUTION_MISTAKES = [
    (
        "it takes the logits of tokens[:-1], the tokens at each position: position i predicts the next "
        "token, so use tokens[1:]",
        lambda e, a, b, W, tok: _attribution(e, a, b, W, tok, targets=tok[:-1]),
    ),
    (
        "it uses the activations at positions 1 to seq - 1 ([1:]): position i's activations explain the "
        "logit of tokens[i + 1], so take them at [:-1]",
        lambda e, a, b, W, tok: _attribution(e, a, b, W, tok, rows=slice(1, None)),
    ),
    (
        "the two layers are swapped: after the direct path come layer 0's heads (l1_results), then layer "
        "1's (l2_results)",
        lambda e, a, b, W, tok: _attribution(e, a, b, W, tok, order=(0, 2, 1)),
    ),
    (
        "it leaves out the direct path: column 0 is the embedding's own contribution, before the heads",
        lambda e, a, b, W, tok: _attribution(e, a, b, W, tok, order=(1, 2)),
    ),
    (
        "the direct path comes last: it is column 0, before the heads",
        lambda e, a, b, W, tok: _attribution(e, a, b, W, tok, order=(1, 2, 0)),
    ),
    (
        "it explains every position with its own token (W_U[:, tokens] and all positions): row i is the "
        "contribution to the logit of the next token, tokens[i + 1], and there are seq - 1 rows",
        lambda e, a, b, W, tok: _attribution(e, a, b, W, tok, targets=tok, rows=slice(None)),
    ),
    (
        "it sums each layer's heads: one column per head",
        lambda e, a, b, W, tok: np.stack(
            [
                _attribution(e, a, b, W, tok)[:, 0],
                _attribution(e, a, b, W, tok)[:, 1 : 1 + a.shape[1]].sum(-1),
                _attribution(e, a, b, W, tok)[:, 1 + a.shape[1] :].sum(-1),
            ],
            axis=-1,
        ),
    ),
    (
        "the result is transposed: one row per position, one column per component",
        lambda e, a, b, W, tok: _attribution(e, a, b, W, tok).T,
    ),
]


def attribution_hint(answers) -> str | None:
    return _first_match(
        answers, ATTRIBUTION_MISTAKES, lambda mistake, case, want: mistake(*_attribution_args(want)), _value
    )


# --- head_ablation_hook ------------------------------------------------------------------------


def _ablated(where: Callable[[np.ndarray, int], None]):
    def simulate(z: np.ndarray, head: int) -> np.ndarray:
        z = z.copy()
        where(z, head)
        return z

    return simulate


def _set(z, index, value=0.0):
    z[index] = value


def _mean_ablate(z, head):
    z[:, :, head, :] = z[:, :, head, :].mean(axis=(0, 1), keepdims=True)


def _keep_only(z, head):
    kept = z[:, :, head, :].copy()
    z[...] = 0.0
    z[:, :, head, :] = kept


HOOK_MISTAKES = [
    (
        "it zeroes a position, z[:, head]: z is [batch, seq, n_heads, d_head], so the head is the third "
        "dimension, z[:, :, head, :]",
        _ablated(lambda z, h: _set(z, (slice(None), h))),
    ),
    (
        "it zeroes one component of every head's d_head, z[..., head]: the head is the third dimension, "
        "z[:, :, head, :]",
        _ablated(lambda z, h: _set(z, (Ellipsis, h))),
    ),
    (
        "it zeroes a batch row, z[head]: the head is the third dimension, z[:, :, head, :]",
        _ablated(lambda z, h: _set(z, h)),
    ),
    ("it zeroes every head but the one to ablate", _ablated(_keep_only)),
    (
        "it replaces the head's output by its mean (mean-ablation): zero-ablation sets it to 0",
        _ablated(_mean_ablate),
    ),
    ("it zeroes every head's output, not only head_index_to_ablate's", _ablated(lambda z, h: _set(z, ...))),
]


def hook_hint(answers) -> str | None:
    calls = [(case, got, want) for case, got, want in answers if case.group == "call"]

    def simulate(mistake, case, want):
        z, head = want.args
        return mistake(z.values.astype(np.float64), int(head))

    return _first_match(calls, HOOK_MISTAKES, simulate, _value)


# --- get_ablation_scores -----------------------------------------------------------------------

NO_EFFECT = (
    "no ablation changed the loss: the model must use the tensor head_ablation_hook returns (the hook "
    "is head_ablation_hook itself, with the head fixed, not a function that calls it and returns "
    "nothing), on that layer's hook_z"
)
SCORE_MISTAKES: list[tuple[str, Callable[[np.ndarray, np.ndarray, Case], bool]]] = [
    (
        "the sign is flipped: the score is the loss with the head ablated minus the loss without it",
        lambda got, want, case: np.allclose(got, -want, **MATCH),
    ),
    (
        "it returns the loss with each head ablated: subtract the loss without ablation",
        lambda got, want, case: float(np.ptp(got - want)) < 1e-3 and float(np.mean(got - want)) > 0.1,
    ),
    (
        "it sums the cross-entropy over the positions (and rows) instead of taking its mean, as "
        "model(tokens, return_type='loss') does",
        lambda got, want, case: np.allclose(got, want * case.extra["predicted"], **MATCH),
    ),
    (NO_EFFECT, lambda got, want, case: np.allclose(got, 0.0, atol=1e-6)),
]


def scores_hint(answers) -> str | None:
    seen = []
    for case, got, want in answers:
        values, reference = floats(got), _value(want)
        if values is not None and values.shape == reference.shape:
            seen.append((case, values, reference))
    if not any(not np.allclose(v, r, **MATCH) for _, v, r in seen):
        return None
    for hint, fits in SCORE_MISTAKES:
        if all(fits(values, reference, case) for case, values, reference in seen):
            return hint
    return None


HINTS: dict[str, Callable] = {
    F_INDUCTION: induction_hint,
    F_ATTRIBUTION: attribution_hint,
    F_HOOK: hook_hint,
    F_SCORES: scores_hint,
}


ERROR_HINTS = [  # the usual causes of an exception, in words: no code that computes an answer
    {
        "functions": [F_ATTRIBUTION],
        "types": ["IndexError"],
        "contains": "out of bounds",
        "hint": "W_U is [d_model, d_vocab]: a token's unembedding is a column, not a row (W_U[token])",
    },
    {
        "functions": [F_ATTRIBUTION],
        "types": ["RuntimeError", "ValueError", "EinopsError"],
        "hint": "the shapes: embed is [seq, d_model], the results [seq, n_heads, d_model], W_U "
        "[d_model, d_vocab]; position i's activations explain the logit of the token after it",
    },
    {
        "functions": [F_INDUCTION],
        "types": ["RuntimeError"],
        "contains": "size",
        "hint": "a layer's scores are n_heads values: take the mean of the stripe over the batch and the "
        "positions",
    },
    {
        "functions": [F_SCORES],
        "contains": "head_ablation_hook is the reference's",
        "hint": "each head is ablated alone, by head_ablation_hook on its own layer's hook_z, in a run on "
        "the tokens given",
    },
]
error_hint = error_rules(ERROR_HINTS)


def simulations(function: str, case: Case, want) -> list[tuple[str, object]]:
    """What each usual mistake would have returned on this case (for a release's table of hints)."""
    if function == F_INDUCTION:
        found = [
            (h, lambda m=m: m(_patterns(case, want), case.extra["seq_len"])) for h, m in INDUCTION_MISTAKES
        ]
    elif function == F_ATTRIBUTION:
        found = [(h, lambda m=m: m(*_attribution_args(want))) for h, m in ATTRIBUTION_MISTAKES]
    elif function == F_HOOK and case.group == "call":
        z, head = want.args
        found = [(h, lambda m=m: m(z.values.astype(np.float64), int(head))) for h, m in HOOK_MISTAKES]
    elif function == F_SCORES:  # the mistakes with one answer each (not "the loss with the head ablated")
        value = _value(want)
        found = [
            (SCORE_MISTAKES[0][0], lambda: -value),
            (SCORE_MISTAKES[2][0], lambda: value * case.extra["predicted"]),
            (NO_EFFECT, lambda: np.zeros_like(value)),
        ]
    else:
        return []
    outputs = []
    for hint, simulate in found:
        try:
            outputs.append((hint, simulate()))
        except (IndexError, ValueError, ZeroDivisionError, FloatingPointError, KeyError):
            continue
    return outputs
