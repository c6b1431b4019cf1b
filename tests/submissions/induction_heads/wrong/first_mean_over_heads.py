# wrong: first_attn_detector: averages the first column over the head axis instead of the query axis, and indexes the result by head

def first_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the first token, as "layer.head" strings, e.g. ["0.3"].

    Same input and output as `current_attn_detector`. A head counts when the mean, over all query
    positions, of the attention paid to key position 0 (the first column of its pattern) is greater
    than 0.4.
    """
    cfg = cache.model.cfg
    result = []
    for layer in range(cfg.n_layers):
        first_col = cache["pattern", layer][:, :, 0]  # [head, q]
        scores = first_col.mean(dim=0)
        for head in range(cfg.n_heads):
            if scores[head] > 0.4:
                result.append(f"{layer}.{head}")
    return result
