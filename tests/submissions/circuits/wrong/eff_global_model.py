# wrong: effective_ov_circuit: the global model where an argument was given
# names: global `model`


def effective_ov_circuit(the_model, layer, heads):
    W_V_both = t.cat([model.W_V[layer, h] for h in heads], dim=1)
    W_O_both = t.cat([model.W_O[layer, h] for h in heads], dim=0)
    return model.W_E @ FactoredMatrix(W_V_both, W_O_both) @ model.W_U
