# wrong: first_attn_detector: extends the result with the running list after every layer, so earlier layers' heads appear twice
# names: listed twice

def first_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the first token, as "layer.head" strings, e.g. ["0.3"].

    Same input and output as `current_attn_detector`. A head counts when the mean, over all query
    positions, of the attention paid to key position 0 (the first column of its pattern) is greater
    than 0.4.
    """
    cfg = cache.model.cfg
    result = []
    found = []
    for layer in range(cfg.n_layers):
        for head in range(cfg.n_heads):
            if cache["pattern", layer][head, :, 0].mean() > 0.4:
                found.append(f"{layer}.{head}")
        result.extend(found)
    return result
