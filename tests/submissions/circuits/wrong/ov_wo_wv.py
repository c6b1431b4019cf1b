# wrong: full_ov_circuit: W_O W_V for W_V W_O (the OV matrix transposed)
# names: W_O W_V for W_V W_O


def full_ov_circuit(model, layer, head):
    return model.W_E @ FactoredMatrix(model.W_O[layer, head].T, model.W_V[layer, head].T) @ model.W_U
