# correct: ARENA 3.0's mask_scores word for word, with its assert that the scores are [n_ctx, n_ctx] of the global model

def mask_scores(attn_scores: Float[Tensor, "query_nctx key_nctx"]):
    """Mask the attention scores so that tokens don't attend to previous tokens."""
    assert attn_scores.shape == (model.cfg.n_ctx, model.cfg.n_ctx)
    mask = t.tril(t.ones_like(attn_scores)).bool()
    neg_inf = t.tensor(-1.0e6).to(attn_scores.device)
    masked_attn_scores = t.where(mask, attn_scores, neg_inf)
    return masked_attn_scores
