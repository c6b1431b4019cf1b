# %% [markdown]
# # Hooks: induction scores, logit attribution and ablation
#
# The same 2-layer attention-only transformer as in the induction-heads exercise (TransformerLens
# `HookedTransformer`: shortformer positional embeddings, no LayerNorm, 12 heads per layer), now
# probed with hooks: functions that TransformerLens calls on an activation while the model runs, and
# that may read it, store something computed from it, or replace it. You write a hook that scores
# every head as an induction head in a single forward pass, a logit attribution that splits each
# prediction into the direct path's and each head's contribution, and a zero-ablation of one head at a
# time, to see how much each head matters to the loss.
#
# Check your work at any time: `check("function_name")` in this notebook (as the cell after each
# exercise does, before its demo), or `python -m autograder check` or `pytest exercises/` in a
# terminal. The model is the project's embedded default model, which works offline;
# `load_model("arena")` loads the original ARENA model when its weights can be downloaded.

# %%
import functools

import einops
import numpy as np
import plotly.express as px
import torch as t
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import HookedTransformer
from transformer_lens.hook_points import HookPoint

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


def generate_repeated_tokens(
    model: HookedTransformer, seq_len: int, batch: int = 1
) -> Int[Tensor, "batch full_seq_len"]:
    """`batch` sequences of BOS, then `seq_len` random tokens, then the same tokens again (the previous
    exercise's function)."""
    bos = t.full((batch, 1), model.tokenizer.bos_token_id, dtype=t.int64)
    seq = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    return t.cat([bos, seq, seq], dim=-1).to(model.cfg.device)


def plot_heads(scores, title: str, **options):
    """A heatmap of one score per head: layers down, heads across."""
    return px.imshow(
        to_numpy(scores),
        labels={"x": "Head", "y": "Layer"},
        title=title,
        text_auto=".2f",
        color_continuous_scale="RdBu",
        color_continuous_midpoint=0.0,
        width=900,
        height=350,
        **options,
    )


# %% [markdown]
# ## The model and repeated random tokens
#
# On a sequence of random tokens repeated twice, the model predicts the second half far better than the
# first: its induction heads attend from each token of the second half to the token just after that
# token's first occurrence, `seq_len - 1` positions back, and copy it.

# %%
if MAIN:
    model = load_model("default")
    seq_len = 10
    batch = 10
    t.manual_seed(0)  # the same draw as `python -m autograder demo --exercise hooks`
    rep_tokens_10 = generate_repeated_tokens(model, seq_len, batch)


# %% [markdown]
# ## Exercise: an induction score hook
#
# Instead of caching every activation and looking at it afterwards, a hook computes what you need
# while the model runs. `model.run_with_hooks(tokens, fwd_hooks=[(names, hook_function)])` calls
# `hook_function(activation, hook)` on every hook point whose name `names` matches (a name, or a
# function of the name), where `hook` is the `HookPoint` (`hook.name`, e.g.
# `"blocks.1.attn.hook_pattern"`, and `hook.layer()`, e.g. `1`).


# %%
def induction_score_hook(pattern: Float[Tensor, "batch head_index dest_pos source_pos"], hook: HookPoint):
    """Writes each head's induction score into the global `induction_score_store`.

    Called on an attention pattern `pattern` of shape [batch, n_heads, query_pos, key_pos], for
    sequences of repeated random tokens: BOS, then `seq_len` random tokens, then the same tokens again
    (`seq_len` is a notebook global; `1 + 2 * seq_len` positions). A head's induction score is the
    mean, over the batch and over the query positions, of its attention to the token after the previous
    copy of the query's token: the diagonal of its pattern at offset `1 - seq_len` (that is,
    `seq_len - 1` below the main diagonal). Write the scores of this layer's heads (a tensor of
    `n_heads` values) into row `hook.layer()` of the notebook global `induction_score_store`, a tensor
    of shape [n_layers, n_heads] made before the run. Return nothing.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
if MAIN:
    check("induction_score_hook")


# %%
if MAIN:
    induction_score_store = t.zeros((model.cfg.n_layers, model.cfg.n_heads), device=model.cfg.device)
    model.run_with_hooks(
        rep_tokens_10,
        return_type=None,  # the run is for the hooks' sake: no logits needed
        fwd_hooks=[(lambda name: name.endswith("pattern"), induction_score_hook)],
    )
    plot_heads(induction_score_store, "Induction score by head").show()


# %% [markdown]
# ## Exercise: logit attribution
#
# The model has no MLPs and no LayerNorm, so its residual stream at each position is a sum of
# components: the token embedding (the direct path) and the output of every head of both layers (plus
# biases). Each component's contribution to the logit of a token is its dot product with that token's
# column of the unembedding `W_U`.


# %%
def logit_attribution(
    embed: Float[Tensor, "seq d_model"],
    l1_results: Float[Tensor, "seq n_heads d_model"],
    l2_results: Float[Tensor, "seq n_heads d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    tokens: Int[Tensor, " seq"],  # the space: one named dimension, not a type (jaxtyping)
) -> Float[Tensor, "seq-1 n_components"]:
    """Each component's direct contribution to the logit of the correct next token, at each position.

    Inputs, for one sequence of `seq` tokens (no batch dimension): `embed` the token embeddings
    (`cache["embed"]`), `l1_results` and `l2_results` the output of each head of layer 0 and layer 1
    (`cache["result", 0]`, `cache["result", 1]`), `W_U` the unembedding, `tokens` the tokens.
    Position `i` predicts token `i + 1`, so there is no prediction to explain at the last position.
    Returns a tensor of shape [seq - 1, 1 + 2 * n_heads]: at row `i`, column 0 is the direct path's
    contribution (`embed[i]` dotted with the column of `W_U` for token `tokens[i + 1]`), then the
    contributions of layer 0's heads in order, then those of layer 1's heads.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
if MAIN:
    check("logit_attribution")


# %%
if MAIN:
    text = (
        "We think that powerful, significantly superhuman machine intelligence is more likely than not "
        "to be created this century."
    )
    logits, cache = model.run_with_cache(text, remove_batch_dim=True)
    str_tokens = model.to_str_tokens(text)
    tokens = model.to_tokens(text)[0]
    attribution = logit_attribution(cache["embed"], cache["result", 0], cache["result", 1], model.W_U, tokens)
    # What the components leave out of the correct token's logit is the biases' part (b_O, b_U).
    correct_logits = logits[t.arange(len(tokens) - 1), tokens[1:]]
    print(f"Logit minus the components' sum: {(correct_logits - attribution.sum(-1)).mean():.3f} on average")
    labels = ["Direct"] + [f"L{layer}H{head}" for layer in range(2) for head in range(model.cfg.n_heads)]
    px.imshow(
        to_numpy(attribution),
        x=labels,
        y=[f"{i}: {s!r}" for i, s in enumerate(str_tokens[:-1])],
        labels={"x": "Component", "y": "Position"},
        title="Logit attribution on the text",
        color_continuous_scale="RdBu",
        color_continuous_midpoint=0.0,
        height=900,
    ).show()


# %% [markdown]
# ## Exercise: ablating heads
#
# Zero-ablating a head replaces its output by zeros, everywhere. A hook on `hook_z` (the heads'
# outputs before `W_O`, shape [batch, seq, n_heads, d_head]) that returns a tensor makes the model use
# that tensor instead of the activation. `functools.partial(head_ablation_hook,
# head_index_to_ablate=head)` is a hook for one head; layer `layer`'s `hook_z` is named
# `f"blocks.{layer}.attn.hook_z"` (which `utils.get_act_name("z", layer)` also gives).


# %%
def head_ablation_hook(
    z: Float[Tensor, "batch seq n_heads d_head"], hook: HookPoint, head_index_to_ablate: int
) -> Float[Tensor, "batch seq n_heads d_head"]:
    """Returns `z` with head `head_index_to_ablate`'s output set to zero.

    `z` is a layer's `hook_z` activation, of shape [batch, seq, n_heads, d_head]. Return a tensor of
    the same shape whose entries for head `head_index_to_ablate` (every batch row, every position and
    every component of the head's d_head) are 0, and whose other entries are those of `z`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def get_ablation_scores(
    model: HookedTransformer, tokens: Int[Tensor, "batch seq"]
) -> Float[Tensor, "n_layers n_heads"]:
    """How much the loss goes up when each head is zero-ablated.

    Returns a tensor of shape [n_layers, n_heads] (numbers of layers and heads from `model.cfg`):
    at [layer, head], the model's loss on `tokens` (mean next-token cross-entropy over every
    position of every row, as `model(tokens, return_type="loss")` computes it) with that head
    zero-ablated, minus the loss without ablation. Ablate with `head_ablation_hook` on that layer's
    `hook_z` (`f"blocks.{layer}.attn.hook_z"`), one head at a time, and let the model use the tensor
    the hook returns: pass `functools.partial(head_ablation_hook, head_index_to_ablate=head)` as the
    hook. Leave no hook on the model afterwards (`model.run_with_hooks` removes its own).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
if MAIN:
    check("head_ablation_hook", "get_ablation_scores")


# %%
if MAIN:
    ablation_scores = get_ablation_scores(model, rep_tokens_10)
    plot_heads(ablation_scores, "Loss increase when each head is zero-ablated").show()
