# wrong: induction_score_hook: takes the diagonal above the main one (positive offset)
# names: diagonal above the main one

def induction_score_hook(pattern: Float[Tensor, "batch head_index dest_pos source_pos"], hook: HookPoint):
    stripe = pattern.diagonal(offset=seq_len - 1, dim1=-2, dim2=-1)
    induction_score_store[hook.layer(), :] = stripe.mean(dim=(0, -1))
