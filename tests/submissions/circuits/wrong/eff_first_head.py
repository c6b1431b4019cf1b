# wrong: effective_ov_circuit: only the first head
# names: only the first head


def effective_ov_circuit(model, layer, heads):
    return model.W_E @ FactoredMatrix(model.W_V[layer, heads[0]], model.W_O[layer, heads[0]]) @ model.W_U
