# wrong: induction_score_hook: the seq_len of the notebook's demo (50), whatever the input
# names: not a fixed number

def induction_score_hook(pattern, hook):
    induction_stripe = pattern.diagonal(dim1=-2, dim2=-1, offset=1 - 50)
    induction_score_store[hook.layer(), :] = induction_stripe.mean(dim=(0, -1))
