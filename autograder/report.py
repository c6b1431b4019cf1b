"""The main job (`python -m autograder demo`): the seed notebook's report on a model, then the grader
run on the reference solutions (full marks) and on the untouched stubs (zero)."""

from __future__ import annotations

import importlib.util
import time

from autograder import paths
from autograder.cases import SEED_TEXT


def reference_module():
    """The reference solution, imported as a module (its demo code does not run)."""
    spec = importlib.util.spec_from_file_location("induction_heads_solution", paths.SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_report(model_name: str = "default", seeds: tuple[int, ...] = (0,)) -> list[str]:
    """The lines the seed notebook prints, for `model_name`."""
    import torch as t

    from autograder.models import load_model

    solution = reference_module()
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


def demo(model_name: str = "default") -> int:
    started = time.monotonic()
    print("\n".join(seed_report(model_name)))
    print(f"({time.monotonic() - started:.1f} s)\n")

    from autograder.grader import Grader
    from autograder.submission import load

    started = time.monotonic()
    with Grader(require_isolation=False) as grader:
        off = grader.protections_off
        isolation = "all on" if not off else "off: " + ", ".join(off)
        print(f"Grader ready in {time.monotonic() - started:.1f} s (isolation: {isolation})")
        for label, path in (
            ("reference solutions", paths.SOLUTION),
            ("untouched exercise stubs", paths.EXERCISE),
        ):
            result = grader.grade(load(path))
            print(
                f"  {label:26} {path.relative_to(paths.ROOT)}: {result.score:g}/{result.max_score:g} "
                f"({result.seconds:.2f} s)"
            )
    return 0
