# wrong: mask_scores: masks the diagonal too
# names: masks the diagonal too


def mask_scores(attn_scores):
    mask = t.tril(t.ones_like(attn_scores), diagonal=-1).bool()
    return attn_scores.masked_fill(~mask, -1e6)
