# wrong: effective_ov_circuit: W_V and W_O concatenated in different head orders
# names: concatenated in different orders


def effective_ov_circuit(model, layer, heads):
    W_V_both = einops.rearrange(model.W_V[layer, heads], "head d_model d_head -> d_model (head d_head)")
    W_O_both = einops.rearrange(model.W_O[layer, heads], "head d_head d_model -> (d_head head) d_model")
    return model.W_E @ FactoredMatrix(W_V_both, W_O_both) @ model.W_U
