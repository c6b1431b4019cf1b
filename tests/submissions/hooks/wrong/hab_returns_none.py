# wrong: head_ablation_hook: zeroes the head in place and returns nothing
# names: returned None

def head_ablation_hook(z, hook, head_index_to_ablate):
    z[:, :, head_index_to_ablate, :] = 0.0
