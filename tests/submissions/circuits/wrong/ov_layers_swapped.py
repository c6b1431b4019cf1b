# wrong: full_ov_circuit: layer 0 and layer 1 swapped
# names: layer 0 and layer 1 swapped


def full_ov_circuit(model, layer, head):
    other = model.cfg.n_layers - 1 - layer
    return model.W_E @ FactoredMatrix(model.W_V[other, head], model.W_O[other, head]) @ model.W_U
