# wrong: first_attn_detector: leaves query position 0 out of the mean (attn[1:, 0])

def first_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the first token, as "layer.head" strings, e.g. ["0.3"].

    Same input and output as `current_attn_detector`. A head counts when the mean, over all query
    positions, of the attention paid to key position 0 (the first column of its pattern) is greater
    than 0.4.
    """
    result = []
    n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
    for layer in range(n_layers):
        for head in range(n_heads):
            attn = cache["pattern", layer][head]
            score = attn[1:, 0].mean()
            if score > 0.4:
                result.append(f"{layer}.{head}")
    return result
