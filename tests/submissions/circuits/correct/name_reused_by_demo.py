# correct: ARENA's demo cell stores the pattern under the function's own name (`pos_by_pos_pattern = pos_by_pos_pattern(model, 0, 7)`), at the top level of a notebook that loads its model there


def pos_by_pos_pattern(model, layer, head_index):
    W_pos = model.W_pos
    scores = W_pos @ model.W_Q[layer, head_index] @ model.W_K[layer, head_index].T @ W_pos.T
    return t.softmax(mask_scores(scores / model.cfg.d_head**0.5), dim=-1)


model = load_model("default")
layer, head_index = 0, 7
pos_by_pos_pattern = pos_by_pos_pattern(model, layer, head_index)
print(f"Average lower-diagonal value: {pos_by_pos_pattern.diag(-1).mean():.4f}")
