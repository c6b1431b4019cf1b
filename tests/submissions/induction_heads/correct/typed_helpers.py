# correct: typed helpers

from typing import Callable

def _layer_and_head_counts(cache: ActivationCache) -> tuple[int, int]:
    """(n_layers, n_heads) of the model that produced the cache."""
    cfg = cache.model.cfg
    return cfg.n_layers, cfg.n_heads

def _heads_where(
    cache: ActivationCache,
    score_fn: Callable[[Float[Tensor, "head q k"]], Float[Tensor, "head"]],
    threshold: float,
) -> list[str]:
    """All "layer.head" whose score (computed per layer by score_fn) is above threshold."""
    n_layers, n_heads = _layer_and_head_counts(cache)
    heads: list[str] = []
    for layer in range(n_layers):
        pattern: Float[Tensor, "head q k"] = cache["pattern", layer]
        scores: Float[Tensor, "head"] = score_fn(pattern)
        for head in range(n_heads):
            if scores[head].item() > threshold:
                heads.append(f"{layer}.{head}")
    return heads

def _induction_scores(pattern: Float[Tensor, "head q k"]) -> Float[Tensor, "head"]:
    n_positions: int = pattern.shape[-1]
    seq_len: int = (n_positions - 1) // 2
    return pattern.diagonal(offset=-(seq_len - 1), dim1=-2, dim2=-1).mean(-1)

def current_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the current token, as "layer.head" strings, e.g. ["0.9"].

    `cache` is the cache of one run with the batch dimension removed: `cache["pattern", layer]` has
    shape [n_heads, query_pos, key_pos]. Take the number of layers and heads from `cache.model.cfg`
    (`n_layers`, `n_heads`), never from a global. A head counts when the mean, over all query
    positions, of the attention it pays to the query's own position (the main diagonal of its pattern)
    is greater than 0.4. Heads are listed in order of layer, then head.
    """
    return _heads_where(cache, lambda p: p.diagonal(offset=0, dim1=-2, dim2=-1).mean(-1), 0.4)

def prev_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the previous token, as "layer.head" strings, e.g. ["0.7"].

    Same input and output as `current_attn_detector`. A head counts when the mean of the attention
    each query pays to the position just before it (the diagonal one below the main diagonal, which
    has one entry fewer than the number of positions) is greater than 0.4.
    """
    return _heads_where(cache, lambda p: p.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1), 0.4)

def first_attn_detector(cache: ActivationCache) -> list[str]:
    """Returns the heads that attend mostly to the first token, as "layer.head" strings, e.g. ["0.3"].

    Same input and output as `current_attn_detector`. A head counts when the mean, over all query
    positions, of the attention paid to key position 0 (the first column of its pattern) is greater
    than 0.4.
    """
    return _heads_where(cache, lambda p: p[:, :, 0].mean(-1), 0.4)

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
    bos_id: int = model.tokenizer.bos_token_id
    half: Int[Tensor, "batch seq_len"] = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    bos: Int[Tensor, "batch 1"] = t.full((batch, 1), bos_id, dtype=t.int64)
    return t.cat([bos, half, half], dim=-1).to(model.cfg.device)

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
    tokens: Int[Tensor, "batch full_seq_len"] = generate_repeated_tokens(model, seq_len, batch)
    logits: Float[Tensor, "batch full_seq_len d_vocab"]
    logits, cache = model.run_with_cache(tokens)
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
    return _heads_where(cache, _induction_scores, 0.2)
