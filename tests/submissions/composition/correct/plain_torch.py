# correct: plain torch: t.norm and float(), the circuit factored through d_model, uniform random factors without a transpose, circuits from FactoredMatrix indexing (.AB), the ablation on hook_result with an explicit previous-token run

from fancy_einsum import einsum


def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    W_QK = model.W_Q[1, ind_head_index] @ model.W_K[1, ind_head_index].T
    W_OV = model.W_V[0, prev_token_head_index] @ model.W_O[0, prev_token_head_index]
    return FactoredMatrix(model.W_E @ W_QK, W_OV.T @ model.W_E.T)


def get_comp_score(W_A, W_B):
    return float(t.norm(W_A @ W_B) / (t.norm(W_A) * t.norm(W_B)))


def get_composition_scores(model):
    W_QK = FactoredMatrix(model.W_Q, model.W_K.transpose(-1, -2))
    W_OV = FactoredMatrix(model.W_V, model.W_O)
    n = model.cfg.n_heads
    scores = {"Q": t.zeros(n, n), "K": t.zeros(n, n), "V": t.zeros(n, n)}
    for i in range(n):
        W_A = W_OV[0, i].AB
        for j in range(n):
            scores["Q"][i, j] = get_comp_score(W_A, W_QK[1, j].AB)
            scores["K"][i, j] = get_comp_score(W_A, W_QK[1, j].T.AB)
            scores["V"][i, j] = get_comp_score(W_A, W_OV[1, j].AB)
    return scores


def generate_single_random_comp_score():
    d_model, d_head = model.cfg.d_model, model.cfg.d_head
    W_A = t.empty(d_model, d_head).uniform_(-1, 1) @ t.empty(d_head, d_model).uniform_(-1, 1)
    W_B = t.empty(d_model, d_head).uniform_(-1, 1) @ t.empty(d_head, d_model).uniform_(-1, 1)
    return get_comp_score(W_A, W_B)


def get_batched_comp_scores(W_As, W_Bs):
    A = W_As.AB.flatten(0, -3)
    B = W_Bs.AB.flatten(0, -3)
    AB = einsum("i x m, j m y -> i j x y", A, B)
    return AB.norm(dim=(-2, -1)) / einsum("i, j -> i j", A.norm(dim=(-2, -1)), B.norm(dim=(-2, -1)))


def ablation_induction_score(prev_head_index, ind_head_index):
    def ablate(result, hook):
        if prev_head_index is not None:
            result[:, :, prev_head_index, :] = 0.0
        return result

    patterns = {}

    def keep(pattern, hook):
        patterns["layer1"] = pattern

    model.run_with_hooks(
        rep_tokens,
        return_type=None,
        fwd_hooks=[("blocks.0.attn.hook_result", ablate), ("blocks.1.attn.hook_pattern", keep)],
    )
    stripe = t.diagonal(patterns["layer1"][:, ind_head_index], offset=-(seq_len - 1), dim1=-2, dim2=-1)
    return stripe.mean().item()
