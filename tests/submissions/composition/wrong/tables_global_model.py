# wrong: get_composition_scores: the notebook's global model, not the one given
# names: it reads the global `model`

def get_composition_scores(m):
    W_QK = FactoredMatrix(model.W_Q, model.W_K.transpose(-1, -2))
    W_OV = FactoredMatrix(model.W_V, model.W_O)
    return {
        "Q": get_batched_comp_scores(W_OV[0], W_QK[1]),
        "K": get_batched_comp_scores(W_OV[0], W_QK[1].T),
        "V": get_batched_comp_scores(W_OV[0], W_OV[1]),
    }
