"""The tests: what each exercise function must get right, with points.

A test looks at some of its function's cases. For each case it gets what the submission returned
and what the reference returned (plain values: `wire.Tensor`, lists, ...) and says what is wrong, in
a sentence, or nothing. On an input drawn from a secret, a message says what is wrong without
printing the whole expected answer; the details (`Failure.details`) are shown only after the due
date. Points are earned only on evidence: a test passes when a real answer came back and matched.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.engine.kit import (
    Answer,
    Case,
    Failure,
    Test,
    allclose_problem,
    close,
    floats,
    group,
    shape_problem,
    what,
)
from autograder.packs.hooks.cases import F_ATTRIBUTION, F_HOOK, F_INDUCTION, F_SCORES, STORE

# Float tolerances: far above float32 rounding of a sum taken in another order, far below any
# mistake the hints name.
INDUCTION_TOL = dict(atol=1e-5, rtol=1e-4)
ATTRIBUTION_TOL = dict(atol=1e-5, rtol=1e-4)
LOGITS_TOL = dict(atol=1e-4, rtol=1e-4)
SCORES_TOL = dict(atol=2e-5, rtol=1e-3)
NOTICED = dict(atol=1e-4, rtol=1e-3)  # an entry counted as differing in messages


def head_label(index: tuple) -> str:
    return f"head {index[0]}.{index[1]}"


# --- induction_score_hook ----------------------------------------------------------------------


def store_filled(case: Case, got, want: Answer) -> str | None:
    layers, heads = case.extra["shape"]
    values = floats(got)
    if values is None:
        return (
            f"after the run, {STORE} is {what(got)}, expected the float tensor of shape "
            f"[{layers}, {heads}] the grader made: write into it, do not replace it"
        )
    if values.shape != (layers, heads):
        return (
            f"after the run, {STORE} has shape {list(values.shape)}, expected [{layers}, {heads}]: "
            "write each layer's scores into its row, induction_score_store[hook.layer(), :]"
        )
    if np.isnan(values).any():
        return (
            f"{STORE} holds NaN: the mean of an empty diagonal? The induction stripe is at offset "
            "1 - seq_len, on the last two dimensions (query and key positions), with this input's seq_len "
            "(the global seq_len, or (n_positions - 1) // 2), not a fixed number"
        )
    empty = [layer for layer in range(layers) if not values[layer].any()]
    if empty:
        rows = ", ".join(map(str, empty))
        return (
            f"row{'s' if len(empty) > 1 else ''} {rows} of {STORE} {'are' if len(empty) > 1 else 'is'} still "
            "zeros after the run (every head attends a little to every earlier token, so no score is 0): "
            "the hook runs once per layer and writes that layer's scores into "
            "induction_score_store[hook.layer(), :]"
        )
    return None


def induction_scores_match(case: Case, got, want: Answer) -> str | Failure | None:
    values, expected = floats(got), want.value.values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"no scores of shape {list(expected.shape)} to compare (see the first test)"
    return allclose_problem(case, values, expected, INDUCTION_TOL, "scores", head_label, NOTICED)


# --- logit_attribution -------------------------------------------------------------------------


def attribution_shape(case: Case, got, want: Answer) -> str | None:
    values = floats(got)
    heads = case.extra["shape"][1]
    rows, columns = case.extra["positions"] - 1, 1 + 2 * heads
    if values is None:
        return f"returned {what(got)}, expected a float tensor of shape [{rows}, {columns}]"
    why = {
        (rows, 2 * heads): " (the direct path's column is missing: column 0 is embed's contribution)",
        (rows + 1, columns): (
            " (one row per position: the last position predicts nothing, so there are seq - 1 rows)"
        ),
        (columns, rows): " (transposed: one row per position, one column per component)",
        (rows, 3): " (the heads of each layer are summed: one column per head)",
        (rows, 1 + heads): " (the heads of one layer only: both layers' heads are needed)",
        (1, rows, columns): " (an extra batch dimension: the inputs have none)",
    }
    return shape_problem(values.shape, (rows, columns), why, " = [seq - 1, 1 + 2 * n_heads]")


def _columns(name: str, select: Callable[[int], slice]):
    """A check of some columns of the attribution, named by what they hold."""

    def check(case: Case, got, want: Answer) -> str | Failure | None:
        values, expected = floats(got), want.value.values.astype(np.float64)
        if values is None or values.shape != expected.shape:
            return "no attribution of the expected shape to compare (see the shape test)"
        part = select(case.extra["shape"][1])

        def label(index: tuple) -> str:
            return f"position {index[0]}, column {index[1] + part.start}"

        return allclose_problem(
            case, values[:, part], expected[:, part], ATTRIBUTION_TOL, name, label, NOTICED
        )

    return check


direct_path_matches = _columns("direct-path contributions (column 0)", lambda heads: slice(0, 1))
layer0_heads_match = _columns(
    "layer-0 head contributions (columns 1 to n_heads)", lambda heads: slice(1, 1 + heads)
)
layer1_heads_match = _columns(
    "layer-1 head contributions (the last n_heads columns)", lambda heads: slice(1 + heads, 1 + 2 * heads)
)
attribution_matches = _columns("contributions", lambda heads: slice(0, 1 + 2 * heads))


# --- head_ablation_hook ------------------------------------------------------------------------


def _z_and_head(want: Answer) -> tuple[np.ndarray, int]:
    z, head = want.args
    return z.values.astype(np.float64), int(head)


def head_zeroed(case: Case, got, want: Answer) -> str | None:
    z, head = _z_and_head(want)
    if got is None:
        return (
            "returned None: return the tensor (z with the head's output zeroed), since what a hook "
            "returns is what the model goes on with"
        )
    values = floats(got)
    if values is None or values.shape != z.shape:
        return f"returned {what(got)}, expected a float tensor of z's shape {list(z.shape)}"
    if np.any(values[:, :, head, :] != 0):
        count = int((values[:, :, head, :] != 0).sum())
        return (
            f"{count} of the {values[:, :, head, :].size} entries of head {head} (z[:, :, {head}, :]) "
            "are not zero"
        )
    return None


def other_heads_unchanged(case: Case, got, want: Answer) -> str | None:
    z, head = _z_and_head(want)
    values = floats(got)
    if values is None or values.shape != z.shape:
        return "no tensor of z's shape to compare (see the test above)"
    others = [h for h in range(z.shape[2]) if h != head]
    changed = [h for h in others if not np.allclose(values[:, :, h, :], z[:, :, h, :], atol=1e-6, rtol=0)]
    if changed:
        listed = ", ".join(map(str, changed[:6])) + (" ..." if len(changed) > 6 else "")
        return (
            f"the output of head{'s' if len(changed) > 1 else ''} {listed} changed too: every head but "
            f"head_index_to_ablate={head} keeps its values"
        )
    return None


def ablated_logits_match(case: Case, got, want: Answer) -> str | Failure | None:
    values, expected = floats(got), want.value.values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"the run returned {what(got)}, expected logits of shape {list(expected.shape)}"
    if close(values, expected, LOGITS_TOL):
        return None
    if not np.isfinite(values).all():
        return (
            "the model's logits hold NaN or infinities: the hook must return z with one head's output zeroed"
        )
    worst = float(np.abs(values - expected).max())
    head = f"{case.extra['layer']}.{case.extra['head']}"
    advice = ": the hook must return z with only that head's output zeroed"
    if case.secret:  # no gap to the expected logits: a figure that can be probed
        return f"the model's logits with head {head} ablated differ from the reference's{advice}"
    gap = f" by up to {worst:.3g}"
    return f"the model's logits with head {head} ablated differ from the reference's{gap}{advice}"


# --- get_ablation_scores -----------------------------------------------------------------------


def scores_shape(case: Case, got, want: Answer) -> str | None:
    layers, heads = case.extra["shape"]
    values = floats(got)
    if values is None:
        return f"returned {what(got)}, expected a float tensor of shape [{layers}, {heads}]"
    if values.shape != (layers, heads):
        why = " (transposed: one row per layer)" if values.shape == (heads, layers) else ""
        return f"shape {list(values.shape)}, expected [n_layers, n_heads] = [{layers}, {heads}]{why}"
    if np.isnan(values).any():
        return "the scores hold NaN"
    return None


def ablation_scores_match(case: Case, got, want: Answer) -> str | Failure | None:
    values, expected = floats(got), want.value.values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"no scores of shape {list(expected.shape)} to compare (see the shape test)"
    return allclose_problem(case, values, expected, SCORES_TOL, "scores", head_label, NOTICED)


# --- the tests, with their points --------------------------------------------------------------
# The format tests (`format_only`) pay only for answers computed from their input: constant
# answers of the right shape earn nothing (tests/submissions/hardening/hooks_constant_answers.py).


def _batched(case: Case) -> bool:
    return case.extra.get("batch", 1) > 1


TESTS: tuple[Test, ...] = (
    Test(
        function=F_INDUCTION,
        name=f"runs as a hook on every attention pattern and fills each row of {STORE}",
        points=3,
        per_case=store_filled,
        format_only=True,
    ),
    Test(
        function=F_INDUCTION,
        name="each head's induction score on the default model",
        points=4,
        selects=group("default"),
        per_case=induction_scores_match,
    ),
    Test(
        function=F_INDUCTION,
        name="models of other shapes (other numbers of layers and heads)",
        points=3,
        selects=group("shapes"),
        per_case=induction_scores_match,
    ),
    Test(
        function=F_INDUCTION,
        name="batches of several sequences: the mean is over the batch too",
        points=2,
        selects=_batched,
        per_case=induction_scores_match,
    ),
    Test(
        function=F_ATTRIBUTION,
        name="runs without errors and returns a float tensor of shape [seq - 1, 1 + 2 * n_heads]",
        points=3,
        per_case=attribution_shape,
        format_only=True,
    ),
    Test(
        function=F_ATTRIBUTION,
        name="column 0: the direct path (embed)",
        points=2,
        per_case=direct_path_matches,
    ),
    Test(
        function=F_ATTRIBUTION,
        name="columns 1 to n_heads: layer 0's heads",
        points=2,
        per_case=layer0_heads_match,
    ),
    Test(
        function=F_ATTRIBUTION,
        name="the last n_heads columns: layer 1's heads",
        points=2,
        per_case=layer1_heads_match,
    ),
    Test(
        function=F_ATTRIBUTION,
        name="models of other shapes, and a two-token sequence",
        points=2,
        selects=group("shapes"),
        per_case=attribution_matches,
    ),
    Test(
        function=F_HOOK,
        name="called on a tensor: returns z with that head's output zeroed",
        points=3,
        selects=group("call"),
        per_case=head_zeroed,
        format_only=True,
    ),
    Test(
        function=F_HOOK,
        name="called on a tensor: the other heads' outputs are unchanged",
        points=2,
        selects=group("call"),
        per_case=other_heads_unchanged,
    ),
    Test(
        function=F_HOOK,
        name="as a hook on hook_z: the model's logits with that head ablated",
        points=3,
        selects=group("hook"),
        per_case=ablated_logits_match,
    ),
    Test(
        function=F_SCORES,
        name="runs without errors and returns a float tensor [n_layers, n_heads]",
        points=2,
        per_case=scores_shape,
        format_only=True,
    ),
    Test(
        function=F_SCORES,
        name="the loss increase of each head, on a 2-layer model",
        points=4,
        selects=group("two-layer"),
        per_case=ablation_scores_match,
    ),
    Test(
        function=F_SCORES,
        name="a model of another shape (3 layers)",
        points=3,
        selects=group("shapes"),
        per_case=ablation_scores_match,
    ),
)
