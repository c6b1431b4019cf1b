# correct: an additive causal mask, -10000 added to every score of a key after its query (BERT's and GPT-2's code): masked entries lie near -1e4, some above it

def mask_scores(attn_scores):
    n = attn_scores.shape[-1]
    causal = t.tril(t.ones(n, n, device=attn_scores.device))
    return attn_scores + (1.0 - causal) * -10000.0
