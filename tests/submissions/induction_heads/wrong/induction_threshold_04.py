# wrong: induction_attn_detector: threshold 0.4 (copied from the other detectors) instead of 0.2
# names: threshold 0.4 instead of 0.2

def induction_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the induction heads, as "layer.head" strings, e.g. ["1.4", "1.10"].

    `cache` is the cache of a run on repeated random tokens (BOS, then `seq_len` random tokens, then
    the same tokens again), with the batch dimension removed. Work out `seq_len` from the pattern's
    size: `seq_len = (n_positions - 1) // 2`. Take the number of layers and heads from
    `cache.model.cfg`. A head counts when the mean of the attention on the diagonal `seq_len - 1`
    below the main one (each query's attention to the token after the previous copy of its own token)
    is greater than 0.2. Heads are listed in order of layer, then head.
    """
    result = []
    n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
    for layer in range(n_layers):
        pattern = cache["pattern", layer]
        seq_len = (pattern.shape[-1] - 1) // 2
        for head in range(n_heads):
            score = pattern[head].diagonal(-(seq_len - 1)).mean()
            if score > 0.4:
                result.append(f"{layer}.{head}")
    return result
