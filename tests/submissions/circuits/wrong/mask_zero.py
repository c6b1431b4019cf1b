# wrong: mask_scores: masked with 0, not a large negative number
# names: the masked scores are 0


def mask_scores(attn_scores):
    return attn_scores * t.tril(t.ones_like(attn_scores))
