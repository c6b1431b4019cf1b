# wrong: induction_score_hook: forgets the mean over the batch (a [batch, n_heads] tensor for one row)
# names: take the mean of the stripe over the batch and the positions

def induction_score_hook(pattern: Float[Tensor, "batch head_index dest_pos source_pos"], hook: HookPoint):
    stripe = pattern.diagonal(offset=1 - seq_len, dim1=-2, dim2=-1)
    induction_score_store[hook.layer(), :] = stripe.mean(-1)
