# Induction heads exercises
# (no __main__ guard: I run this top to bottom with `python -i`)

import torch as t
import einops
from torch import Tensor
from jaxtyping import Float, Int
from transformer_lens import (
    ActivationCache,
    HookedTransformer,
)

from autograder import load_model

t.set_grad_enabled(False)

model = load_model("default")
text = "We think that powerful, significantly superhuman machine intelligence is more likely than not to be created this century."
logits, cache = model.run_with_cache(text, remove_batch_dim=True)


def current_attn_detector(cache: ActivationCache) -> list[str]:
    """Current-token heads (mean diagonal attention > 0.4)."""
    result = []
    for layer in range(cache.model.cfg.n_layers):
        pattern = cache["pattern", layer]
        scores = einops.einsum(pattern, t.eye(pattern.shape[-1], dtype=pattern.dtype, device=pattern.device), "h q k, q k -> h") / pattern.shape[-1]
        result += [f"{layer}.{head}" for head in range(pattern.shape[0]) if scores[head] > 0.4]
    return result


def prev_attn_detector(cache: ActivationCache) -> list[str]:
    """Previous-token heads (mean attention one below the diagonal > 0.4)."""
    result = []
    for layer in range(cache.model.cfg.n_layers):
        pattern = cache["pattern", layer]
        n = pattern.shape[-1]
        below = t.diag(t.ones(n - 1, dtype=pattern.dtype, device=pattern.device), diagonal=-1)
        scores = einops.einsum(pattern, below, "h q k, q k -> h") / (n - 1)
        result += [f"{layer}.{head}" for head in range(pattern.shape[0]) if scores[head] > 0.4]
    return result


def first_attn_detector(cache: ActivationCache) -> list[str]:
    """First-token heads (mean attention to position 0 > 0.4)."""
    result = []
    for layer in range(cache.model.cfg.n_layers):
        scores = einops.reduce(cache["pattern", layer][:, :, 0], "h q -> h", "mean")
        result += [f"{layer}.{head}" for head in range(len(scores)) if scores[head] > 0.4]
    return result


print("current:", current_attn_detector(cache))
print("prev:", prev_attn_detector(cache))
print("first:", first_attn_detector(cache))


def generate_repeated_tokens(model: HookedTransformer, seq_len: int, batch_size: int = 1) -> Int[Tensor, "batch_size full_seq_len"]:
    random_part = t.randint(0, model.cfg.d_vocab, (batch_size, seq_len), dtype=t.int64)
    repeated = einops.repeat(random_part, "b s -> b (copy s)", copy=2)
    bos = t.full((batch_size, 1), model.tokenizer.bos_token_id, dtype=t.int64)
    return t.cat([bos, repeated], dim=1).to(model.cfg.device)


def run_and_cache_model_repeated_tokens(model: HookedTransformer, seq_len: int, batch_size: int = 1):
    tokens = generate_repeated_tokens(model=model, seq_len=seq_len, batch_size=batch_size)
    logits, cache = model.run_with_cache(tokens, remove_batch_dim=False)
    return tokens, logits, cache


def induction_attn_detector(cache: ActivationCache) -> list[str]:
    """Induction heads: mean attention on the diagonal seq_len - 1 below the main one > 0.2."""
    result = []
    for layer in range(cache.model.cfg.n_layers):
        pattern = cache["pattern", layer]
        seq_len = (pattern.shape[-1] - 1) // 2
        scores = pattern.diagonal(offset=-(seq_len - 1), dim1=1, dim2=2).mean(dim=1)
        result += [f"{layer}.{head}" for head in range(len(scores)) if scores[head] > 0.2]
    return result


seq_len, batch_size = 50, 2
rep_tokens, rep_logits, rep_cache = run_and_cache_model_repeated_tokens(model, seq_len, batch_size=batch_size)
print(rep_tokens.shape)
one_tokens, one_logits, one_cache = run_and_cache_model_repeated_tokens(model, seq_len)
one_cache.remove_batch_dim()
print("induction:", induction_attn_detector(one_cache))
