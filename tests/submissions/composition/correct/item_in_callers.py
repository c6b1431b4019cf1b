# correct: get_comp_score returns a 0-d tensor and its callers take .item() of its answers (itertools.product over the pairs, t.randn factors)

import itertools


def get_comp_score(W_A, W_B):
    W_A_norm = W_A.pow(2).sum().sqrt()
    W_B_norm = W_B.pow(2).sum().sqrt()
    W_AB_norm = (W_A @ W_B).pow(2).sum().sqrt()
    return W_AB_norm / (W_A_norm * W_B_norm)


def get_composition_scores(model):
    W_QK = model.W_Q @ model.W_K.transpose(-1, -2)
    W_OV = model.W_V @ model.W_O
    n = model.cfg.n_heads
    scores = {k: t.zeros(n, n, device=model.cfg.device) for k in "QKV"}
    for i, j in itertools.product(range(n), range(n)):
        scores["Q"][i, j] = get_comp_score(W_OV[0, i], W_QK[1, j]).item()
        scores["K"][i, j] = get_comp_score(W_OV[0, i], W_QK[1, j].T).item()
        scores["V"][i, j] = get_comp_score(W_OV[0, i], W_OV[1, j]).item()
    return scores


def generate_single_random_comp_score() -> float:
    d_model, d_head = model.cfg.d_model, model.cfg.d_head
    W_A = t.randn(d_model, d_head, device=device) @ t.randn(d_model, d_head, device=device).T
    W_B = t.randn(d_model, d_head, device=device) @ t.randn(d_model, d_head, device=device).T
    return get_comp_score(W_A, W_B).item()


