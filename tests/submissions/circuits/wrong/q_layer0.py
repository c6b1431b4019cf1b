# wrong: decompose_q: layer 0's W_Q
# names: layer 0's W_Q


def decompose_q(decomposed_qk_input, ind_head_index):
    return decomposed_qk_input @ model.W_Q[0, ind_head_index]
