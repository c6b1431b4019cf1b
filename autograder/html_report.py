"""A self-contained HTML feedback page for one submission: scores and messages, the student's
loss-by-position plot on repeated tokens beside the reference's, and the attention patterns of the
heads in question.

Everything is embedded (plotly.js and circuitsvis's script inline), so the page renders offline.
It is built from plain data only: the judge's results and the raw values the worker sent back.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from autograder import cases, checks
from autograder.paths import write_atomically
from autograder.reference import Reference
from autograder.results import Result
from autograder.runner import RawResults
from autograder.wire import Tensor

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
KINDS = {
    "current_attn_detector": "current-token",
    "prev_attn_detector": "previous-token",
    "first_attn_detector": "first-token",
    "induction_attn_detector": "induction",
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
.pass { color: #1a7f37; font-weight: bold; } .fail { color: #cf222e; font-weight: bold; }
pre { white-space: pre-wrap; margin: 0; font-size: 0.85em; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
"""


def write_html(result: Result, raw: RawResults | None, reference: Reference, path: Path) -> None:
    write_atomically(path, render(result, raw, reference).encode())


def render(result: Result, raw: RawResults | None, reference: Reference) -> str:
    parts = [
        f"<h1>{html.escape(result.student)}: {result.score:g} / {result.max_score:g}</h1>",
        _table(result),
        "<h2>Loss by position on repeated random tokens</h2>",
        _loss_plots(raw, reference),
        "<h2>Attention patterns of the heads in question</h2>",
        _attention(raw, reference),
    ]
    if result.output:
        parts.append(f"<h2>What the submission printed</h2><pre>{html.escape(result.output)}</pre>")
    body = "\n".join(parts)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(result.student)}</title>"
        f"<style>{STYLE}</style><script>{_plotly_js()}</script></head><body>{body}</body></html>"
    )


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _table(result: Result) -> str:
    rows = []
    for test in result.tests:
        mark = "<span class='pass'>PASS</span>" if test.passed else "<span class='fail'>FAIL</span>"
        message = f"<pre>{html.escape(test.output)}</pre>" if test.output else ""
        rows.append(
            f"<tr><td>{mark}</td><td>{test.score:g}/{test.max_score:g}</td>"
            f"<td>{html.escape(test.name)}{message}</td></tr>"
        )
    return "<table><tr><th></th><th>points</th><th>test</th></tr>" + "".join(rows) + "</table>"


def _loss_figure(tokens: np.ndarray, logits: np.ndarray, title: str) -> str:
    """The seed's plot_loss_difference, for one sequence, as embeddable HTML."""
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
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,  # plotly.js is in the page's head, once
        default_width="560px",  # fixed: each figure is laid out as it is parsed
        config={"responsive": True},
    )


def _loss_plots(raw: RawResults | None, reference: Reference) -> str:
    want = reference.outcomes[LOSS_CASE]["value"]
    theirs = "<p>No plot: the function did not return tokens and logits for this input.</p>"
    got = raw.outcomes.get(LOSS_CASE) if raw else None
    if got and got["status"] == "ok":
        value = got["value"]
        tokens, logits = checks._part(value, 0), checks._part(value, 1)
        if (
            isinstance(tokens, Tensor)
            and isinstance(logits, Tensor)
            and tokens.values.ndim == 2
            and logits.values.ndim == 3
            and logits.shape[:2] == tokens.shape
        ):
            theirs = _loss_figure(tokens.values.astype(np.int64), logits.values, "Yours")
    elif got:
        error = got["error"]
        theirs = (
            f"<p>No plot: {html.escape(error.get('type', ''))}: {html.escape(error.get('message', ''))}</p>"
        )
    reference_plot = _loss_figure(want[0].values, want[1].values, "The reference's")
    return f"<div class='plots'><div>{reference_plot}</div><div>{theirs}</div></div>"


def _attention(raw: RawResults | None, reference: Reference) -> str:
    import circuitsvis as cv

    sections = []
    for key, (words, functions) in ATTENTION_CASES.items():
        rows = []  # (label, layer, head)
        for function in functions:
            kind = KINDS[function]
            case_id = f"{function}/{key}"
            if case_id not in reference.outcomes:
                continue
            expected = set(reference.outcomes[case_id]["value"])
            got = raw.outcomes.get(case_id) if raw else None
            found = (
                checks.heads(got["value"], cases.SHAPES["default"]) if got and got["status"] == "ok" else None
            )
            found = found if isinstance(found, set) else None
            for label in checks._order(expected | (found or set())):
                if found is None:
                    note = "expected" if label in expected else ""
                elif label in expected and label not in found:
                    note = "you missed it"
                elif label in found and label not in expected:
                    note = "you listed it, but it is not one"
                else:
                    note = "found"
                rows.append((f"{label}: {kind} head, {note}", *map(int, label.split("."))))
        if not rows:
            continue
        sample = reference.outcomes[f"{functions[0]}/{key}"]
        patterns = [p.values for p in sample["args"][0].patterns]
        tokens = sample.get("str_tokens", [[]])[0] or [str(i) for i in range(patterns[0].shape[-1])]
        # Three decimals are plenty to see a pattern, and keep the page a few MB smaller.
        attention = np.stack([patterns[layer][head] for _, layer, head in rows]).round(3)
        view = cv.attention.attention_patterns(tokens=list(tokens), attention=attention)
        legend = "".join(f"<li>Head {i}: {html.escape(label)}</li>" for i, (label, _, _) in enumerate(rows))
        sections.append(f"<h3>On {words} (default model)</h3><ul>{legend}</ul>{view.local_src}")
    return "\n".join(sections) or "<p>No heads to show.</p>"
