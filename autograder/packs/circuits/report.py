"""The pack's sections of the HTML page, and its demo (`autograder demo --exercise circuits`).

Sections, each the student's picture beside the reference's, as ARENA plots them: a sample of head
1.4's full OV circuit (its first rows and columns: a copying head's diagonal), head 0.7's positional
pattern (its first positions: the stripe one below the diagonal), and the norms of the decomposed
query's components (which components the induction head's query reads). Public inputs only: on a
secret draw, the expected values are not shown.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from autograder.engine.kit import factored, floats
from autograder.output.html import escape, figure
from autograder.packs.circuits.cases import F_OV, F_POS, F_Q

SAMPLE = 48  # rows and columns shown of a [d_vocab, d_vocab] circuit or an [n_ctx, n_ctx] pattern
OV_CASE, POS_CASE, Q_CASE = f"{F_OV}/default-l1-h4", f"{F_POS}/default-l0-h7", f"{F_Q}/default-h4-n11"
CASES = (OV_CASE, POS_CASE, Q_CASE)


def _ov(value) -> np.ndarray | None:
    matrix = factored(value)
    if matrix is None or len(matrix.shape) != 2:
        return None
    return matrix.rows(list(range(min(SAMPLE, matrix.ldim))))[:, :SAMPLE]


def _pattern(value) -> np.ndarray | None:
    values = floats(value)
    return None if values is None or values.ndim != 2 else values[:SAMPLE, :SAMPLE]


def _norms(value) -> np.ndarray | None:
    values = floats(value)
    return None if values is None or values.ndim != 3 else np.sqrt((values**2).sum(-1))


FIGURES = {  # case id: (heading, how to draw, colour, x axis, y axis)
    OV_CASE: (
        f"Head 1.4's full OV circuit, first {SAMPLE} tokens",
        _ov,
        "logit",
        "Output token",
        "Input token",
    ),
    POS_CASE: (
        f"Head 0.7's positional pattern, first {SAMPLE} positions",
        _pattern,
        "attention",
        "Key",
        "Query",
    ),
    Q_CASE: (
        "Norms of the decomposed query's components (head 1.4)",
        _norms,
        "norm",
        "Position",
        "Component",
    ),
}


def sections(result, grader) -> list[tuple[str, str]]:
    raw, reference = result.raw or {}, grader.reference
    shown = []
    for case_id, (heading, draw, *axes) in FIGURES.items():
        if case_id not in reference.outcomes:  # a secret draw: its answers are not shown
            continue
        expected = draw(reference.outcomes[case_id]["value"])
        if expected is None:
            continue
        about = next((c.about for c in grader.inputs.cases if c.id == case_id), "")
        shown.append((heading, _pair(raw.get(case_id), expected, draw, axes, about)))
    return shown


def _heatmap(values: np.ndarray, title: str, axes: list[str], low: float, high: float) -> str:
    import plotly.express as px

    what, x, y = axes
    fig = px.imshow(
        values,
        labels={"x": x, "y": y, "color": what},
        title=title,
        color_continuous_scale="RdBu" if low < 0 else "Blues",
        range_color=(low, high),
        aspect="auto",
    )
    fig.update_layout(height=420)
    return figure(fig)


def _pair(got: dict | None, expected: np.ndarray, draw, axes: list[str], about: str) -> str:
    high = float(np.abs(expected).max()) or 1.0
    low = -high if expected.min() < 0 else 0.0
    theirs = "<p>No picture: no result came back for this input.</p>"
    if got and got["status"] == "ok":
        values = draw(got["value"])
        if values is not None and values.shape == expected.shape:
            theirs = _heatmap(np.nan_to_num(values), "Yours", axes, low, high)
        else:
            theirs = (
                f"<p>No picture: got {escape(_what(got['value']))}, not an answer of the expected shape.</p>"
            )
    elif got:
        error = got["error"]
        theirs = f"<p>No picture: {escape(error.get('type', ''))}: {escape(error.get('message', ''))}</p>"
    mine = _heatmap(expected, "The reference's", axes, low, high)
    return f"<p>On {escape(about)}.</p><div class='plots'><div>{mine}</div><div>{theirs}</div></div>"


def _what(value) -> str:
    from autograder.engine.kit import what

    return what(value)


def reference_module(path):
    """The reference solution, imported as a module (its demo code does not run)."""
    spec = importlib.util.spec_from_file_location("circuits_solution", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def demo(pack, model_name: str = "default", seq_len: int = 10, batch: int = 1) -> list[str]:
    """Top-1 accuracies of the copying heads, the previous-token head's positional pattern, and the
    largest contributions to the induction head's attention scores, as lines."""
    import torch as t

    from autograder.transformer_lens.models import load_model

    solution = reference_module(pack.solution)
    model = load_model(model_name)
    solution.model, solution.cfg, solution.device = model, model.cfg, model.cfg.device  # notebook globals
    lines = [f"Model: {model_name} ({model.cfg.n_layers} layers x {model.cfg.n_heads} heads)"]
    for head in (4, 10):
        accuracy = solution.top_1_acc(solution.full_ov_circuit(model, 1, head))
        lines.append(f"Top-1 accuracy of head 1.{head}'s full OV circuit: {accuracy:.4f}")
    both = solution.top_1_acc(solution.effective_ov_circuit(model, 1, [4, 10]))
    lines.append(f"Top-1 accuracy of heads 1.4 and 1.10 together: {both:.4f}")
    pattern = solution.pos_by_pos_pattern(model, 0, 7)
    previous = float(pattern.diag(-1).mean())
    lines.append(f"Head 0.7's mean attention to the previous position, from positions alone: {previous:.4f}")
    t.manual_seed(0)
    tokens = solution.generate_repeated_tokens(model, seq_len, batch)
    _, cache = model.run_with_cache(tokens, remove_batch_dim=True)
    decomposed = solution.decompose_qk_input(cache)
    scores = solution.decompose_attn_scores(
        solution.decompose_q(decomposed, 4), solution.decompose_k(decomposed, 4)
    )
    stds = scores.flatten(-2).std(-1).cpu().numpy()
    labels = ["embed", "pos_embed"] + [f"0.{h}" for h in range(model.cfg.n_heads)]
    top = np.dstack(np.unravel_index(np.argsort(-stds, axis=None)[:3], stds.shape))[0]
    pairs = ", ".join(f"(query {labels[i]}, key {labels[j]}) {stds[i, j]:.1f}" for i, j in top)
    lines.append(f"Largest spreads of 1.4's attention-score contributions: {pairs}")
    return lines
