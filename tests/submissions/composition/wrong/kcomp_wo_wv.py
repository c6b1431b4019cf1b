# wrong: find_K_comp_full_circuit: W_O @ W_V for W_V @ W_O
# names: W_V @ W_O

def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    W_OV = model.W_O[0, prev_token_head_index] @ model.W_V[0, prev_token_head_index]
    Q = model.W_E @ model.W_Q[1, ind_head_index]
    K = model.W_E @ W_OV @ model.W_K[1, ind_head_index]
    return FactoredMatrix(Q, K.T)
