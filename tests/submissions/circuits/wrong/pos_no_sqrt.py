# wrong: pos_by_pos_pattern: the scores are not divided by sqrt(d_head)
# names: not divided by sqrt(d_head)


def pos_by_pos_pattern(model, layer, head_index):
    W_pos = model.W_pos
    scores = W_pos @ model.W_Q[layer, head_index] @ model.W_K[layer, head_index].T @ W_pos.T
    return t.softmax(mask_scores(scores), dim=-1)
