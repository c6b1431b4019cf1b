# correct: uses the global `model.cfg` (only defined under MAIN) instead of cache.model.cfg, which the grader binds

def current_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the current token, as "layer.head" strings, e.g. ["0.9"].

    `cache` is the cache of one run with the batch dimension removed: `cache["pattern", layer]` has
    shape [n_heads, query_pos, key_pos]. Take the number of layers and heads from `cache.model.cfg`
    (`n_layers`, `n_heads`), never from a global. A head counts when the mean, over all query
    positions, of the attention it pays to the query's own position (the main diagonal of its pattern)
    is greater than 0.4. Heads are listed in order of layer, then head.
    """
    result = []
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            attn = cache["pattern", layer][head]
            if attn.diag().mean() > 0.4:
                result.append(f"{layer}.{head}")
    return result
