# correct: get_batched_comp_scores returns the scores with the indices flattened (ARENA's solution, which the contract allows), and the tables ask it for every layer's heads at once, then slice the flattened result

def get_batched_comp_scores(W_As, W_Bs):
    W_As = FactoredMatrix(W_As.A.reshape(-1, 1, *W_As.A.shape[-2:]), W_As.B.reshape(-1, 1, *W_As.B.shape[-2:]))
    W_Bs = FactoredMatrix(W_Bs.A.reshape(1, -1, *W_Bs.A.shape[-2:]), W_Bs.B.reshape(1, -1, *W_Bs.B.shape[-2:]))
    W_ABs = W_As @ W_Bs
    return W_ABs.norm() / (W_As.norm() * W_Bs.norm())


def get_composition_scores(model):
    n = model.cfg.n_heads
    W_QK = FactoredMatrix(model.W_Q, model.W_K.transpose(-1, -2))
    W_OV = FactoredMatrix(model.W_V, model.W_O)
    # every head of every layer against every other: [n_layers * n_heads, n_layers * n_heads]
    q = get_batched_comp_scores(W_OV, W_QK)
    k = get_batched_comp_scores(W_OV, W_QK.T)
    v = get_batched_comp_scores(W_OV, W_OV)
    return {"Q": q[:n, n : 2 * n], "K": k[:n, n : 2 * n], "V": v[:n, n : 2 * n]}
