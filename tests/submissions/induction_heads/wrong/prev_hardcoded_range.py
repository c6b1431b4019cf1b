# wrong: prev_attn_detector: hard-codes range(2) layers and range(12) heads instead of cache.model.cfg
# names: fixed number of layers or heads

def prev_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the previous token, as "layer.head" strings, e.g. ["0.7"].

    Same input and output as `current_attn_detector`. A head counts when the mean of the attention
    each query pays to the position just before it (the diagonal one below the main diagonal, which
    has one entry fewer than the number of positions) is greater than 0.4.
    """
    result = []
    for layer in range(2):
        for head in range(12):
            attn = cache["pattern", layer][head]
            score = attn.diag(-1).mean()
            if score > 0.4:
                result.append(f"{layer}.{head}")
    return result
