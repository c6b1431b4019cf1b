"""The pack's demo: the notebook's findings on a model, from the reference solution (for instructors).

On the default model: head 0.7 K-composes with the induction heads 1.4 and 1.10 far above the random
baseline, and ablating 0.7 takes most of their induction score away.
"""

from __future__ import annotations

import importlib.util

import numpy as np


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
