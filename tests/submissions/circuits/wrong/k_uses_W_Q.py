# wrong: decompose_k: uses W_Q
# names: it uses W_Q


def decompose_k(decomposed_qk_input, ind_head_index):
    return einops.einsum(decomposed_qk_input, model.W_Q[1, ind_head_index], "c s m, m h -> c s h")
