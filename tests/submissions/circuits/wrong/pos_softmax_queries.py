# wrong: pos_by_pos_pattern: the softmax over the queries (dim 0)
# names: the softmax is over the keys


def pos_by_pos_pattern(model, layer, head_index):
    W_pos = model.W_pos
    scores = W_pos @ model.W_Q[layer, head_index] @ model.W_K[layer, head_index].T @ W_pos.T
    return t.softmax(mask_scores(scores / model.cfg.d_head**0.5), dim=0)
