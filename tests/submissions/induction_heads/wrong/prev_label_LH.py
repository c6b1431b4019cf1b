# wrong: prev_attn_detector: labels formatted as "L{layer}H{head}" instead of "layer.head"
# names: not of the form

def prev_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the previous token, as "layer.head" strings, e.g. ["0.7"].

    Same input and output as `current_attn_detector`. A head counts when the mean of the attention
    each query pays to the position just before it (the diagonal one below the main diagonal, which
    has one entry fewer than the number of positions) is greater than 0.4.
    """
    result = []
    n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
    for layer in range(n_layers):
        for head in range(n_heads):
            attn = cache["pattern", layer][head]
            score = attn.diag(-1).mean()
            if score > 0.4:
                result.append(f"L{layer}H{head}")
    return result
