# wrong: first_attn_detector: infinite loop (`continue` skips `head += 1`, spins forever on the first head at or below the threshold)

def first_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the first token, as "layer.head" strings, e.g. ["0.3"].

    Same input and output as `current_attn_detector`. A head counts when the mean, over all query
    positions, of the attention paid to key position 0 (the first column of its pattern) is greater
    than 0.4.
    """
    result = []
    n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
    for layer in range(n_layers):
        head = 0
        while head < n_heads:
            score = cache["pattern", layer][head, :, 0].mean()
            if score <= 0.4:
                continue  # not a first-token head, skip it
            result.append(f"{layer}.{head}")
            head += 1
    return result
