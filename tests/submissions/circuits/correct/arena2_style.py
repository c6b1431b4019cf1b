# correct: ARENA 2.0 style: other factorings, t.cat, masked_fill with -inf, the global device


def full_ov_circuit(model, layer, head):
    W_E, W_U = model.W_E, model.W_U
    return FactoredMatrix(W_E @ model.W_V[layer, head], model.W_O[layer, head] @ W_U)


def top_1_acc(full_OV_circuit: FactoredMatrix) -> float:
    AB = full_OV_circuit.AB
    return (t.argmax(AB, dim=1) == t.arange(AB.shape[0]).to(device)).float().mean().item()


def effective_ov_circuit(model, layer, heads):
    W_V_both = t.cat([model.W_V[layer, h] for h in heads], dim=-1)
    W_O_both = t.cat([model.W_O[layer, h] for h in heads], dim=0)
    return FactoredMatrix(model.W_E @ W_V_both @ W_O_both, model.W_U)


def mask_scores(attn_scores):
    mask = t.triu(t.ones_like(attn_scores), diagonal=1).bool()
    return attn_scores.masked_fill(mask, float("-inf"))


def pos_by_pos_pattern(model, layer, head_index):
    W_QK = FactoredMatrix(model.W_Q[layer, head_index], model.W_K[layer, head_index].T)
    scores = (model.W_pos @ W_QK @ model.W_pos.T).AB
    return mask_scores(scores / np.sqrt(model.cfg.d_head)).softmax(-1)


def decompose_qk_input(cache: ActivationCache) -> t.Tensor:
    y0 = cache["embed"].unsqueeze(0)
    y1 = cache["pos_embed"].unsqueeze(0)
    y_rest = cache["result", 0].transpose(0, 1)
    return t.concat([y0, y1, y_rest], dim=0)


def decompose_q(decomposed_qk_input, ind_head_index):
    W_Q = model.W_Q[1, ind_head_index]
    return einops.einsum(decomposed_qk_input, W_Q, "n seq d_head, d_head d_model -> n seq d_model")


def decompose_k(decomposed_qk_input, ind_head_index):
    W_K = model.W_K[1, ind_head_index]
    return einops.einsum(decomposed_qk_input, W_K, "n seq d_head, d_head d_model -> n seq d_model")


def decompose_attn_scores(decomposed_q, decomposed_k):
    return einops.einsum(
        decomposed_q, decomposed_k, "q_comp q_pos d_model, k_comp k_pos d_model -> q_comp k_comp q_pos k_pos"
    )
