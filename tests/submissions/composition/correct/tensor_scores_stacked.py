# correct: get_comp_score returns a 0-d tensor (t.linalg.matrix_norm), and the tables are t.stack of its answers: the stand-in answers in that form once the reference's floats fail

def get_comp_score(W_A: Float[Tensor, "in_A out_A"], W_B: Float[Tensor, "out_A out_B"]) -> Tensor:
    return t.linalg.matrix_norm(W_A @ W_B) / (t.linalg.matrix_norm(W_A) * t.linalg.matrix_norm(W_B))


def get_composition_scores(model):
    n = model.cfg.n_heads
    W_QK = model.W_Q @ model.W_K.transpose(-1, -2)
    W_OV = model.W_V @ model.W_O
    second = {"Q": W_QK[1], "K": W_QK[1].transpose(-1, -2), "V": W_OV[1]}
    return {
        kind: t.stack([t.stack([get_comp_score(W_OV[0, i], W_B[j]) for j in range(n)]) for i in range(n)])
        for kind, W_B in second.items()
    }


def generate_single_random_comp_score():
    d_model, d_head = model.cfg.d_model, model.cfg.d_head
    # stored as TransformerLens stores W_V / W_O: [d_model, d_head] then [d_head, d_model]
    W_A = t.empty(d_model, d_head).uniform_(-1, 1) @ t.empty(d_head, d_model).uniform_(-1, 1)
    W_B = t.empty(d_model, d_head).uniform_(-1, 1) @ t.empty(d_head, d_model).uniform_(-1, 1)
    return get_comp_score(W_A, W_B)


