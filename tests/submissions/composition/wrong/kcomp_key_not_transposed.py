# wrong: find_K_comp_full_circuit: the key side is not transposed, so the factors do not multiply
# names: transpose the key side

def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    Q = model.W_E @ model.W_Q[1, ind_head_index]
    K = model.W_E @ model.W_V[0, prev_token_head_index] @ model.W_O[0, prev_token_head_index] @ model.W_K[1, ind_head_index]
    return FactoredMatrix(Q, K)
