# A whole file, graded as it is: the functions and their imports, without the notebook's setup cell
# (its `t.set_grad_enabled(False)` was not copied). It calls .numpy() on tensors made from the
# model's weights, which works in the notebook, where gradients are off; it must work while graded.
import numpy as np
import torch as t
from transformer_lens import FactoredMatrix


def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    W_E = model.W_E
    W_QK = model.W_Q[1, ind_head_index] @ model.W_K[1, ind_head_index].T
    W_OV = model.W_V[0, prev_token_head_index] @ model.W_O[0, prev_token_head_index]
    return FactoredMatrix(W_E @ W_QK, (W_E @ W_OV).T)


def get_comp_score(W_A, W_B):
    a, b = W_A.numpy(), W_B.numpy()
    return float(np.linalg.norm(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def get_composition_scores(model):
    W_OV = (model.W_V @ model.W_O).numpy()
    W_QK = (model.W_Q @ model.W_K.transpose(-1, -2)).numpy()
    n = model.cfg.n_heads
    tables = {"Q": np.zeros((n, n)), "K": np.zeros((n, n)), "V": np.zeros((n, n))}
    for i in range(n):
        a = W_OV[0, i]
        for j in range(n):
            for kind, b in (("Q", W_QK[1, j]), ("K", W_QK[1, j].T), ("V", W_OV[1, j])):
                tables[kind][i, j] = np.linalg.norm(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return {kind: t.tensor(table) for kind, table in tables.items()}


def generate_single_random_comp_score():
    d_model, d_head = model.cfg.d_model, model.cfg.d_head
    factors = [t.empty(d_model, d_head) for _ in range(4)]
    for factor in factors:
        t.nn.init.kaiming_uniform_(factor, a=np.sqrt(5))
    W_A = factors[0] @ factors[1].T
    W_B = factors[2] @ factors[3].T
    return get_comp_score(W_A, W_B)


def get_batched_comp_scores(W_As, W_Bs):
    A = W_As.AB.numpy()[..., None, :, :]  # [*A_idx, 1, m, k]
    B = W_Bs.AB.numpy()
    A = A.reshape(*W_As.shape[:-2], *([1] * (B.ndim - 2)), *A.shape[-2:])
    norms = np.linalg.norm(A @ B, axis=(-2, -1))
    return t.tensor(norms / (np.linalg.norm(A, axis=(-2, -1)) * np.linalg.norm(B, axis=(-2, -1))))


def ablation_induction_score(prev_head_index, ind_head_index):
    def ablate(v, hook):
        if prev_head_index is not None:
            v[:, :, prev_head_index] = 0.0
        return v

    def score(pattern, hook):
        stripe = pattern[:, ind_head_index].diagonal(-(seq_len - 1), dim1=-2, dim2=-1)
        found.append(stripe.mean().item())

    found = []
    model.run_with_hooks(
        rep_tokens, return_type=None, fwd_hooks=[("blocks.0.attn.hook_v", ablate), ("blocks.1.attn.hook_pattern", score)]
    )
    return found[0]
