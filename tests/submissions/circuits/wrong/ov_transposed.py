# wrong: full_ov_circuit: the whole circuit transposed (W_U.T ... W_E.T)
# names: transpose of the expected one


def full_ov_circuit(model, layer, head):
    return (model.W_E @ FactoredMatrix(model.W_V[layer, head], model.W_O[layer, head]) @ model.W_U).T
