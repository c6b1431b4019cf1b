# wrong: head_ablation_hook: zeroes a copy and returns None, so the tensor the model goes on with is unchanged

def head_ablation_hook(z, hook, head_index_to_ablate):
    z = z.clone()
    z[:, :, head_index_to_ablate, :] = 0.0
