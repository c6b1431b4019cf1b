# wrong: induction_score_hook: reads the diagonal seq_len below the main one instead of seq_len - 1
# names: offset -seq_len

def induction_score_hook(pattern: Float[Tensor, "batch head_index dest_pos source_pos"], hook: HookPoint):
    induction_stripe = pattern.diagonal(dim1=-2, dim2=-1, offset=-seq_len)
    induction_score = einops.reduce(induction_stripe, "batch head posn -> head", "mean")
    induction_score_store[hook.layer(), :] = induction_score
