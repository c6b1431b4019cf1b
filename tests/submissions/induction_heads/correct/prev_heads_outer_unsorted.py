# correct: prev heads outer unsorted

def current_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the current token, as "layer.head" strings, e.g. ["0.9"].

    `cache` is the cache of one run with the batch dimension removed: `cache["pattern", layer]` has
    shape [n_heads, query_pos, key_pos]. Take the number of layers and heads from `cache.model.cfg`
    (`n_layers`, `n_heads`), never from a global. A head counts when the mean, over all query
    positions, of the attention it pays to the query's own position (the main diagonal of its pattern)
    is greater than 0.4. Heads are listed in order of layer, then head.
    """
    result = []
    n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
    for layer in range(n_layers):
        for head in range(n_heads):
            attn = cache["pattern", layer][head]
            score = attn.diag().mean()
            if score > 0.4:
                result.append(f"{layer}.{head}")
    return result

def prev_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the previous token, as "layer.head" strings, e.g. ["0.7"].

    Same input and output as `current_attn_detector`. A head counts when the mean of the attention
    each query pays to the position just before it (the diagonal one below the main diagonal, which
    has one entry fewer than the number of positions) is greater than 0.4.
    """
    cfg = cache.model.cfg
    result = []
    for head in range(cfg.n_heads):
        for layer in range(cfg.n_layers):
            if cache["pattern", layer][head].diag(-1).mean() > 0.4:
                result.append(f"{layer}.{head}")
    return result

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
            score = attn[:, 0].mean()
            if score > 0.4:
                result.append(f"{layer}.{head}")
    return result

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
    bos = t.full((batch, 1), model.tokenizer.bos_token_id, dtype=t.int64)
    rand = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    rep_tokens = t.cat([bos, rand, rand], dim=-1)
    return rep_tokens.to(model.cfg.device)

def run_and_cache_model_repeated_tokens(
    model: HookedTransformer, seq_len: int, batch: int = 1
) -> tuple[Int[Tensor, "batch full_seq_len"], Float[Tensor, "batch full_seq_len d_vocab"], ActivationCache]:
    """Generates repeated random tokens, runs the model on them and caches its activations.

    Use `generate_repeated_tokens(model, seq_len, batch)` for the tokens. Returns the tuple
    `(tokens, logits, cache)`, in that order:
        tokens: [batch, 1 + 2 * seq_len], as returned by `generate_repeated_tokens`
        logits: [batch, 1 + 2 * seq_len, d_vocab], the model's output on those tokens
        cache:  the ActivationCache of that same run, with the batch dimension kept
    """
    rep_tokens = generate_repeated_tokens(model, seq_len, batch)
    rep_logits, rep_cache = model.run_with_cache(rep_tokens)
    return rep_tokens, rep_logits, rep_cache

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
        for head in range(n_heads):
            attn = cache["pattern", layer][head]
            seq_len = (attn.shape[-1] - 1) // 2
            score = attn.diagonal(-(seq_len - 1)).mean()
            if score > 0.2:
                result.append(f"{layer}.{head}")
    return result
