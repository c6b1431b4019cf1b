# correct: ARENA 3.0 style: decompose_q/k and decompose_attn_scores take the model, scores divided by sqrt(d_head), top_1_acc in batches


def top_1_acc(full_OV_circuit: FactoredMatrix, batch_size: int = 100) -> float:
    total = 0
    for indices in t.split(t.arange(full_OV_circuit.shape[0], device=device), batch_size):
        AB_slice = full_OV_circuit[indices].AB
        total += (t.argmax(AB_slice, dim=1) == indices).float().sum().item()
    return total / full_OV_circuit.shape[0]


def decompose_q(decomposed_qk_input, ind_head_index, model):
    W_Q = model.W_Q[1, ind_head_index]
    return einops.einsum(decomposed_qk_input, W_Q, "n seq d_model, d_model d_head -> n seq d_head")


def decompose_k(decomposed_qk_input, ind_head_index, model):
    W_K = model.W_K[1, ind_head_index]
    return einops.einsum(decomposed_qk_input, W_K, "n seq d_model, d_model d_head -> n seq d_head")


def decompose_attn_scores(decomposed_q, decomposed_k, model):
    return einops.einsum(
        decomposed_q, decomposed_k, "q_comp q_pos d_head, k_comp k_pos d_head -> q_comp k_comp q_pos k_pos"
    ) / (model.cfg.d_head**0.5)
