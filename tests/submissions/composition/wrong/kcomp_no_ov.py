# wrong: find_K_comp_full_circuit: the key side is the token embedding alone, without the previous-token head
# names: leaves out the previous-token head's OV circuit

def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    Q = model.W_E @ model.W_Q[1, ind_head_index]
    K = model.W_E @ model.W_K[1, ind_head_index]
    return FactoredMatrix(Q, K.T)
