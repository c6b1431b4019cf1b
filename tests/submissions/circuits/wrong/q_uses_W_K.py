# wrong: decompose_q: uses W_K
# names: it uses W_K


def decompose_q(decomposed_qk_input, ind_head_index):
    return decomposed_qk_input @ model.W_K[1, ind_head_index]
