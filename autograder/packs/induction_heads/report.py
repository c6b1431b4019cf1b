"""The pack's sections of the HTML page, and its demo (the seed notebook's report on a model).

Sections: the student's loss-by-position plot on repeated tokens beside the reference's, and the
attention patterns of the heads in question (those expected, found, missed or listed wrongly).
"""

from __future__ import annotations

import importlib.util

import numpy as np

from autograder.engine import kit
from autograder.engine.wire import Tensor
from autograder.output.html import attention_view, escape, figure
from autograder.packs.induction_heads import checks
from autograder.packs.induction_heads.cases import KINDS, SEED_TEXT

LOSS_CASE = "run_and_cache_model_repeated_tokens/default-s0-L50-b1"
# Which detectors' heads to show on which input: the text for the first three, repeated tokens for
# the induction heads (the seed notebook's own pairing).
ATTENTION_CASES = {
    "text-default": (
        "the seed's text",
        ("current_attn_detector", "prev_attn_detector", "first_attn_detector"),
    ),
    "repeated-default-50": ("repeated random tokens (seq_len 50)", ("induction_attn_detector",)),
}
CASES = (LOSS_CASE, *(f"{f}/{key}" for key, (_, functions) in ATTENTION_CASES.items() for f in functions))
WORDS = {
    "current": "current-token",
    "prev": "previous-token",
    "first": "first-token",
    "induction": "induction",
}


def sections(result, grader) -> list[tuple[str, str]]:
    raw, reference = result.raw or {}, grader.reference
    if LOSS_CASE not in reference.outcomes:  # a secret draw: its inputs are not shown
        return []
    return [
        ("Loss by position on repeated random tokens", _loss_plots(raw, reference)),
        ("Attention patterns of the heads in question", _attention(raw, reference)),
    ]


def _loss_figure(tokens: np.ndarray, logits: np.ndarray, title: str) -> str:
    """The seed's plot_loss_difference, for one sequence."""
    import plotly.express as px

    seq_len = (tokens.shape[-1] - 1) // 2
    logits = logits.astype(np.float64)[0]
    log_probs = logits - logits.max(-1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
    correct = log_probs[np.arange(len(tokens[0]) - 1), tokens[0, 1:]]
    fig = px.line(
        correct,
        hover_name=[str(t) for t in tokens[0, 1:]],
        title=title,
        labels={"index": "Sequence position", "value": "Log-prob of the correct token"},
    )
    fig.update_layout(showlegend=False, hovermode="x unified", height=380)
    fig.add_vrect(x0=0, x1=seq_len - 0.5, fillcolor="red", opacity=0.2, line_width=0)
    fig.add_vrect(x0=seq_len - 0.5, x1=2 * seq_len - 1, fillcolor="green", opacity=0.2, line_width=0)
    first, second = correct[:seq_len].mean(), correct[seq_len:].mean()
    fig.add_annotation(
        text=f"first half {first:.2f}, second half {second:.2f}",
        xref="paper",
        yref="paper",
        x=0.5,
        y=1.08,
        showarrow=False,
    )
    return figure(fig)


def _loss_plots(raw: dict, reference) -> str:
    want = reference.outcomes[LOSS_CASE]["value"]
    theirs = "<p>No plot: the function did not return tokens and logits for this input.</p>"
    got = raw.get(LOSS_CASE)
    if got and got["status"] == "ok":
        tokens, logits = checks.part(got["value"], 0), checks.part(got["value"], 1)
        # Plotted only when shaped as the reference's (which also caps the page's size).
        if (
            isinstance(tokens, Tensor)
            and isinstance(logits, Tensor)
            and tokens.shape == want[0].shape
            and logits.shape == want[1].shape
        ):
            theirs = _loss_figure(tokens.values.astype(np.int64), logits.values, "Yours")
    elif got:
        error = got["error"]
        theirs = f"<p>No plot: {escape(error.get('type', ''))}: {escape(error.get('message', ''))}</p>"
    reference_plot = _loss_figure(want[0].values, want[1].values, "The reference's")
    return f"<div class='plots'><div>{reference_plot}</div><div>{theirs}</div></div>"


def _attention(raw: dict, reference) -> str:
    views = []
    for key, (words, functions) in ATTENTION_CASES.items():
        rows = []  # (label, layer, head)
        for function in functions:
            case_id = f"{function}/{key}"
            if case_id not in reference.outcomes:
                continue
            expected = set(reference.outcomes[case_id]["value"])
            got = raw.get(case_id)
            found = kit.heads(got["value"], (2, 12)) if got and got["status"] == "ok" else None
            found = found if isinstance(found, set) else None
            for label in kit.order(expected | (found or set())):
                if found is None:
                    note = "expected" if label in expected else ""
                elif label in expected and label not in found:
                    note = "you missed it"
                elif label in found and label not in expected:
                    note = "you listed it, but it is not one"
                else:
                    note = "found"
                rows.append((f"{label}: {WORDS[KINDS[function]]} head, {note}", *map(int, label.split("."))))
        if not rows:
            continue
        sample = reference.outcomes[f"{functions[0]}/{key}"]
        patterns = [p.values for p in sample["args"][0].patterns]
        inputs = sample.get("inputs") or [{}]
        tokens = (inputs[0] or {}).get("str_tokens") or [str(i) for i in range(patterns[0].shape[-1])]
        # Three decimals are plenty to see a pattern, and keep the page a few MB smaller.
        attention = np.stack([patterns[layer][head] for _, layer, head in rows]).round(3)
        legend = "".join(f"<li>Head {i}: {escape(label)}</li>" for i, (label, _, _) in enumerate(rows))
        views.append(
            f"<h3>On {escape(words)} (default model)</h3><ul>{legend}</ul>{attention_view(tokens, attention)}"
        )
    return "\n".join(views) or "<p>No heads to show.</p>"


# --- the demo ----------------------------------------------------------------------------------


def reference_module(path):
    """The reference solution, imported as a module (its demo code does not run)."""
    spec = importlib.util.spec_from_file_location("induction_heads_solution", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_report(solution_path, model_name: str = "default", seeds: tuple[int, ...] = (0,)) -> list[str]:
    """The lines the seed notebook prints, for `model_name`."""
    import torch as t

    from autograder.transformer_lens.models import load_model

    solution = reference_module(solution_path)
    model = load_model(model_name)
    _, cache = model.run_with_cache(SEED_TEXT, remove_batch_dim=True)
    lines = [
        f"Model: {model_name} ({model.cfg.n_layers} layers x {model.cfg.n_heads} heads, d_model "
        f"{model.cfg.d_model}, d_vocab {model.cfg.d_vocab})",
        "Heads attending to current token  =  " + ", ".join(solution.current_attn_detector(cache)),
        "Heads attending to previous token =  " + ", ".join(solution.prev_attn_detector(cache)),
        "Heads attending to first token    =  " + ", ".join(solution.first_attn_detector(cache)),
    ]
    seq_len = 50
    for seed in seeds:
        t.manual_seed(seed)
        tokens, logits, rep_cache = solution.run_and_cache_model_repeated_tokens(model, seq_len, 1)
        rep_cache.remove_batch_dim()
        log_probs = solution.get_log_probs(logits, tokens).squeeze()
        lines += [
            f"Performance on the first half: {log_probs[:seq_len].mean():.3f}",
            f"Performance on the second half: {log_probs[seq_len:].mean():.3f}",
            "Induction heads =  " + ", ".join(solution.induction_attn_detector(rep_cache)),
        ]
    return lines


def demo(pack, model_name: str = "default") -> list[str]:
    return seed_report(pack.solution, model_name)
