# %% [markdown]
# # Induction heads
# My solutions, worked on in the VS Code interactive window (`# %%` cells).

# %%
%load_ext autoreload
%autoreload 2

# %%
!pip install -q transformer_lens einops jaxtyping circuitsvis

# %%
import torch as t
from jaxtyping import Float
from torch import Tensor
from transformer_lens import ActivationCache, HookedTransformer

from autograder import check, load_model

t.set_grad_enabled(False)
MAIN = __name__ == "__main__"

CURRENT_THRESHOLD = 0.4
PREV_THRESHOLD = 0.4
FIRST_THRESHOLD = 0.4
INDUCTION_THRESHOLD = 0.2


# %%
def stacked_patterns(cache: ActivationCache) -> Float[Tensor, "layer head query key"]:
    """Every layer's attention pattern in one tensor."""
    return t.stack([cache["pattern", layer] for layer in range(cache.model.cfg.n_layers)])


def heads_above(scores: Float[Tensor, "layer head"], threshold: float) -> list[str]:
    """'layer.head' labels of the entries of a [layer, head] score tensor above the threshold."""
    return [f"{layer}.{head}" for layer, head in (scores > threshold).nonzero().tolist()]


def current_attn_detector(cache: ActivationCache) -> list[str]:
    scores = stacked_patterns(cache).diagonal(dim1=-2, dim2=-1).mean(-1)
    return heads_above(scores, CURRENT_THRESHOLD)


def prev_attn_detector(cache: ActivationCache) -> list[str]:
    scores = stacked_patterns(cache).diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1)
    return heads_above(scores, PREV_THRESHOLD)


def first_attn_detector(cache: ActivationCache) -> list[str]:
    scores = stacked_patterns(cache)[..., 0].mean(-1)
    return heads_above(scores, FIRST_THRESHOLD)


# %%
if MAIN:
    model = load_model("default")
    text = "We think that powerful, significantly superhuman machine intelligence is more likely than not to be created this century."
    logits, cache = model.run_with_cache(text, remove_batch_dim=True)
    print(current_attn_detector(cache), prev_attn_detector(cache), first_attn_detector(cache))
    check("current_attn_detector", "prev_attn_detector", "first_attn_detector")


# %%
def generate_repeated_tokens(model: HookedTransformer, seq_len: int, batch: int = 1) -> Tensor:
    random_tokens = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    bos = t.full((batch, 1), model.tokenizer.bos_token_id, dtype=t.int64)
    return t.cat([bos, random_tokens, random_tokens], dim=-1).to(model.cfg.device)


def run_and_cache_model_repeated_tokens(model: HookedTransformer, seq_len: int, batch: int = 1):
    tokens = generate_repeated_tokens(model, seq_len, batch)
    logits, cache = model.run_with_cache(tokens, remove_batch_dim=False)
    return tokens, logits, cache


def induction_attn_detector(cache: ActivationCache) -> list[str]:
    patterns = stacked_patterns(cache)
    seq_len = (patterns.shape[-1] - 1) // 2
    scores = patterns.diagonal(offset=1 - seq_len, dim1=-2, dim2=-1).mean(-1)
    return heads_above(scores, INDUCTION_THRESHOLD)


# %%
if MAIN:
    rep_tokens, rep_logits, rep_cache = run_and_cache_model_repeated_tokens(model, 50)
    rep_cache.remove_batch_dim()
    print(induction_attn_detector(rep_cache))
    check()
