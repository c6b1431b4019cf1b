# wrong: induction_score_hook: sums the stripe over the positions
# names: sums the stripe over the positions

def induction_score_hook(pattern: Float[Tensor, "batch head_index dest_pos source_pos"], hook: HookPoint):
    stripe = pattern.diagonal(offset=1 - seq_len, dim1=-2, dim2=-1)
    induction_score_store[hook.layer(), :] = stripe.sum(-1).mean(0)
