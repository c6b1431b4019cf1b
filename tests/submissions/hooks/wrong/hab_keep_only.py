# wrong: head_ablation_hook: keeps only the head to ablate and zeroes the others
# names: every head but the one to ablate

def head_ablation_hook(z, hook, head_index_to_ablate):
    mask = t.zeros(z.shape[2], device=z.device)
    mask[head_index_to_ablate] = 1.0
    return z * mask[None, None, :, None]
