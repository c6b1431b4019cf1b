# wrong: head_ablation_hook: zeroes z[..., head], a component of every head's d_head
# names: one component of every head's d_head

def head_ablation_hook(z, hook, head_index_to_ablate):
    z[..., head_index_to_ablate] = 0.0
    return z
