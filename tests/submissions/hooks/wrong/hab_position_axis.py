# wrong: head_ablation_hook: zeroes a position (z[:, head]) instead of a head
# names: zeroes a position

def head_ablation_hook(z, hook, head_index_to_ablate):
    z = z.clone()
    z[:, head_index_to_ablate] = 0.0
    return z
