# wrong: find_K_comp_full_circuit: the induction head's weights from layer 0, the previous-token head's from layer 1
# names: layer 0 and layer 1 are swapped

def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    W_E = model.W_E
    Q = W_E @ model.W_Q[0, ind_head_index]
    K = W_E @ model.W_V[1, prev_token_head_index] @ model.W_O[1, prev_token_head_index] @ model.W_K[0, ind_head_index]
    return FactoredMatrix(Q, K.T)
