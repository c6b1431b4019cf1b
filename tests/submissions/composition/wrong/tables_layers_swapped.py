# wrong: get_composition_scores: layer 1's OV circuits composed into layer 0's
# names: layer 0 and layer 1 are swapped

def get_composition_scores(model):
    W_QK = model.W_Q @ model.W_K.transpose(-1, -2)
    W_OV = model.W_V @ model.W_O
    n = model.cfg.n_heads
    scores = {k: t.zeros(n, n) for k in "QKV"}
    for i in range(n):
        for j in range(n):
            scores["Q"][i, j] = get_comp_score(W_OV[1, i], W_QK[0, j])
            scores["K"][i, j] = get_comp_score(W_OV[1, i], W_QK[0, j].T)
            scores["V"][i, j] = get_comp_score(W_OV[1, i], W_OV[0, j])
    return scores
