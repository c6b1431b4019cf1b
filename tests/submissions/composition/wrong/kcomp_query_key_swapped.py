# wrong: find_K_comp_full_circuit: the key side first, the query side second (the transpose)
# names: transpose of the expected one

def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    W_E = model.W_E
    Q = W_E @ model.W_Q[1, ind_head_index]
    K = W_E @ model.W_V[0, prev_token_head_index] @ model.W_O[0, prev_token_head_index] @ model.W_K[1, ind_head_index]
    return FactoredMatrix(K, Q.T)
