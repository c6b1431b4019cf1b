# wrong: current_attn_detector: calls .diagonal() on the [head, q, k] tensor without dim1/dim2, so it takes the head/query diagonal

def current_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the current token, as "layer.head" strings, e.g. ["0.9"].

    `cache` is the cache of one run with the batch dimension removed: `cache["pattern", layer]` has
    shape [n_heads, query_pos, key_pos]. Take the number of layers and heads from `cache.model.cfg`
    (`n_layers`, `n_heads`), never from a global. A head counts when the mean, over all query
    positions, of the attention it pays to the query's own position (the main diagonal of its pattern)
    is greater than 0.4. Heads are listed in order of layer, then head.
    """
    cfg = cache.model.cfg
    result = []
    for layer in range(cfg.n_layers):
        pattern = cache["pattern", layer]  # [head, q, k]
        scores = pattern.diagonal().mean(dim=-1)  # meant to be one score per head
        for head in range(cfg.n_heads):
            if scores[head] > 0.4:
                result.append(f"{layer}.{head}")
    return result
