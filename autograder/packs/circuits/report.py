"""The pack's demo: the circuits the notebook finds, on a model (`autograder demo --exercise circuits`)."""

from __future__ import annotations

import importlib.util

import numpy as np


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
