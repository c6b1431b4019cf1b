# wrong: head_ablation_hook: mean-ablates the head instead of zeroing it
# names: mean-ablation

def head_ablation_hook(z, hook, head_index_to_ablate):
    z = z.clone()
    z[:, :, head_index_to_ablate, :] = z[:, :, head_index_to_ablate, :].mean(dim=(0, 1), keepdim=True)
    return z
