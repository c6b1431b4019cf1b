"""The pack's sections of the HTML page, and its demo (the notebook's scores on a model).

Sections, each a heatmap of the student's values beside the reference's: the induction scores of the
default model's heads, the logit attribution of a sequence of repeated tokens on the default model,
and the ablation scores (on a small model: the default one's 24 ablations would cost more than every
other case). Public inputs only: on a secret draw, the expected values are not shown.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from autograder.engine.wire import Tensor
from autograder.output.html import escape, figure
from autograder.packs.hooks.cases import ATTRIBUTION, F_ATTRIBUTION, F_INDUCTION, F_SCORES, INDUCTION, SCORES

INDUCTION_CASE = "{}/{}-L{}-b{}-s{}".format(F_INDUCTION, *INDUCTION[0][:4])
ATTRIBUTION_CASE = "{}/{}-{}{}-s{}".format(F_ATTRIBUTION, *ATTRIBUTION[0][:4])
SCORES_CASE = "{}/{}-L{}-b{}-s{}".format(F_SCORES, *SCORES[0][:4])
CASES = (INDUCTION_CASE, ATTRIBUTION_CASE, SCORES_CASE)
FIGURES = {  # case id: (heading, what the colour means, x axis, y axis)
    INDUCTION_CASE: ("Induction scores by head", "induction score", "Head", "Layer"),
    ATTRIBUTION_CASE: (
        "Logit attribution (direct path, then layer 0's heads, then layer 1's)",
        "contribution",
        "Component",
        "Position",
    ),
    SCORES_CASE: ("Loss increase when each head is zero-ablated", "loss increase", "Head", "Layer"),
}


def sections(result, grader) -> list[tuple[str, str]]:
    raw, reference = result.raw or {}, grader.reference
    shown = []
    for case_id, (heading, *axes) in FIGURES.items():
        if case_id not in reference.outcomes:  # a secret draw: its answers are not shown
            continue
        about = next((c.about for c in grader.inputs.cases if c.id == case_id), "")
        shown.append((heading, _pair(raw.get(case_id), reference.outcomes[case_id]["value"], axes, about)))
    return shown


def _heatmap(values: np.ndarray, title: str, axes: tuple[str, str, str], scale: float) -> str:
    import plotly.express as px

    what, x, y = axes
    columns = None
    if x == "Component":  # the direct path, then each head of layer 0 and of layer 1
        heads = (values.shape[1] - 1) // 2
        columns = ["direct"] + [f"{layer}.{head}" for layer in range(2) for head in range(heads)]
    fig = px.imshow(
        values,
        x=columns,
        labels={"x": x, "y": y, "color": what},
        title=title,
        text_auto=(".2f" if scale >= 0.1 else ".2g")
        if values.size <= 64
        else False,  # small scores: 2 digits
        color_continuous_scale="RdBu",
        range_color=(-scale, scale),
        aspect="auto",
    )
    fig.update_xaxes(dtick=1 if columns is None else None, tickangle=0 if columns is None else -90)
    fig.update_yaxes(dtick=1)
    fig.update_layout(height=300 if values.shape[0] <= 4 else 560)
    return figure(fig)


def _pair(got: dict | None, want: Tensor, axes: tuple[str, str, str], about: str) -> str:
    expected = want.values.astype(np.float64)
    scale = float(np.abs(expected).max()) or 1.0
    theirs = "<p>No heatmap: no result came back for this input.</p>"
    if got and got["status"] == "ok":
        value = got["value"]
        if isinstance(value, Tensor) and value.shape == expected.shape:
            theirs = _heatmap(np.nan_to_num(value.values.astype(np.float64)), "Yours", axes, scale)
        else:
            shape = list(value.shape) if isinstance(value, Tensor) else type(value).__name__
            theirs = f"<p>No heatmap: got {escape(shape)}, expected shape {list(expected.shape)}.</p>"
    elif got:
        error = got["error"]
        theirs = f"<p>No heatmap: {escape(error.get('type', ''))}: {escape(error.get('message', ''))}</p>"
    mine = _heatmap(expected, "The reference's", axes, scale)
    return f"<p>On {escape(about)}.</p><div class='plots'><div>{mine}</div><div>{theirs}</div></div>"


# --- the demo ----------------------------------------------------------------------------------


def reference_module(path):
    """The reference solution, imported as a module (its demo code does not run)."""
    spec = importlib.util.spec_from_file_location("hooks_solution", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table(scores, indent: str = "  ") -> list[str]:
    values = np.asarray(scores, dtype=np.float64)
    header = indent + " " * len("layer 0") + " ".join(f"{h:>6}" for h in range(values.shape[1]))
    return [header] + [
        indent + f"layer {layer}" + " ".join(f"{v:6.2f}" for v in row) for layer, row in enumerate(values)
    ]


def demo(pack, model_name: str = "default", seq_len: int = 10, batch: int = 10) -> list[str]:
    """The notebook's induction scores and ablation scores of `model_name`, as lines."""
    import torch as t

    from autograder.transformer_lens.models import load_model

    solution = reference_module(pack.solution)
    model = load_model(model_name)
    t.manual_seed(0)
    tokens = solution.generate_repeated_tokens(model, seq_len, batch)
    store = t.zeros((model.cfg.n_layers, model.cfg.n_heads), device=model.cfg.device)
    solution.seq_len, solution.induction_score_store = seq_len, store  # the notebook's globals
    model.run_with_hooks(
        tokens,
        return_type=None,
        fwd_hooks=[(lambda name: name.endswith("pattern"), solution.induction_score_hook)],
    )
    induction = store.cpu().numpy()
    ablation = solution.get_ablation_scores(model, tokens).cpu().numpy()

    def heads(scores: np.ndarray, above: float) -> str:
        found = [f"{layer}.{head}" for layer, head in zip(*np.nonzero(scores > above), strict=True)]
        return ", ".join(found) or "none"

    top = np.unravel_index(int(np.argmax(ablation)), ablation.shape)
    return [
        f"Model: {model_name} ({model.cfg.n_layers} layers x {model.cfg.n_heads} heads), "
        f"on {batch} sequences of {seq_len} random tokens repeated twice (torch seed 0)",
        "Induction scores (mean attention on the diagonal at offset 1 - seq_len):",
        *_table(induction),
        f"Heads with an induction score above 0.2: {heads(induction, 0.2)}",
        "Ablation scores (loss increase when each head is zero-ablated, in nats):",
        *_table(ablation),
        f"Heads whose ablation costs more than 0.1 nats: {heads(ablation, 0.1)}; the most: "
        f"{top[0]}.{top[1]} (+{ablation[top]:.2f})",
    ]
