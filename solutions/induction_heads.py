# %% [markdown]
# # Investigating induction heads
#
# A 2-layer attention-only transformer (TransformerLens `HookedTransformer`: shortformer positional
# embeddings, no LayerNorm, 12 heads per layer) is run on a piece of text and on sequences of repeated
# random tokens. You write the functions that generate those sequences and cache the model's
# activations, and four detectors that find heads by their attention patterns: heads that attend to the
# current token, to the previous token, to the first token, and induction heads.
#
# Check your work at any time: `check("function_name")` in this notebook (as the cell after each
# exercise does, before its demo), or `python -m autograder check` or `pytest exercises/` in a
# terminal. The model is the project's embedded default model, which works offline;
# `load_model("arena")` loads the original ARENA model when its weights can be downloaded.

# %%
import circuitsvis as cv
import numpy as np
import plotly.express as px
import torch as t
from IPython.display import display
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import ActivationCache, HookedTransformer

from autograder import check, load_model

# Saves computation time: nothing in these exercises needs gradients.
t.set_grad_enabled(False)

# Demo code runs only when this file is run as a script or notebook, never when the grader imports it.
MAIN = __name__ == "__main__"


# %% [markdown]
# ## Helpers (provided, nothing to write here)


# %%
def to_numpy(tensor) -> np.ndarray:
    """Converts a tensor, list, tuple, number or array to a numpy array."""
    if isinstance(tensor, np.ndarray):
        return tensor
    if isinstance(tensor, (list, tuple)):
        return np.array(tensor)
    if isinstance(tensor, t.Tensor):
        return tensor.detach().cpu().numpy()
    if isinstance(tensor, (int, float, bool, str)):
        return np.array(tensor)
    raise ValueError(f"Input to to_numpy has invalid type: {type(tensor)}")


def get_log_probs(
    logits: Float[Tensor, "batch posn d_vocab"], tokens: Int[Tensor, "batch posn"]
) -> Float[Tensor, "batch posn-1"]:
    """Log-probability the model gives to each actual next token (position i predicts token i+1)."""
    log_probs = logits.log_softmax(dim=-1)
    return log_probs[:, :-1].gather(dim=-1, index=tokens[:, 1:].unsqueeze(-1)).squeeze(-1)


def plot_loss_difference(log_probs, rep_str, seq_len):
    """Plots the per-token log-prob on the correct token, shading the first half red, the second green."""
    fig = px.line(
        to_numpy(log_probs),
        hover_name=rep_str[1:],
        title=f"Per token log-prob on correct token, for sequence of length {seq_len}*2 (repeated twice)",
        labels={"index": "Sequence position", "value": "Loss"},
    ).update_layout(showlegend=False, hovermode="x unified")
    fig.add_vrect(x0=0, x1=seq_len - 0.5, fillcolor="red", opacity=0.2, line_width=0)
    fig.add_vrect(x0=seq_len - 0.5, x1=2 * seq_len - 1, fillcolor="green", opacity=0.2, line_width=0)
    return fig


def show_attention(str_tokens: list[str], cache: ActivationCache, layer: int):
    """Interactive view (circuitsvis) of every head's attention pattern in one layer."""
    return cv.attention.attention_patterns(tokens=str_tokens, attention=cache["pattern", layer])


# %% [markdown]
# ## The model and some text
#
# `load_model("default")` returns the embedded model; `load_model("arena")` the original one.

# %%
if MAIN:
    model = load_model("default")
    text = (
        "We think that powerful, significantly superhuman machine intelligence is more likely than not "
        "to be created this century. If current machine learning techniques were scaled up to this "
        "level, we think they would by default produce systems that are deceptive or manipulative, and "
        "that no solid plans are known for how to avoid this."
    )
    logits, cache = model.run_with_cache(text, remove_batch_dim=True)
    str_tokens = model.to_str_tokens(text)
    for layer in range(model.cfg.n_layers):
        display(show_attention(str_tokens, cache, layer))


# %% [markdown]
# ## Exercise: detectors for current-, previous- and first-token heads
#
# Look at the attention patterns above. Some heads mostly attend to the current token, some to the
# previous token, some to the first token. Write a detector for each kind.


# %%
def current_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the current token, as "layer.head" strings, e.g. ["0.9"].

    `cache` is the cache of one run with the batch dimension removed: `cache["pattern", layer]` has
    shape [n_heads, query_pos, key_pos]. Take the number of layers and heads from `cache.model.cfg`
    (`n_layers`, `n_heads`), never from a global. A head counts when the mean, over all query
    positions, of the attention it pays to the query's own position (the main diagonal of its pattern)
    is greater than 0.4. The order of the list does not matter; each head appears at most once.
    """
    ### BEGIN SOLUTION
    cfg = cache.model.cfg
    heads = []
    for layer in range(cfg.n_layers):
        for head in range(cfg.n_heads):
            pattern = cache["pattern", layer][head]
            if pattern.diagonal().mean() > 0.4:
                heads.append(f"{layer}.{head}")
    return heads
    ### END SOLUTION


def prev_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the previous token, as "layer.head" strings, e.g. ["0.7"].

    Same input and output as `current_attn_detector`. A head counts when the mean of the attention
    each query pays to the position just before it (the diagonal one below the main diagonal, which
    has one entry fewer than the number of positions) is greater than 0.4.
    """
    ### BEGIN SOLUTION
    cfg = cache.model.cfg
    heads = []
    for layer in range(cfg.n_layers):
        for head in range(cfg.n_heads):
            pattern = cache["pattern", layer][head]
            if pattern.diagonal(offset=-1).mean() > 0.4:
                heads.append(f"{layer}.{head}")
    return heads
    ### END SOLUTION


def first_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the first token, as "layer.head" strings, e.g. ["0.3"].

    Same input and output as `current_attn_detector`. A head counts when the mean, over all query
    positions, of the attention paid to key position 0 (the first column of its pattern) is greater
    than 0.4.
    """
    ### BEGIN SOLUTION
    cfg = cache.model.cfg
    heads = []
    for layer in range(cfg.n_layers):
        for head in range(cfg.n_heads):
            pattern = cache["pattern", layer][head]
            if pattern[:, 0].mean() > 0.4:
                heads.append(f"{layer}.{head}")
    return heads
    ### END SOLUTION


# %%
# Feedback on the three detectors (each graded alone, so unfinished ones cost only their own points).
if MAIN:
    check("current_attn_detector", "prev_attn_detector", "first_attn_detector")


# %%
if MAIN:
    print("Heads attending to current token  = ", ", ".join(current_attn_detector(cache)))
    print("Heads attending to previous token = ", ", ".join(prev_attn_detector(cache)))
    print("Heads attending to first token    = ", ", ".join(first_attn_detector(cache)))


# %% [markdown]
# ## Exercise: repeated random tokens
#
# On a sequence of random tokens repeated twice, a model with induction heads predicts the second half
# far better than the first. Write the function that makes such sequences, and one that runs the model
# on them and caches the activations.


# %%
def generate_repeated_tokens(
    model: HookedTransformer, seq_len: int, batch: int = 1
) -> Int[Tensor, "batch full_seq_len"]:
    """Returns `batch` sequences of random tokens repeated twice, each preceded by a BOS token.

    Output: an int64 tensor of shape [batch, 1 + 2 * seq_len] on `model.cfg.device`. Each row is the
    BOS id (`model.tokenizer.bos_token_id`), then `seq_len` random token ids, then the same
    `seq_len` ids again. Draw all the random ids with exactly one call,
    `t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)`, from torch's global random
    generator: do not reseed it (the grader fixes the seed before calling you, and compares your
    tokens with the reference's).
    """
    ### BEGIN SOLUTION
    bos = t.full((batch, 1), model.tokenizer.bos_token_id, dtype=t.int64)
    seq = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    return t.cat([bos, seq, seq], dim=-1).to(model.cfg.device)
    ### END SOLUTION


def run_and_cache_model_repeated_tokens(
    model: HookedTransformer, seq_len: int, batch: int = 1
) -> tuple[Int[Tensor, "batch full_seq_len"], Float[Tensor, "batch full_seq_len d_vocab"], ActivationCache]:
    """Generates repeated random tokens, runs the model on them and caches its activations.

    Use `generate_repeated_tokens(model, seq_len, batch)` for the tokens. Returns the tuple
    `(tokens, logits, cache)`, in that order:
        tokens: [batch, 1 + 2 * seq_len], as returned by `generate_repeated_tokens`
        logits: [batch, 1 + 2 * seq_len, d_vocab], the model's output on those tokens
        cache:  the ActivationCache of that same run, with the batch dimension kept
    """
    ### BEGIN SOLUTION
    tokens = generate_repeated_tokens(model, seq_len, batch)
    logits, cache = model.run_with_cache(tokens, remove_batch_dim=False)
    return tokens, logits, cache
    ### END SOLUTION


# %%
if MAIN:
    check("generate_repeated_tokens", "run_and_cache_model_repeated_tokens")


# %%
if MAIN:
    seq_len = 50
    batch = 1
    t.manual_seed(0)  # the same draw as `python -m autograder demo`, so the figures below match the README
    rep_tokens, rep_logits, rep_cache = run_and_cache_model_repeated_tokens(model, seq_len, batch)
    rep_cache.remove_batch_dim()
    rep_str = model.to_str_tokens(rep_tokens)
    log_probs = get_log_probs(rep_logits, rep_tokens).squeeze()
    print(f"Performance on the first half: {log_probs[:seq_len].mean():.3f}")
    print(f"Performance on the second half: {log_probs[seq_len:].mean():.3f}")
    plot_loss_difference(log_probs, rep_str, seq_len).show()


# %% [markdown]
# ## Exercise: an induction head detector
#
# An induction head at a token of the second half attends to the token just after that token's
# previous occurrence, `seq_len - 1` positions back.


# %%
def induction_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the induction heads, as "layer.head" strings, e.g. ["1.4", "1.10"].

    `cache` is the cache of a run on repeated random tokens (BOS, then `seq_len` random tokens, then
    the same tokens again), with the batch dimension removed. Work out `seq_len` from the pattern's
    size: `seq_len = (n_positions - 1) // 2`. Take the number of layers and heads from
    `cache.model.cfg`. A head counts when the mean of the attention on the diagonal `seq_len - 1`
    below the main one (each query's attention to the token after the previous copy of its own token)
    is greater than 0.2. The order of the list does not matter; each head appears at most once.
    """
    ### BEGIN SOLUTION
    cfg = cache.model.cfg
    heads = []
    for layer in range(cfg.n_layers):
        for head in range(cfg.n_heads):
            pattern = cache["pattern", layer][head]
            seq_len = (pattern.shape[-1] - 1) // 2
            if pattern.diagonal(offset=-(seq_len - 1)).mean() > 0.2:
                heads.append(f"{layer}.{head}")
    return heads
    ### END SOLUTION


# %%
if MAIN:
    check("induction_attn_detector")


# %%
if MAIN:
    print("Induction heads = ", ", ".join(induction_attn_detector(rep_cache)))
    for layer in range(model.cfg.n_layers):
        display(show_attention(rep_str, rep_cache, layer))
