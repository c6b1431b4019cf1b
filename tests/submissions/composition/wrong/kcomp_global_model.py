# wrong: find_K_comp_full_circuit: reads the notebook's global model, not the one given
# names: it reads the global `model`

def find_K_comp_full_circuit(transformer, prev_token_head_index, ind_head_index):
    W_E = model.W_E
    W_QK = FactoredMatrix(model.W_Q[1, ind_head_index], model.W_K[1, ind_head_index].T)
    W_OV = FactoredMatrix(model.W_V[0, prev_token_head_index], model.W_O[0, prev_token_head_index])
    return W_E @ W_QK @ (W_E @ W_OV).T
