# wrong: mask_scores: triu for tril (masks the past)
# names: triu for tril


def mask_scores(attn_scores):
    mask = t.triu(t.ones_like(attn_scores)).bool()
    return t.where(mask, attn_scores, t.tensor(-1.0e6))
