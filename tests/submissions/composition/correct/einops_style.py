# correct: einops and explicit sums: the Frobenius norm by hand, the circuit with W_QK and W_OV formed first, ablation on hook_result in a hooks context, the batch mean of the stripe

import einops


def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    W_QK = model.W_Q[1, ind_head_index] @ model.W_K[1, ind_head_index].T
    W_OV = model.W_V[0, prev_token_head_index] @ model.W_O[0, prev_token_head_index]
    return FactoredMatrix(model.W_E @ W_QK, (model.W_E @ W_OV).T)


def frobenius(W):
    return einops.einsum(W, W, "i j, i j ->").sqrt()


def get_comp_score(W_A, W_B):
    W_AB = einops.einsum(W_A, W_B, "a m, m b -> a b")
    return float(frobenius(W_AB) / (frobenius(W_A) * frobenius(W_B)))


def get_composition_scores(model):
    n = model.cfg.n_heads
    W_QK = einops.einsum(model.W_Q, model.W_K, "l h a d, l h b d -> l h a b")
    W_OV = einops.einsum(model.W_V, model.W_O, "l h a d, l h d b -> l h a b")
    out = {}
    for name, second in [("Q", W_QK[1]), ("K", W_QK[1].transpose(-1, -2)), ("V", W_OV[1])]:
        out[name] = t.tensor([[get_comp_score(W_OV[0, i], second[j]) for j in range(n)] for i in range(n)])
    return out


def generate_single_random_comp_score():
    cfg = model.cfg
    left = [nn.init.kaiming_uniform_(t.empty(cfg.d_model, cfg.d_head), a=np.sqrt(5)) for _ in range(2)]
    right = [nn.init.kaiming_uniform_(t.empty(cfg.d_model, cfg.d_head), a=np.sqrt(5)) for _ in range(2)]
    return get_comp_score(left[0] @ right[0].T, left[1] @ right[1].T)


def get_batched_comp_scores(W_As, W_Bs):
    A, B = W_As.AB, W_Bs.AB
    a_idx, b_idx = A.shape[:-2], B.shape[:-2]
    A = A.reshape(-1, *A.shape[-2:])
    B = B.reshape(-1, *B.shape[-2:])
    AB = einops.einsum(A, B, "i x m, j m y -> i j x y")
    norms = lambda M: M.pow(2).sum((-2, -1)).sqrt()
    return (norms(AB) / (norms(A)[:, None] * norms(B)[None, :])).reshape(*a_idx, *b_idx)


def ablation_induction_score(prev_head_index, ind_head_index):
    store = {}

    def ablate(result, hook):
        if prev_head_index is not None:
            result[:, :, prev_head_index] = 0
        return result

    def read(pattern, hook):
        stripe = pattern[:, ind_head_index].diagonal(-(seq_len - 1), dim1=-2, dim2=-1)
        store["score"] = einops.reduce(stripe, "batch pos ->", "mean")

    with model.hooks(fwd_hooks=[("blocks.0.attn.hook_result", ablate), ("blocks.1.attn.hook_pattern", read)]):
        model(rep_tokens)
    return store["score"].item()
