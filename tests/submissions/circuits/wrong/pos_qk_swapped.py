# wrong: pos_by_pos_pattern: query and key sides swapped
# names: the query and key sides are swapped


def pos_by_pos_pattern(model, layer, head_index):
    W_pos = model.W_pos
    scores = W_pos @ model.W_K[layer, head_index] @ model.W_Q[layer, head_index].T @ W_pos.T
    return t.softmax(mask_scores(scores / model.cfg.d_head**0.5), dim=-1)
