# correct: ARENA 3.0 style: zeroes the head in place and returns None (TransformerLens goes on with the changed tensor)

def head_ablation_hook(z, hook, head_index_to_ablate):
    z[:, :, head_index_to_ablate, :] = 0.0
