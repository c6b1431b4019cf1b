# wrong: pos_by_pos_pattern: divides by a hard-coded 4 (the default model's sqrt(d_head))
# names: differ from the reference's


def pos_by_pos_pattern(model, layer, head_index):
    W_pos = model.W_pos
    scores = W_pos @ model.W_Q[layer, head_index] @ model.W_K[layer, head_index].T @ W_pos.T
    return t.softmax(mask_scores(scores / 4), dim=-1)
