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

from autograder.engine.pack import Case, Failure, Test
from autograder.engine.wire import Tensor
from autograder.packs.hooks.cases import F_ATTRIBUTION, F_HOOK, F_INDUCTION, F_SCORES, STORE

# Float tolerances: far above float32 rounding of a sum taken in another order, far below any
# mistake the hints name.
INDUCTION_TOL = dict(atol=1e-5, rtol=1e-4)
ATTRIBUTION_TOL = dict(atol=1e-5, rtol=1e-4)
LOGITS_TOL = dict(atol=1e-4, rtol=1e-4)
SCORES_TOL = dict(atol=2e-5, rtol=1e-3)


def every(case: Case) -> bool:
    return True


def fmt(values) -> str:
    text = np.array2string(np.asarray(values), threshold=12, edgeitems=3, precision=4, separator=", ")
    return " ".join(text.split())


def say(case: Case, summary: str, details: str = "") -> str | Failure:
    """The message for a failed case: all of it on a public input; on a secret one, the summary now
    and the details (expected values included) after the due date."""
    if not case.secret:
        return summary + details
    return Failure(summary, summary + details)


def what(value) -> str:
    if isinstance(value, Tensor):
        return f"a {value.kind} of shape {list(value.shape)} and dtype {value.dtype}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"{type(value).__name__ if not hasattr(value, 'cls') else value.cls} {str(value)[:60]!r}"


def floats(got) -> np.ndarray | None:
    """The values of a float tensor, as float64, or None."""
    if isinstance(got, Tensor) and got.dtype.startswith(("float", "bfloat")):
        return got.values.astype(np.float64)
    return None


def close(got: np.ndarray, want: np.ndarray, tolerance: dict) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, **tolerance))


def differs(case: Case, got: np.ndarray, want: np.ndarray, label: Callable[[tuple], str], noun: str):
    """What differs between two arrays of the same shape, at the worst entry."""
    if np.isnan(got).any():
        return f"{int(np.isnan(got).sum())} of the {got.size} {noun} are NaN"
    gap = np.abs(got - want)
    worst = np.unravel_index(int(np.argmax(gap)), gap.shape)
    count = int((gap > 1e-4 + 1e-3 * np.abs(want)).sum())
    summary = f"{count} of {want.size} {noun} differ from the reference's, by up to {gap[worst]:.3g}"
    details = f" (at {label(worst)}: got {got[worst]:.5g}, expected {want[worst]:.5g})"
    if want.size <= 16:  # the whole answer, where it is short enough to read
        details += f"; got {fmt(got)}, expected {fmt(want)}"
    return say(case, summary, details)


def head_label(index: tuple) -> str:
    return f"head {index[0]}.{index[1]}"


# --- induction_score_hook ----------------------------------------------------------------------


def ind_store(case: Case, got, want) -> str | None:
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


def ind_matches(case: Case, got, want) -> str | Failure | None:
    values, expected = floats(got), want["value"].values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"no scores of shape {list(expected.shape)} to compare (see the first test)"
    if close(values, expected, INDUCTION_TOL):
        return None
    return differs(case, values, expected, head_label, "scores")


# --- logit_attribution -------------------------------------------------------------------------


def la_expected_shape(case: Case) -> tuple[int, int]:
    return case.extra["positions"] - 1, 1 + 2 * case.extra["shape"][1]


def la_shape(case: Case, got, want) -> str | None:
    values = floats(got)
    rows, columns = la_expected_shape(case)
    heads = case.extra["shape"][1]
    if values is None:
        return f"returned {what(got)}, expected a float tensor of shape [{rows}, {columns}]"
    if values.shape == (rows, columns):
        return None
    why = {
        (rows, 2 * heads): " (the direct path's column is missing: column 0 is embed's contribution)",
        (rows + 1, columns): (
            " (one row per position: the last position predicts nothing, so there are seq - 1 rows)"
        ),
        (columns, rows): " (transposed: one row per position, one column per component)",
        (rows, 3): " (the heads of each layer are summed: one column per head)",
        (rows, 1 + heads): " (the heads of one layer only: both layers' heads are needed)",
        (1, rows, columns): " (an extra batch dimension: the inputs have none)",
    }.get(values.shape, "")
    return f"shape {list(values.shape)}, expected [{rows}, {columns}] = [seq - 1, 1 + 2 * n_heads]{why}"


def _columns(name: str, select: Callable[[int], slice]):
    def check(case: Case, got, want) -> str | Failure | None:
        values, expected = floats(got), want["value"].values.astype(np.float64)
        if values is None or values.shape != expected.shape:
            return "no attribution of the expected shape to compare (see the shape test)"
        part = select(case.extra["shape"][1])
        if close(values[:, part], expected[:, part], ATTRIBUTION_TOL):
            return None
        start = part.start

        def label(index: tuple) -> str:
            return f"position {index[0]}, column {index[1] + start}"

        return differs(case, values[:, part], expected[:, part], label, name)

    return check


la_direct = _columns("direct-path contributions (column 0)", lambda heads: slice(0, 1))
la_layer0 = _columns("layer-0 head contributions (columns 1 to n_heads)", lambda heads: slice(1, 1 + heads))
la_layer1 = _columns(
    "layer-1 head contributions (the last n_heads columns)", lambda heads: slice(1 + heads, 1 + 2 * heads)
)
la_all = _columns("contributions", lambda heads: slice(0, 1 + 2 * heads))


# --- head_ablation_hook ------------------------------------------------------------------------


def _z_and_head(want) -> tuple[np.ndarray, int]:
    z, head = want["args"]
    return z.values.astype(np.float64), int(head)


def hab_zeroed(case: Case, got, want) -> str | None:
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


def hab_others(case: Case, got, want) -> str | None:
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


def hab_run(case: Case, got, want) -> str | Failure | None:
    values, expected = floats(got), want["value"].values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"the run returned {what(got)}, expected logits of shape {list(expected.shape)}"
    if close(values, expected, LOGITS_TOL):
        return None
    if not np.isfinite(values).all():
        return (
            "the model's logits hold NaN or infinities: the hook must return z with one head's output zeroed"
        )
    worst = float(np.abs(values - expected).max())
    return (
        f"the model's logits with head {case.extra['layer']}.{case.extra['head']} ablated differ from the "
        f"reference's by up to {worst:.3g}: the hook must return z with only that head's output zeroed"
    )


# --- get_ablation_scores -----------------------------------------------------------------------


def abl_shape(case: Case, got, want) -> str | None:
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


def abl_matches(case: Case, got, want) -> str | Failure | None:
    values, expected = floats(got), want["value"].values.astype(np.float64)
    if values is None or values.shape != expected.shape:
        return f"no scores of shape {list(expected.shape)} to compare (see the shape test)"
    if close(values, expected, SCORES_TOL):
        return None
    return differs(case, values, expected, head_label, "scores")


# --- the tests, with their points --------------------------------------------------------------


def _group(*groups: str) -> Callable[[Case], bool]:
    return lambda case: case.group in groups


def _batched(case: Case) -> bool:
    return case.extra.get("batch", 1) > 1


TESTS: tuple[Test, ...] = (
    Test(
        F_INDUCTION,
        f"runs as a hook on every attention pattern and fills each row of {STORE}",
        3,
        every,
        ind_store,
    ),
    Test(F_INDUCTION, "each head's induction score on the default model", 4, _group("default"), ind_matches),
    Test(
        F_INDUCTION,
        "models of other shapes (other numbers of layers and heads)",
        3,
        _group("shapes"),
        ind_matches,
    ),
    Test(
        F_INDUCTION, "batches of several sequences: the mean is over the batch too", 2, _batched, ind_matches
    ),
    Test(
        F_ATTRIBUTION,
        "runs without errors and returns a float tensor of shape [seq - 1, 1 + 2 * n_heads]",
        3,
        every,
        la_shape,
    ),
    Test(F_ATTRIBUTION, "column 0: the direct path (embed)", 2, every, la_direct),
    Test(F_ATTRIBUTION, "columns 1 to n_heads: layer 0's heads", 2, every, la_layer0),
    Test(F_ATTRIBUTION, "the last n_heads columns: layer 1's heads", 2, every, la_layer1),
    Test(F_ATTRIBUTION, "models of other shapes, and a two-token sequence", 2, _group("shapes"), la_all),
    Test(
        F_HOOK, "called on a tensor: returns z with that head's output zeroed", 3, _group("call"), hab_zeroed
    ),
    Test(F_HOOK, "called on a tensor: the other heads' outputs are unchanged", 2, _group("call"), hab_others),
    Test(
        F_HOOK, "as a hook on hook_z: the model's logits with that head ablated", 3, _group("hook"), hab_run
    ),
    Test(F_SCORES, "runs without errors and returns a float tensor [n_layers, n_heads]", 2, every, abl_shape),
    Test(F_SCORES, "the loss increase of each head, on a 2-layer model", 4, _group("two-layer"), abl_matches),
    Test(F_SCORES, "a model of another shape (3 layers)", 3, _group("shapes"), abl_matches),
)
