# wrong: full_ov_circuit: reads the notebook's global model, not its argument
# names: global `model`


def full_ov_circuit(m, layer, head):
    return model.W_E @ FactoredMatrix(model.W_V[layer, head], model.W_O[layer, head]) @ model.W_U
