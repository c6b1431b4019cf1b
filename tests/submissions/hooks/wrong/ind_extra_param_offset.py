# wrong: induction_score_hook: an extra parameter with a default, but the diagonal one position off (offset -seq_len)

def induction_score_hook(pattern, hook, scale=1.0):
    stripe = pattern.diagonal(offset=-seq_len, dim1=-2, dim2=-1)
    induction_score_store[hook.layer(), :] = scale * stripe.mean(dim=(0, -1))
