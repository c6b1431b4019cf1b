"""Induction heads - my solutions, run on the department's GPU box.

usage: python induction_heads.py
"""

import os
import subprocess
import sys

import torch as t
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import ActivationCache, HookedTransformer

from autograder import load_model

# which GPU did the scheduler give me this time?
subprocess.run(["nvidia-smi"])
os.system("pip list | grep -i -E 'torch|transformer'")
print("python", sys.version.split()[0], "torch", t.__version__)

device = "cuda" if t.cuda.is_available() else "cpu"
t.set_grad_enabled(False)


def _mean_diagonal(pattern: Float[Tensor, "q k"], offset: int) -> float:
    """Mean of the entries of the diagonal `offset` below (negative) or on (0) the main one."""
    n = pattern.shape[-1]
    rows = t.arange(-offset, n) if offset < 0 else t.arange(n)
    return pattern[rows, rows + offset].mean().item()


def _detect(cache: ActivationCache, score_fn, threshold: float) -> list[str]:
    cfg = cache.model.cfg
    return [
        f"{layer}.{head}"
        for layer in range(cfg.n_layers)
        for head in range(cfg.n_heads)
        if score_fn(cache["pattern", layer][head]) > threshold
    ]


def current_attn_detector(cache: ActivationCache) -> list[str]:
    return _detect(cache, lambda p: _mean_diagonal(p, 0), 0.4)


def prev_attn_detector(cache: ActivationCache) -> list[str]:
    return _detect(cache, lambda p: _mean_diagonal(p, -1), 0.4)


def first_attn_detector(cache: ActivationCache) -> list[str]:
    return _detect(cache, lambda p: p[:, 0].mean().item(), 0.4)


def generate_repeated_tokens(model: HookedTransformer, seq_len: int, batch: int = 1) -> Int[Tensor, "batch full_seq_len"]:
    half = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    bos = half.new_full((batch, 1), model.tokenizer.bos_token_id)
    return t.cat([bos, half, half], dim=1).to(model.cfg.device)


def run_and_cache_model_repeated_tokens(model: HookedTransformer, seq_len: int, batch: int = 1):
    tokens = generate_repeated_tokens(model, seq_len, batch)
    logits, cache = model.run_with_cache(tokens)
    return tokens, logits, cache


def induction_attn_detector(cache: ActivationCache) -> list[str]:
    def score(pattern):
        seq_len = (pattern.shape[-1] - 1) // 2
        return _mean_diagonal(pattern, -(seq_len - 1))

    return _detect(cache, score, 0.2)


if __name__ == "__main__":
    model = load_model("default", device=device)
    tokens, logits, cache = run_and_cache_model_repeated_tokens(model, 50)
    cache.remove_batch_dim()
    print("induction heads:", induction_attn_detector(cache))
