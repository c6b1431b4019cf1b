# wrong: get_composition_scores: K-composition without the transpose (the Q table twice)
# names: K-composition reads the keys

def get_composition_scores(model):
    W_QK = model.W_Q @ model.W_K.transpose(-1, -2)
    W_OV = model.W_V @ model.W_O
    n = model.cfg.n_heads
    scores = {k: t.zeros(n, n) for k in "QKV"}
    for i in range(n):
        for j in range(n):
            scores["Q"][i, j] = get_comp_score(W_OV[0, i], W_QK[1, j])
            scores["K"][i, j] = get_comp_score(W_OV[0, i], W_QK[1, j])
            scores["V"][i, j] = get_comp_score(W_OV[0, i], W_OV[1, j])
    return scores
