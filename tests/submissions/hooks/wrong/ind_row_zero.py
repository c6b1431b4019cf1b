# wrong: induction_score_hook: writes every layer into row 0
# names: row 0 of induction_score_store

def induction_score_hook(pattern: Float[Tensor, "batch head_index dest_pos source_pos"], hook: HookPoint):
    stripe = pattern.diagonal(offset=1 - seq_len, dim1=-2, dim2=-1)
    induction_score_store[0] = stripe.mean(dim=(0, 2))
