# %% [markdown]
# # Reverse-engineering induction circuits: OV and QK circuits
#
# The same 2-layer attention-only transformer as in the induction-heads and hooks exercises
# (TransformerLens `HookedTransformer`: shortformer positional embeddings, no LayerNorm, 12 heads per
# layer). Its induction heads are 1.4 and 1.10, and its previous-token head is 0.7. Here you read the
# circuits that make them so off the weights: the OV circuit of a head (what it copies, a
# `FactoredMatrix` of shape [d_vocab, d_vocab]), how often it copies the token it attends to (top-1
# accuracy), the positional QK circuit of the previous-token head, and the decomposition of the
# induction head's attention scores into the contributions of the components of its query and key.
#
# Check your work at any time: `check("function_name")` in this notebook, or
# `python -m autograder check` or `pytest exercises/` in a terminal. The model is the project's
# embedded default model, which works offline.

# %%
import einops
import numpy as np
import plotly.express as px
import torch as t
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import ActivationCache, FactoredMatrix, HookedTransformer

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
    """`batch` sequences of BOS, then `seq_len` random tokens, then the same tokens again."""
    bos = t.full((batch, 1), model.tokenizer.bos_token_id, dtype=t.int64)
    seq = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    return t.cat([bos, seq, seq], dim=-1).to(model.cfg.device)


# %%
if MAIN:
    model = load_model("default")
    cfg, device = model.cfg, model.cfg.device
    seq_len = 10
    t.manual_seed(0)  # the same draw as `python -m autograder demo --exercise circuits`
    rep_tokens = generate_repeated_tokens(model, seq_len, 1)
    rep_logits, rep_cache = model.run_with_cache(rep_tokens, remove_batch_dim=True)


# %% [markdown]
# ## Exercise: the full OV circuit of a head
#
# A head's OV circuit `W_V @ W_O` says what it writes to the residual stream for what it attends to.
# Read from token embeddings to logits, `W_E @ W_V @ W_O @ W_U` is a [d_vocab, d_vocab] matrix: at
# [i, j], how much the head raises the logit of token j when it attends to token i. That is a
# million numbers: keep it factored, as TransformerLens's `FactoredMatrix`, which multiplies with
# tensors (`W_E @ FactoredMatrix(A, B)` is `FactoredMatrix(W_E @ A, B)`) and computes the product
# only when asked (`.AB`).


# %%
def full_ov_circuit(model: HookedTransformer, layer: int, head: int) -> FactoredMatrix:
    """The full OV circuit of head `head` of layer `layer` of `model`: `W_E @ W_V @ W_O @ W_U` (the
    head's own slices of W_V and W_O), as a FactoredMatrix of shape [d_vocab, d_vocab] whose row i
    is what the head adds to the logits when it attends to token i. Any factoring is right."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
if MAIN:
    check("full_ov_circuit")


# %% [markdown]
# ## Exercise: top-1 accuracy
#
# A copying head's full OV circuit has its largest entry of row i on the diagonal, at column i:
# attending to token i, it raises token i's logit most.


# %%
def top_1_acc(full_OV_circuit: FactoredMatrix) -> float:
    """The fraction of tokens i (rows) whose row's largest entry is in column i: the argmax over
    dim 1 (the output tokens) equals the row's own index. A square matrix; returns a float."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
if MAIN:
    check("top_1_acc")


# %%
if MAIN:
    for head in (4, 10):
        accuracy = top_1_acc(full_ov_circuit(model, 1, head))
        print(f"Top-1 accuracy of 1.{head}'s full OV circuit: {accuracy:.4f}")


# %% [markdown]
# ## Exercise: the effective OV circuit of two heads
#
# Heads 1.4 and 1.10 copy together: each copies some tokens better than the other. Their effective
# OV circuit concatenates their W_V along d_head (a [d_model, 2 * d_head] matrix) and their W_O
# likewise ([2 * d_head, d_model]), which is the sum of their OV circuits.


# %%
def effective_ov_circuit(model: HookedTransformer, layer: int, heads: list[int]) -> FactoredMatrix:
    """The full OV circuit of the heads `heads` of layer `layer` together: W_E @ W_V_both @ W_O_both
    @ W_U, with the heads' W_V concatenated along d_head ([d_model, len(heads) * d_head]) and their
    W_O likewise ([len(heads) * d_head, d_model]). A FactoredMatrix of shape [d_vocab, d_vocab]."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
if MAIN:
    check("effective_ov_circuit")
    accuracy = top_1_acc(effective_ov_circuit(model, 1, [4, 10]))
    print(f"Top-1 accuracy of 1.4 and 1.10 together: {accuracy:.4f}")


# %% [markdown]
# ## Exercise: the previous-token head's positional pattern
#
# Head 0.7 attends to the token just before the query. It does so by position: with shortformer
# embeddings, its queries and keys see the positional embeddings W_pos. Its attention pattern from
# positions alone is softmax(mask(W_pos W_Q W_Kᵀ W_posᵀ / √d_head)), causally masked.


# %%
def mask_scores(attn_scores: Float[Tensor, "query_nctx key_nctx"]) -> Float[Tensor, "query_nctx key_nctx"]:
    """The attention scores with every key after its query masked: entries above the main diagonal
    set to a large negative number (-1e6; -inf is fine too), the rest unchanged."""
    # YOUR CODE HERE
    raise NotImplementedError()


def pos_by_pos_pattern(
    model: HookedTransformer, layer: int, head_index: int
) -> Float[Tensor, "query_nctx key_nctx"]:
    """The attention pattern of head `head_index` of layer `layer` from positions alone:
    softmax(mask_scores(W_pos @ W_Q @ W_K.T @ W_pos.T / sqrt(d_head))) over the keys, for all n_ctx
    positions (the head's own slices of W_Q and W_K; no biases). Shape [n_ctx, n_ctx]."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
if MAIN:
    check("mask_scores", "pos_by_pos_pattern")
    pattern = pos_by_pos_pattern(model, 0, 7)
    print(f"Mean attention of 0.7 to the previous position: {pattern.diag(-1).mean():.4f}")
    px.imshow(to_numpy(pattern[:100, :100]), labels={"x": "Key", "y": "Query"}).show()


# %% [markdown]
# ## Exercise: decomposing the induction head's query and key
#
# Layer 1's queries and keys read the residual stream plus the positional embedding, which is the
# sum of the token embedding, the positional embedding and each layer-0 head's output. Split it into
# those 2 + n_heads components, and each component's query and key for an induction head (layer 1).


# %%
def decompose_qk_input(cache: ActivationCache) -> Float[Tensor, "n_heads_plus_2 seq d_model"]:
    """The input of layer 1's queries and keys, split into its components: [embed, pos_embed, the
    output (hook_result) of each head of layer 0, in order], stacked on a new first dimension. The
    cache has no batch dimension. Shape [2 + n_heads, seq, d_model]."""
    # YOUR CODE HERE
    raise NotImplementedError()


def decompose_q(
    decomposed_qk_input: Float[Tensor, "n_heads_plus_2 seq d_model"], ind_head_index: int
) -> Float[Tensor, "n_heads_plus_2 seq d_head"]:
    """Each component's query for head `ind_head_index` of layer 1 of the notebook's `model`: the
    component times that head's W_Q (no bias), so that the sum over the components is the query
    without b_Q. Shape [2 + n_heads, seq, d_head]."""
    # YOUR CODE HERE
    raise NotImplementedError()


def decompose_k(
    decomposed_qk_input: Float[Tensor, "n_heads_plus_2 seq d_model"], ind_head_index: int
) -> Float[Tensor, "n_heads_plus_2 seq d_head"]:
    """As decompose_q, with the head's W_K: each component's key. Shape [2 + n_heads, seq, d_head]."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
if MAIN:
    check("decompose_qk_input", "decompose_q", "decompose_k")


# %% [markdown]
# ## Exercise: decomposing the attention scores
#
# Attention scores are bilinear in the query and the key, so they split into one term per pair of
# components: [query component, key component, query position, key position]. ARENA's notebooks
# differ on dividing by √d_head here; the grader takes either (the decomposition is the same up to
# that constant). The reference does not divide.


# %%
def decompose_attn_scores(
    decomposed_q: Float[Tensor, "q_comp q_pos d_head"], decomposed_k: Float[Tensor, "k_comp k_pos d_head"]
) -> Float[Tensor, "q_comp k_comp q_pos k_pos"]:
    """The attention score contributions of each pair of components: at [i, j, q, k], the dot product
    of query component i at position q with key component j at position k (divided by √d_head or
    not: both are accepted). Shape [q_comp, k_comp, q_pos, k_pos]."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
if MAIN:
    check("decompose_attn_scores")
    decomposed_qk_input = decompose_qk_input(rep_cache)
    decomposed_scores = decompose_attn_scores(
        decompose_q(decomposed_qk_input, 4), decompose_k(decomposed_qk_input, 4)
    )
    stds = einops.reduce(decomposed_scores, "q k qp kp -> q k", t.std)
    labels = ["Embed", "PosEmbed"] + [f"0.{h}" for h in range(model.cfg.n_heads)]
    axes = {"x": "Key component", "y": "Query component"}
    px.imshow(to_numpy(stds), x=labels, y=labels, labels=axes).show()
