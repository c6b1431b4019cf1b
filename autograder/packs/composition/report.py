"""The pack's section of the HTML page, and its demo (the notebook's findings on a model).

The section shows the Q-, K- and V-composition scores of the default model's heads, the student's
tables beside the reference's, as ARENA plots them: colours centred on the random baseline (the mean
of the reference's random composition scores), so that what is above chance stands out. Public inputs
only: on a secret draw, the expected values are not shown.

The demo, on the default model: head 0.7 K-composes with the induction heads 1.4 and 1.10 far above
the random baseline, and ablating 0.7 takes most of their induction score away.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from autograder.engine.wire import Tensor
from autograder.output.html import escape, figure
from autograder.packs.composition.cases import F_RANDOM, F_TABLES, RANDOM

TABLES_CASE = f"{F_TABLES}/default"
RANDOM_CASE = "{}/{}-s{}".format(F_RANDOM, *RANDOM[0])
CASES = (TABLES_CASE, RANDOM_CASE)


def sections(result, grader) -> list[tuple[str, str]]:
    raw, reference = result.raw or {}, grader.reference
    if TABLES_CASE not in reference.outcomes or RANDOM_CASE not in reference.outcomes:
        return []  # a secret draw: its answers are not shown
    expected = reference.outcomes[TABLES_CASE]["value"]
    baseline = float(np.mean(reference.outcomes[RANDOM_CASE]["value"].values))
    got = raw.get(TABLES_CASE)
    body = [
        f"<p>On the default model. Colours are centred on the random baseline, {baseline:.3f} (the mean "
        "composition score of random matrices of a head's shape): blue is above chance.</p>"
    ]
    yours = _theirs(raw.get(RANDOM_CASE))
    if yours:
        body.append(f"<p>{yours}</p>")
    for kind in "QKV":
        want = expected[kind].values.astype(np.float64)
        mine = _heatmap(want, f"The reference's {kind}-composition scores", baseline)
        theirs = _table(got, kind, want.shape, baseline)
        body.append(f"<div class='plots'><div>{mine}</div><div>{theirs}</div></div>")
    return [("Composition scores: layer 0's heads (rows) into layer 1's (columns)", "".join(body))]


def _theirs(outcome: dict | None) -> str:
    """The student's own random baseline, in words (or nothing)."""
    if not outcome or outcome.get("status") != "ok" or not isinstance(outcome.get("value"), Tensor):
        return ""
    values = outcome["value"].values.astype(np.float64)
    if values.ndim != 1 or not np.isfinite(values).all():
        return ""
    return f"Your random composition scores: mean {values.mean():.3f}, standard deviation {values.std():.3g}."


def _table(outcome: dict | None, kind: str, shape: tuple, baseline: float) -> str:
    if not outcome:
        return "<p>No heatmap: no result came back for this input.</p>"
    if outcome.get("status") != "ok":
        error = outcome.get("error", {})
        return f"<p>No heatmap: {escape(error.get('type', ''))}: {escape(error.get('message', ''))}</p>"
    value = outcome["value"]
    table = value.get(kind) if isinstance(value, dict) else None
    if not isinstance(table, Tensor) or table.shape != shape:
        what = list(table.shape) if isinstance(table, Tensor) else type(table).__name__
        return f"<p>No heatmap: scores[{kind!r}] is {escape(what)}, expected shape {list(shape)}.</p>"
    return _heatmap(
        np.nan_to_num(table.values.astype(np.float64)), f"Your {kind}-composition scores", baseline
    )


def _heatmap(values: np.ndarray, title: str, baseline: float) -> str:
    import plotly.express as px

    spread = max(float(np.abs(values - baseline).max()), 1e-6)
    fig = px.imshow(
        values,
        labels={"x": "Layer 1 head", "y": "Layer 0 head", "color": "score"},
        title=title,
        text_auto=".2f",
        color_continuous_scale="RdBu",
        range_color=(baseline - spread, baseline + spread),
        aspect="auto",
    )
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(dtick=1)
    fig.update_layout(height=480)
    return figure(fig)


def reference_module(path):
    """The reference solution, imported as a module (its demo code does not run)."""
    spec = importlib.util.spec_from_file_location("composition_solution", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def demo(pack, model_name: str = "default", seq_len: int = 10, samples: int = 300) -> list[str]:
    """The K-composition scores, the random baseline and the ablated induction scores, as lines."""
    import torch as t

    from autograder.transformer_lens.models import load_model

    solution = reference_module(pack.solution)
    model = load_model(model_name)
    t.manual_seed(0)
    solution.model, solution.seq_len = model, seq_len  # the notebook's globals
    solution.rep_tokens = solution.generate_repeated_tokens(model, seq_len, 1)
    scores = {kind: table.cpu().numpy() for kind, table in solution.get_composition_scores(model).items()}
    baseline = np.array([solution.generate_single_random_comp_score() for _ in range(samples)])
    k = scores["K"]
    lines = [
        f"Model: {model_name} ({model.cfg.n_layers} layers x {model.cfg.n_heads} heads), "
        f"d_model {model.cfg.d_model}, d_head {model.cfg.d_head}",
        f"Random composition scores ({samples} draws, torch seed 0): mean {baseline.mean():.3f}, "
        f"std {baseline.std():.3f}",
    ]
    for kind, table in scores.items():
        i, j = np.unravel_index(int(np.argmax(table)), table.shape)
        lines.append(f"{kind}-composition: highest {table[i, j]:.3f}, heads 0.{i} -> 1.{j}")
    if model.cfg.n_heads > 10:  # the seed's heads: 0.7 the previous-token head, 1.4 and 1.10 induction heads
        lines.append(
            f"K-composition of 0.7 with 1.4: {k[7, 4]:.3f}, with 1.10: {k[7, 10]:.3f} "
            f"({k[7, 4] / baseline.mean():.1f}x and {k[7, 10] / baseline.mean():.1f}x the random baseline)"
        )
        for ind in (4, 10):
            before = solution.ablation_induction_score(None, ind)
            after = solution.ablation_induction_score(7, ind)
            lines.append(
                f"Induction score of 1.{ind} on repeated tokens: {before:.3f}; with 0.7 ablated: {after:.3f}"
            )
    return lines
