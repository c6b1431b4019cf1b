# correct: FactoredMatrix throughout: the circuit as products of factored matrices, norms by .norm(), tables from the batched scores, tensors returned (no .item())


def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    W_QK = FactoredMatrix(model.W_Q[1, ind_head_index], model.W_K[1, ind_head_index].T)
    W_OV = FactoredMatrix(model.W_V[0, prev_token_head_index], model.W_O[0, prev_token_head_index])
    return model.W_E @ W_QK @ (model.W_E @ W_OV).T


def get_comp_score(W_A, W_B):
    return t.linalg.matrix_norm(W_A @ W_B) / (t.linalg.matrix_norm(W_A) * t.linalg.matrix_norm(W_B))


def get_composition_scores(model):
    W_QK = FactoredMatrix(model.W_Q, model.W_K.transpose(-1, -2))
    W_OV = FactoredMatrix(model.W_V, model.W_O)
    return {
        "Q": get_batched_comp_scores(W_OV[0], W_QK[1]),
        "K": get_batched_comp_scores(W_OV[0], W_QK[1].T),
        "V": get_batched_comp_scores(W_OV[0], W_OV[1]),
    }


def generate_single_random_comp_score():
    d_model, d_head = model.cfg.d_model, model.cfg.d_head
    W_A = FactoredMatrix(t.randn(d_model, d_head), t.randn(d_head, d_model))
    W_B = FactoredMatrix(t.randn(d_model, d_head), t.randn(d_head, d_model))
    return (W_A @ W_B).norm() / (W_A.norm() * W_B.norm())


def get_batched_comp_scores(W_As, W_Bs):
    a_idx, b_idx = W_As.shape[:-2], W_Bs.shape[:-2]
    A = W_As.AB.reshape(-1, 1, *W_As.shape[-2:])
    B = W_Bs.AB.reshape(1, -1, *W_Bs.shape[-2:])
    scores = (A @ B).norm(dim=(-2, -1)) / (A.norm(dim=(-2, -1)) * B.norm(dim=(-2, -1)))
    return scores.reshape(*a_idx, *b_idx)


def ablation_induction_score(prev_head_index, ind_head_index):
    scores = []

    def zero_head(z, hook):
        if prev_head_index is not None:
            z[:, :, prev_head_index, :] = 0.0

    def score(pattern, hook):
        scores.append(pattern[:, ind_head_index].diagonal(offset=1 - seq_len, dim1=-2, dim2=-1).mean())

    with t.inference_mode():
        model.run_with_hooks(
            rep_tokens,
            return_type=None,
            fwd_hooks=[("blocks.0.attn.hook_z", zero_head), ("blocks.1.attn.hook_pattern", score)],
        )
    return scores[0]
