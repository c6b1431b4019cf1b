# wrong: head_ablation_hook: ARENA 3.0's name, in place, but zeroes a position (z[:, head]) rather than a head
# removes: head_ablation_hook
# names: it zeroes a position

def head_zero_ablation_hook(z, hook, head_index_to_ablate) -> None:
    z[:, head_index_to_ablate] = 0.0
