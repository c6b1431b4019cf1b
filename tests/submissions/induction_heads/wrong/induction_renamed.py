# wrong: induction_attn_detector: renamed
# removes: induction_attn_detector

def induction_detector(cache: ActivationCache) -> list[str]:
    """Returns the induction heads, as "layer.head" strings, e.g. ["1.4", "1.10"].

    `cache` is the cache of a run on repeated random tokens (BOS, then `seq_len` random tokens, then
    the same tokens again), with the batch dimension removed. Work out `seq_len` from the pattern's
    size: `seq_len = (n_positions - 1) // 2`. Take the number of layers and heads from
    `cache.model.cfg`. A head counts when the mean of the attention on the diagonal `seq_len - 1`
    below the main one (each query's attention to the token after the previous copy of its own token)
    is greater than 0.2. Heads are listed in order of layer, then head.
    """
    cfg = cache.model.cfg
    patterns = t.stack([cache["pattern", layer] for layer in range(cfg.n_layers)])  # [layer, head, q, k]
    seq_len = (patterns.shape[-1] - 1) // 2
    scores = t.diagonal(patterns, offset=-(seq_len - 1), dim1=-2, dim2=-1).mean(dim=-1)
    return [f"{layer}.{head}" for layer, head in (scores > 0.2).nonzero().tolist()]
