# wrong: decompose_q: adds b_Q to every component
# names: adds b_Q to every component


def decompose_q(decomposed_qk_input, ind_head_index):
    return decomposed_qk_input @ model.W_Q[1, ind_head_index] + model.b_Q[1, ind_head_index]
