# wrong: induction_score_hook: averages over the first sequence of the batch only
# names: first sequence of the batch only

def induction_score_hook(pattern: Float[Tensor, "batch head_index dest_pos source_pos"], hook: HookPoint):
    stripe = pattern[0].diagonal(offset=1 - seq_len, dim1=-2, dim2=-1)  # [head, posn]
    induction_score_store[hook.layer(), :] = stripe.mean(-1)
