# correct: get_comp_score with .norm(), which a tensor and a FactoredMatrix both have, and tables that pass it model.OV and model.QK slices (FactoredMatrix): their own get_comp_score answers those calls, the reference's takes tensors

def get_comp_score(W_A, W_B) -> float:
    return ((W_A @ W_B).norm() / (W_A.norm() * W_B.norm())).item()


def get_composition_scores(model):
    n = model.cfg.n_heads
    W_OV, W_QK = model.OV, model.QK
    scores = {k: t.zeros(n, n) for k in "QKV"}
    for i in range(n):
        for j in range(n):
            scores["Q"][i, j] = get_comp_score(W_OV[0, i], W_QK[1, j])
            scores["K"][i, j] = get_comp_score(W_OV[0, i], W_QK[1, j].T)
            scores["V"][i, j] = get_comp_score(W_OV[0, i], W_OV[1, j])
    return scores
