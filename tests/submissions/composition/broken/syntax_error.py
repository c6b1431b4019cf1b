# broken: a SyntaxError
# (the colon after get_batched_comp_scores's signature is missing)
# %% [markdown]
# # Composition: how the previous-token head and the induction heads work together
#
# The same 2-layer attention-only transformer as in the induction-heads and hooks exercises
# (TransformerLens `HookedTransformer`: shortformer positional embeddings, no LayerNorm, 12 heads per
# layer). An induction head in layer 1 finds the token after the previous copy of the current token
# by *K-composition*: its keys are read from the output of a previous-token head in layer 0. You
# build the full K-composition circuit of a pair of heads, measure how much any two heads compose
# (the composition score), compare the scores with those of random matrices, compute them all at
# once on factored matrices, and check the finding causally by ablating the previous-token head.
#
# Check your work at any time: `check("function_name")` in this notebook (as the cell after each
# exercise does, before its demo), or `python -m autograder check` or `pytest exercises/` in a
# terminal. The model is the project's embedded default model, which works offline;
# `load_model("arena")` loads the original ARENA model when its weights can be downloaded.

# %%
import numpy as np
import plotly.express as px
import torch as t
import torch.nn as nn
from jaxtyping import Float
from torch import Tensor
from transformer_lens import FactoredMatrix, HookedTransformer

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


def generate_repeated_tokens(model: HookedTransformer, seq_len: int, batch: int = 1) -> Tensor:
    """`batch` sequences of BOS, then `seq_len` random tokens, then the same tokens again."""
    bos = t.full((batch, 1), model.tokenizer.bos_token_id, dtype=t.int64)
    seq = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    return t.cat([bos, seq, seq], dim=-1).to(model.cfg.device)


def plot_comp_scores(scores, title: str, baseline: float = 0.0):
    """A heatmap of composition scores: layer 0's heads down, layer 1's across, centred on `baseline`."""
    return px.imshow(
        to_numpy(scores),
        labels={"y": "Layer 0 head", "x": "Layer 1 head"},
        title=title,
        text_auto=".2f",
        color_continuous_scale="RdBu",
        color_continuous_midpoint=baseline,
        width=600,
        height=550,
    )


# %% [markdown]
# ## The model, and the circuits of its heads
#
# A head's QK circuit is `W_Q @ W_K.T` ([d_model, d_model]: which query direction attends to which
# key direction) and its OV circuit is `W_V @ W_O` ([d_model, d_model]: what it writes, given what it
# reads). TransformerLens's `FactoredMatrix(A, B)` stands for the product `A @ B` without computing
# it: `.AB` is the product, `.T` the transpose, `.norm()` the Frobenius norm, and it can be indexed
# over its leading dimensions (`FactoredMatrix(model.W_V, model.W_O)[0, 7]` is head 0.7's OV circuit).

# %%
if MAIN:
    model = load_model("default")
    seq_len = 10
    t.manual_seed(0)  # the same draw as `python -m autograder demo --exercise composition`
    rep_tokens = generate_repeated_tokens(model, seq_len, 1)


# %% [markdown]
# ## Exercise: the full K-composition circuit
#
# The key of an induction head in layer 1 at a position is read from the residual stream there, which
# holds (among others) the output of the previous-token head of layer 0: the previous token's
# embedding, moved through that head's OV circuit. So the key side of the circuit is
# `W_E @ W_OV[0, prev] @ W_K[1, ind]`, and the query side `W_E @ W_Q[1, ind]`.


# %%
def find_K_comp_full_circuit(
    model: HookedTransformer, prev_token_head_index: int, ind_head_index: int
) -> FactoredMatrix:
    """The full K-composition circuit of head 0.`prev_token_head_index` (layer 0) into head
    1.`ind_head_index` (layer 1), as a [d_vocab, d_vocab] FactoredMatrix.

    Entry [i, j] is the attention score (before scaling and softmax) that the induction head would give
    from a query token i to a key token j whose previous token's embedding went through the
    previous-token head: `(W_E @ W_Q) @ (W_E @ W_V @ W_O @ W_K).T`, with W_Q and W_K of layer 1's head
    `ind_head_index` and W_V and W_O of layer 0's head `prev_token_head_index`. The first dimension is
    the query side, the second the key side. Use the `model` given (not a global one).
    """
    W_E = model.W_E
    W_Q = model.W_Q[1, ind_head_index]
    W_K = model.W_K[1, ind_head_index]
    W_V = model.W_V[0, prev_token_head_index]
    W_O = model.W_O[0, prev_token_head_index]
    query_side = W_E @ W_Q  # [d_vocab, d_head]
    key_side = W_E @ W_V @ W_O @ W_K  # [d_vocab, d_head]
    return FactoredMatrix(query_side, key_side.T)


# %%
if MAIN:
    check("find_K_comp_full_circuit")


# %% [markdown]
# ## Exercise: the composition score
#
# How much does a head B read what a head A writes? If `W_A` is A's OV circuit and `W_B` one of B's
# circuits, `W_A @ W_B` is the path through both; the composition score compares its size with the
# sizes of the two, in the Frobenius norm (the square root of the sum of the squared entries):
# `‖W_A W_B‖_F / (‖W_A‖_F ‖W_B‖_F)`.


# %%
def get_comp_score(W_A: Float[Tensor, "in_A out_A"], W_B: Float[Tensor, "out_A out_B"]) -> float:
    """The composition score of `W_A` then `W_B`: the Frobenius norm of `W_A @ W_B` divided by the
    product of the Frobenius norms of `W_A` and `W_B`, as a float."""
    W_A_norm = W_A.pow(2).sum().sqrt()
    W_B_norm = W_B.pow(2).sum().sqrt()
    W_AB_norm = (W_A @ W_B).pow(2).sum().sqrt()
    return (W_AB_norm / (W_A_norm * W_B_norm)).item()


# %%
if MAIN:
    check("get_comp_score")


# %% [markdown]
# ## Exercise: the composition scores of every pair of heads
#
# A head of layer 1 composes with a head of layer 0 through its queries (Q-composition: layer 0's OV
# circuit, then layer 1's QK circuit), its keys (K-composition: the same, with the QK circuit
# transposed, since the keys are on its right-hand side) or its values (V-composition: layer 0's OV
# circuit, then layer 1's OV circuit).


# %%
def get_composition_scores(model: HookedTransformer) -> dict[str, Float[Tensor, "n_heads n_heads"]]:
    """The Q-, K- and V-composition scores of every head of layer 0 with every head of layer 1.

    Returns {"Q": ..., "K": ..., "V": ...}, three tensors of shape [n_heads, n_heads]: at [i, j], the
    composition score (`get_comp_score`) of head 0.i's OV circuit `W_V[0, i] @ W_O[0, i]` with
    - "Q": head 1.j's QK circuit `W_Q[1, j] @ W_K[1, j].T`,
    - "K": its transpose `(W_Q[1, j] @ W_K[1, j].T).T`,
    - "V": head 1.j's OV circuit `W_V[1, j] @ W_O[1, j]`.
    Rows are layer 0's heads, columns layer 1's. Use the `model` given. Loop over the pairs with
    `get_comp_score`, or (once you have written it, below) compute each table at once with
    `get_batched_comp_scores`.
    """
    W_QK = FactoredMatrix(model.W_Q, model.W_K.transpose(-1, -2))  # [n_layers, n_heads, d_model, d_model]
    W_OV = FactoredMatrix(model.W_V, model.W_O)
    return {
        "Q": get_batched_comp_scores(W_OV[0], W_QK[1]),
        "K": get_batched_comp_scores(W_OV[0], W_QK[1].T),
        "V": get_batched_comp_scores(W_OV[0], W_OV[1]),
    }


# %%
if MAIN:
    check("get_composition_scores")


# %%
if MAIN:
    composition_scores = get_composition_scores(model)
    for kind in "QKV":
        plot_comp_scores(composition_scores[kind], f"{kind}-composition scores").show()


# %% [markdown]
# ## Exercise: the random baseline
#
# Are these scores large? Random matrices compose too: compare with the scores of random matrices of
# the same shapes as a head's circuits, each the product of two random [d_model, d_head] matrices
# (a head's circuit has rank d_head).


# %%
def generate_single_random_comp_score() -> float:
    """The composition score of two random matrices W_A and W_B, as a float: each is the product
    `W_left @ W_right.T` of two random [d_model, d_head] matrices (d_model and d_head of the notebook's
    global `model`), initialised as TransformerLens initialises weights (Kaiming-uniform, with
    a = √5), or by any zero-mean random draw: the score does not depend on the scale. Random by
    design: it is judged by the distribution of its values."""
    W_A_left = t.empty(model.cfg.d_model, model.cfg.d_head)
    W_B_left = t.empty(model.cfg.d_model, model.cfg.d_head)
    W_A_right = t.empty(model.cfg.d_model, model.cfg.d_head)
    W_B_right = t.empty(model.cfg.d_model, model.cfg.d_head)
    for W in [W_A_left, W_B_left, W_A_right, W_B_right]:
        nn.init.kaiming_uniform_(W, a=np.sqrt(5))
    W_A = W_A_left @ W_A_right.T
    W_B = W_B_left @ W_B_right.T
    return get_comp_score(W_A, W_B)


# %%
if MAIN:
    check("generate_single_random_comp_score")


# %%
if MAIN:
    comp_scores_baseline = np.array([generate_single_random_comp_score() for _ in range(300)])
    baseline = comp_scores_baseline.mean()
    print(f"Random composition scores: mean {baseline:.4f}, std {comp_scores_baseline.std():.4f}")
    for kind in "QKV":
        plot_comp_scores(composition_scores[kind], f"{kind}-composition scores", baseline=baseline).show()


# %% [markdown]
# ## Exercise: batched composition scores
#
# The loops above compute one score at a time. On factored matrices indexed by heads (a FactoredMatrix
# of shape [n_heads, d_model, d_model] holds every head's circuit of a layer), every score can be
# computed at once: `FactoredMatrix.norm()` gives the Frobenius norm of each matrix of the batch.


# %%
def get_batched_comp_scores(W_As: FactoredMatrix, W_Bs: FactoredMatrix) -> Tensor
    """The composition score of every matrix of `W_As` with every matrix of `W_Bs`.

    `W_As` has shape (*A_idx, A_in, A_out) and `W_Bs` (*B_idx, B_in, B_out), with A_out == B_in: each
    is indexed by all but its last two dimensions. Returns a tensor of shape (*A_idx, *B_idx) whose
    [*a_idx, *b_idx] entry is the composition score of W_As[*a_idx] then W_Bs[*b_idx]. (A result of
    shape (prod(A_idx), prod(B_idx)), the same scores with the indices flattened, counts as well.)
    """
    a_index, b_index = W_As.shape[:-2], W_Bs.shape[:-2]
    W_As = FactoredMatrix(
        W_As.A.reshape(-1, 1, *W_As.A.shape[-2:]), W_As.B.reshape(-1, 1, *W_As.B.shape[-2:])
    )
    W_Bs = FactoredMatrix(
        W_Bs.A.reshape(1, -1, *W_Bs.A.shape[-2:]), W_Bs.B.reshape(1, -1, *W_Bs.B.shape[-2:])
    )

    def frobenius(M: FactoredMatrix) -> Tensor:
        # ‖AB‖_F² = Σ (AᵀA) ∘ (BBᵀ): the same as M.norm(), without its SVDs or forming the product
        return ((M.A.transpose(-1, -2) @ M.A) * (M.B @ M.B.transpose(-1, -2))).sum((-2, -1)).sqrt()

    scores = frobenius(W_As @ W_Bs) / (frobenius(W_As) * frobenius(W_Bs))
    return scores.reshape(*a_index, *b_index)


# %%
if MAIN:
    check("get_batched_comp_scores")


# %%
if MAIN:
    W_QK = FactoredMatrix(model.W_Q, model.W_K.transpose(-1, -2))
    W_OV = FactoredMatrix(model.W_V, model.W_O)
    batched = {
        "Q": get_batched_comp_scores(W_OV[0], W_QK[1]),
        "K": get_batched_comp_scores(W_OV[0], W_QK[1].T),
        "V": get_batched_comp_scores(W_OV[0], W_OV[1]),
    }
    for kind in "QKV":
        t.testing.assert_close(batched[kind], composition_scores[kind], atol=1e-5, rtol=1e-4)
    print("The batched scores are the loops' scores.")


# %% [markdown]
# ## Exercise: the previous-token head, ablated
#
# The composition scores say 0.7 writes what 1.4 and 1.10 read as keys. Check it causally: zero the
# output of a head of layer 0 and see what is left of an induction head's induction score.


# %%
def ablation_induction_score(prev_head_index: int | None, ind_head_index: int) -> float:
    """The induction score of head 1.`ind_head_index` on the notebook's `rep_tokens` when head
    0.`prev_head_index` is zero-ablated (its value vectors, or its output, set to zero), as a float.

    Reads the notebook's globals: `model`, `rep_tokens` (one sequence of BOS, `seq_len` random tokens
    and the same tokens again: shape [1, 1 + 2 * seq_len]) and `seq_len`. The induction score is the
    mean, over the positions, of the head's attention on the diagonal `seq_len - 1` below the main one
    (offset `1 - seq_len`) of its pattern. With `prev_head_index` None, nothing is ablated.
    """
    scores = []

    def ablation_hook(v: Tensor, hook) -> Tensor:
        if prev_head_index is not None:
            v[:, :, prev_head_index] = 0.0
        return v

    def induction_pattern_hook(pattern: Tensor, hook) -> None:
        stripe = pattern[:, ind_head_index].diagonal(1 - seq_len, dim1=-2, dim2=-1)
        scores.append(stripe.mean())

    model.run_with_hooks(
        rep_tokens,
        return_type=None,
        fwd_hooks=[
            ("blocks.0.attn.hook_v", ablation_hook),
            ("blocks.1.attn.hook_pattern", induction_pattern_hook),
        ],
    )
    return scores[0].item()


# %%
if MAIN:
    check("ablation_induction_score")


# %%
if MAIN:
    baseline_1_4 = ablation_induction_score(None, 4)
    baseline_1_10 = ablation_induction_score(None, 10)
    drops = t.tensor(
        [
            [ablation_induction_score(head, 4) - baseline_1_4 for head in range(model.cfg.n_heads)],
            [ablation_induction_score(head, 10) - baseline_1_10 for head in range(model.cfg.n_heads)],
        ]
    )
    px.imshow(
        to_numpy(drops),
        y=["1.4", "1.10"],
        labels={"x": "Layer 0 head ablated", "y": "Induction head", "color": "change"},
        title="Change in induction score when a layer-0 head is ablated",
        text_auto=".2f",
        color_continuous_scale="RdBu",
        color_continuous_midpoint=0.0,
    ).show()
