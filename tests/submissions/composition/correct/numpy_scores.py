# correct: numpy first: get_comp_score on numpy arrays (np.linalg.norm, float64), tables of numpy arrays from to_numpy, the random baseline drawn with np.random

def get_comp_score(W_A, W_B):
    A, B = to_numpy(W_A).astype(np.float64), to_numpy(W_B).astype(np.float64)
    return np.linalg.norm(A @ B) / (np.linalg.norm(A) * np.linalg.norm(B))


def get_composition_scores(model):
    n = model.cfg.n_heads
    W_QK = to_numpy(model.W_Q @ model.W_K.transpose(-1, -2))
    W_OV = to_numpy(model.W_V @ model.W_O)
    out = {k: np.zeros((n, n)) for k in "QKV"}
    for i in range(n):
        for j in range(n):
            out["Q"][i, j] = get_comp_score(W_OV[0, i], W_QK[1, j])
            out["K"][i, j] = get_comp_score(W_OV[0, i], W_QK[1, j].T)
            out["V"][i, j] = get_comp_score(W_OV[0, i], W_OV[1, j])
    return out


def generate_single_random_comp_score():
    d_model, d_head = model.cfg.d_model, model.cfg.d_head
    W_A = np.random.randn(d_model, d_head) @ np.random.randn(d_head, d_model)
    W_B = np.random.randn(d_model, d_head) @ np.random.randn(d_head, d_model)
    return get_comp_score(W_A, W_B)
