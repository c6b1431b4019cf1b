# wrong: head_ablation_hook: an extra parameter with a default, but ablates the head after the one asked for

def head_ablation_hook(z, hook, head_index_to_ablate, offset=1):
    z = z.clone()
    z[:, :, (head_index_to_ablate + offset) % z.shape[2], :] = 0.0
    return z
