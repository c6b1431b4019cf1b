# correct: the product as a plain tensor, numpy floats, 0-d tensors, an inline -1e5 mask, cache names in full


def full_ov_circuit(model, layer, head):
    return (model.W_E @ model.W_V[layer, head]) @ (model.W_O[layer, head] @ model.W_U)


def top_1_acc(full_OV_circuit):
    AB = full_OV_circuit.AB.cpu().numpy()
    return np.mean(AB.argmax(axis=1) == np.arange(AB.shape[0]))


def effective_ov_circuit(model, layer, heads):
    circuit = sum(model.W_V[layer, h] @ model.W_O[layer, h] for h in heads)
    return FactoredMatrix(model.W_E, circuit @ model.W_U)


def mask_scores(attn_scores):
    n = attn_scores.shape[-1]
    keep = t.arange(n)[:, None] >= t.arange(n)[None, :]
    return t.where(keep, attn_scores, -1e5)


def pos_by_pos_pattern(model, layer, head_index):
    q = model.W_pos @ model.W_Q[layer, head_index]
    k = model.W_pos @ model.W_K[layer, head_index]
    scores = q @ k.T / model.cfg.d_head**0.5
    scores = scores.masked_fill(t.triu(t.ones_like(scores, dtype=t.bool), 1), -1e9)
    return t.softmax(scores, dim=1)


def decompose_qk_input(cache):
    results = cache["blocks.0.attn.hook_result"]
    parts = [cache["hook_embed"], cache["hook_pos_embed"]] + [results[:, h] for h in range(results.shape[1])]
    return t.stack(parts)


def decompose_q(decomposed_qk_input, ind_head_index):
    return t.einsum("csm,mh->csh", decomposed_qk_input, model.W_Q[1, ind_head_index])


def decompose_k(decomposed_qk_input, ind_head_index):
    return decomposed_qk_input @ model.blocks[1].attn.W_K[ind_head_index]


def decompose_attn_scores(decomposed_q, decomposed_k):
    return t.einsum("iqh,jkh->ijqk", decomposed_q, decomposed_k) / t.tensor(decomposed_q.shape[-1]).sqrt()
