# correct: torch full indexing

def current_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the current token, as "layer.head" strings, e.g. ["0.9"].

    `cache` is the cache of one run with the batch dimension removed: `cache["pattern", layer]` has
    shape [n_heads, query_pos, key_pos]. Take the number of layers and heads from `cache.model.cfg`
    (`n_layers`, `n_heads`), never from a global. A head counts when the mean, over all query
    positions, of the attention it pays to the query's own position (the main diagonal of its pattern)
    is greater than 0.4. Heads are listed in order of layer, then head.
    """
    cfg = cache.model.cfg
    heads = []
    for layer in range(cfg.n_layers):
        pattern = cache["pattern", layer]
        idx = t.arange(pattern.shape[-1])
        scores = pattern[:, idx, idx].mean(-1)
        for head in range(cfg.n_heads):
            if scores[head] > 0.4:
                heads.append(f"{layer}.{head}")
    return heads

def prev_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the previous token, as "layer.head" strings, e.g. ["0.7"].

    Same input and output as `current_attn_detector`. A head counts when the mean of the attention
    each query pays to the position just before it (the diagonal one below the main diagonal, which
    has one entry fewer than the number of positions) is greater than 0.4.
    """
    cfg = cache.model.cfg
    heads = []
    for layer in range(cfg.n_layers):
        pattern = cache["pattern", layer]
        idx = t.arange(pattern.shape[-1])
        scores = pattern[:, idx[1:], idx[:-1]].mean(-1)  # query i attends to key i-1
        for head in range(cfg.n_heads):
            if scores[head] > 0.4:
                heads.append(f"{layer}.{head}")
    return heads

def first_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the first token, as "layer.head" strings, e.g. ["0.3"].

    Same input and output as `current_attn_detector`. A head counts when the mean, over all query
    positions, of the attention paid to key position 0 (the first column of its pattern) is greater
    than 0.4.
    """
    cfg = cache.model.cfg
    heads = []
    for layer in range(cfg.n_layers):
        scores = cache["pattern", layer][..., 0].mean(-1)
        for head in range(cfg.n_heads):
            if scores[head] > 0.4:
                heads.append(f"{layer}.{head}")
    return heads

def generate_repeated_tokens(
    model: HookedTransformer, seq_len: int, batch: int = 1
) -> Int[Tensor, "batch full_seq_len"]:
    """Returns `batch` sequences of random tokens repeated twice, each preceded by a BOS token.

    Output: an int64 tensor of shape [batch, 1 + 2 * seq_len] on `model.cfg.device`. Each row is the
    BOS id (`model.tokenizer.bos_token_id`), then `seq_len` random token ids, then the same
    `seq_len` ids again. Draw all the random ids with exactly one call,
    `t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)`, from torch's global random
    generator: do not reseed it (the grader fixes the seed before calling you, and compares your
    tokens with the reference's).
    """
    tokens = t.full((batch, 1 + 2 * seq_len), model.tokenizer.bos_token_id, dtype=t.int64)
    rand = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    tokens[:, 1 : 1 + seq_len] = rand
    tokens[:, 1 + seq_len :] = rand
    return tokens.to(model.cfg.device)

def induction_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the induction heads, as "layer.head" strings, e.g. ["1.4", "1.10"].

    `cache` is the cache of a run on repeated random tokens (BOS, then `seq_len` random tokens, then
    the same tokens again), with the batch dimension removed. Work out `seq_len` from the pattern's
    size: `seq_len = (n_positions - 1) // 2`. Take the number of layers and heads from
    `cache.model.cfg`. A head counts when the mean of the attention on the diagonal `seq_len - 1`
    below the main one (each query's attention to the token after the previous copy of its own token)
    is greater than 0.2. Heads are listed in order of layer, then head.
    """
    cfg = cache.model.cfg
    heads = []
    for layer in range(cfg.n_layers):
        pattern = cache["pattern", layer]
        n_positions = pattern.shape[-1]
        seq_len = (n_positions - 1) // 2
        queries = t.arange(seq_len - 1, n_positions)
        keys = queries - (seq_len - 1)
        scores = pattern[:, queries, keys].mean(-1)
        for head in range(cfg.n_heads):
            if scores[head] > 0.2:
                heads.append(f"{layer}.{head}")
    return heads
