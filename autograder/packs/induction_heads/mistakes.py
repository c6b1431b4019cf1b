"""The mistakes the grader can name: the usual wrong versions of each detector, tried on the same
inputs as the submission; the one that would have returned what the submission did is the hint.
The other functions' mistakes are named by their checks' messages (checks.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.engine.hints import error_rules
from autograder.engine.kit import heads, show_labels
from autograder.engine.pack import Case
from autograder.packs.induction_heads import cases
from autograder.packs.induction_heads.cases import DETECTORS, KINDS
from autograder.packs.induction_heads.checks import patterns_of, threshold_of


# The usual wrong versions of each detector: (hint, score function on one head's pattern [n, n], threshold).
def _diag(offset: int):
    return lambda p: float(np.diagonal(p, offset).mean()) if np.diagonal(p, offset).size else 0.0


def _induction(shift: int):
    return lambda p: _diag(-((p.shape[-1] - 1) // 2 - 1 + shift))(p)


MISTAKES: dict[str, list[tuple[str, Callable, float]]] = {
    "current_attn_detector": [
        (
            "it reads the diagonal below the main one (offset -1): the current token is the main diagonal",
            _diag(-1),
            0.4,
        ),
        ("it sums the diagonal instead of taking its mean", lambda p: float(np.diagonal(p).sum()), 0.4),
        (
            "it leaves out the first query position: the mean is over every position",
            lambda p: float(np.diagonal(p)[1:].mean()),
            0.4,
        ),
        ("it uses the induction threshold 0.2 instead of 0.4", lambda p: float(np.diagonal(p).mean()), 0.2),
    ],
    "prev_attn_detector": [
        (
            "it reads the main diagonal (offset 0): the previous token is the diagonal just below it "
            "(offset -1)",
            _diag(0),
            0.4,
        ),
        ("it reads the diagonal two below the main one: the previous token is offset -1", _diag(-2), 0.4),
        (
            "it reads the diagonal above the main one (offset +1): below the main diagonal is offset -1",
            _diag(1),
            0.4,
        ),
        ("it sums the diagonal instead of taking its mean", lambda p: float(np.diagonal(p, -1).sum()), 0.4),
        (
            "it divides by the number of positions, not by the diagonal's length",
            lambda p: float(np.diagonal(p, -1).sum() / p.shape[-1]),
            0.4,
        ),
        ("it uses the induction threshold 0.2 instead of 0.4", _diag(-1), 0.2),
    ],
    "first_attn_detector": [
        (
            "it reads the first row (the first query) instead of the first column (attention to key 0)",
            lambda p: float(p[0].mean()),
            0.4,
        ),
        ("it reads the second column: the first token is column 0", lambda p: float(p[:, 1].mean()), 0.4),
        ("it reads the last column instead of the first", lambda p: float(p[:, -1].mean()), 0.4),
        ("it sums the column instead of taking its mean", lambda p: float(p[:, 0].sum()), 0.4),
        (
            "it leaves out the first query position: the mean is over every position",
            lambda p: float(p[1:, 0].mean()),
            0.4,
        ),
        ("it uses the induction threshold 0.2 instead of 0.4", lambda p: float(p[:, 0].mean()), 0.2),
    ],
    "induction_attn_detector": [
        (
            "it reads the diagonal seq_len below the main one: induction heads attend to the token after the "
            "previous copy, seq_len - 1 below",
            _induction(1),
            0.2,
        ),
        (
            "it reads the diagonal seq_len - 2 below the main one: the offset is -(seq_len - 1)",
            _induction(-1),
            0.2,
        ),
        (
            "it reads the diagonal seq_len + 1 below the main one: the offset is -(seq_len - 1)",
            _induction(2),
            0.2,
        ),
        (
            "it uses seq_len = 50 whatever the input: work it out from the pattern's size, (n - 1) // 2",
            lambda p: _diag(-49)(p) if p.shape[-1] > 49 else 0.0,
            0.2,
        ),
        (
            "it sums the diagonal instead of taking its mean",
            lambda p: float(np.diagonal(p, -((p.shape[-1] - 1) // 2 - 1)).sum()),
            0.2,
        ),
        ("it uses the threshold 0.4 instead of 0.2", _induction(0), 0.4),
    ],
}
FIXED_SHAPE_HINT = (
    "it loops over a fixed number of layers or heads (2 and 12?): take them from cache.model.cfg "
    "(n_layers, n_heads)"
)


def _mistake_answer(score, threshold: float, layers: list[np.ndarray], shape=None) -> set[str]:
    n_layers, n_heads = shape or (len(layers), layers[0].shape[0])
    return {
        f"{layer}.{head}"
        for layer in range(min(n_layers, len(layers)))
        for head in range(min(n_heads, layers[layer].shape[0]))
        if score(layers[layer][head]) > threshold
    }


def detector_hint(function: str, answers: list[tuple[Case, object, dict]]) -> str | None:
    """Names the mistake that explains every answer the submission gave, where one does."""
    seen = []
    for case, got, want in answers:
        found = heads(got, case.extra["shape"])
        if isinstance(found, set):
            seen.append((case, found, want))
    wrong = [(c, f, w) for c, f, w in seen if f != set(w.value)]
    if not wrong:
        return None
    for hint, score, threshold in MISTAKES[function]:
        if all(_mistake_answer(score, threshold, patterns_of(w)) == f for _, f, w in seen):
            return hint
    if all(
        _mistake_answer(
            lambda p: cases.scores(p)[KINDS[function]], threshold_of(function), patterns_of(w), (2, 12)
        )
        == f
        for _, f, w in seen
    ):
        return FIXED_SHAPE_HINT
    if len(seen) >= 3 and len({frozenset(f) for _, f, _ in seen}) == 1:
        return (
            f"it returns {show_labels(seen[0][1])} for every input: find the heads from the cache's patterns "
            "rather than from one model's answer"
        )
    return None


HINTS: dict[str, Callable] = {
    name: (lambda answers, name=name: detector_hint(name, answers)) for name in DETECTORS
}


# A hint for an exception a detector raised: an IndexError is usually a fixed head count.
ERROR_HINTS = [{"functions": list(DETECTORS), "types": ["IndexError"], "hint": FIXED_SHAPE_HINT}]
error_hint = error_rules(ERROR_HINTS)


def simulations(function: str, case: Case, want) -> list[tuple[str, object]]:
    """The heads each usual mistake would have named on this case (for a release's table of hints)."""
    if function not in MISTAKES:
        return []
    layers = patterns_of(want)
    if not layers:
        return []
    found = [
        (hint, frozenset(_mistake_answer(score, threshold, layers)))
        for hint, score, threshold in MISTAKES[function]
    ]
    fixed = lambda p: cases.scores(p)[KINDS[function]]  # noqa: E731
    found.append(
        (FIXED_SHAPE_HINT, frozenset(_mistake_answer(fixed, threshold_of(function), layers, (2, 12))))
    )
    return found
