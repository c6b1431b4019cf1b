# correct: kwargs hook names

def current_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the current token, as "layer.head" strings, e.g. ["0.9"].

    `cache` is the cache of one run with the batch dimension removed: `cache["pattern", layer]` has
    shape [n_heads, query_pos, key_pos]. Take the number of layers and heads from `cache.model.cfg`
    (`n_layers`, `n_heads`), never from a global. A head counts when the mean, over all query
    positions, of the attention it pays to the query's own position (the main diagonal of its pattern)
    is greater than 0.4. Heads are listed in order of layer, then head.
    """
    n_layers = cache.model.cfg.n_layers
    n_heads = cache.model.cfg.n_heads
    attn_heads = []
    for layer in range(n_layers):
        pattern = cache[f"blocks.{layer}.attn.hook_pattern"]
        for head in range(n_heads):
            if t.diagonal(pattern[head], offset=0).mean().item() > 0.4:
                attn_heads.append(f"{layer}.{head}")
    return attn_heads

def prev_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the previous token, as "layer.head" strings, e.g. ["0.7"].

    Same input and output as `current_attn_detector`. A head counts when the mean of the attention
    each query pays to the position just before it (the diagonal one below the main diagonal, which
    has one entry fewer than the number of positions) is greater than 0.4.
    """
    n_layers = cache.model.cfg.n_layers
    n_heads = cache.model.cfg.n_heads
    attn_heads = []
    for layer in range(n_layers):
        pattern = cache[f"blocks.{layer}.attn.hook_pattern"]
        for head in range(n_heads):
            if t.diagonal(pattern[head], offset=-1).mean().item() > 0.4:
                attn_heads.append(f"{layer}.{head}")
    return attn_heads

def first_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the first token, as "layer.head" strings, e.g. ["0.3"].

    Same input and output as `current_attn_detector`. A head counts when the mean, over all query
    positions, of the attention paid to key position 0 (the first column of its pattern) is greater
    than 0.4.
    """
    n_layers = cache.model.cfg.n_layers
    n_heads = cache.model.cfg.n_heads
    attn_heads = []
    for layer in range(n_layers):
        pattern = cache[f"blocks.{layer}.attn.hook_pattern"]
        for head in range(n_heads):
            if pattern[head, :, 0].mean().item() > 0.4:
                attn_heads.append(f"{layer}.{head}")
    return attn_heads

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
    random_tokens = t.randint(low=0, high=model.cfg.d_vocab, size=(batch, seq_len), dtype=t.int64)
    bos_tokens = t.full(size=(batch, 1), fill_value=model.tokenizer.bos_token_id, dtype=t.int64)
    return t.cat(tensors=[bos_tokens, random_tokens, random_tokens], dim=1).to(device=model.cfg.device)

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
    tokens = generate_repeated_tokens(model=model, seq_len=seq_len, batch=batch)
    logits, cache = model.run_with_cache(tokens, remove_batch_dim=False)
    return tokens, logits, cache

def induction_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the induction heads, as "layer.head" strings, e.g. ["1.4", "1.10"].

    `cache` is the cache of a run on repeated random tokens (BOS, then `seq_len` random tokens, then
    the same tokens again), with the batch dimension removed. Work out `seq_len` from the pattern's
    size: `seq_len = (n_positions - 1) // 2`. Take the number of layers and heads from
    `cache.model.cfg`. A head counts when the mean of the attention on the diagonal `seq_len - 1`
    below the main one (each query's attention to the token after the previous copy of its own token)
    is greater than 0.2. Heads are listed in order of layer, then head.
    """
    n_layers = cache.model.cfg.n_layers
    n_heads = cache.model.cfg.n_heads
    attn_heads = []
    for layer in range(n_layers):
        pattern = cache[f"blocks.{layer}.attn.hook_pattern"]
        seq_len = (pattern.shape[-1] - 1) // 2
        for head in range(n_heads):
            if t.diagonal(pattern[head], offset=-(seq_len - 1)).mean().item() > 0.2:
                attn_heads.append(f"{layer}.{head}")
    return attn_heads
