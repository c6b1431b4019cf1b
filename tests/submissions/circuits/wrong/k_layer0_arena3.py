# wrong: decompose_k: ARENA 3.0's signature (model last), layer 0's W_K
# names: layer 0's W_K


def decompose_k(decomposed_qk_input, ind_head_index, model):
    return einops.einsum(decomposed_qk_input, model.W_K[0, ind_head_index], "n s m, m h -> n s h")
