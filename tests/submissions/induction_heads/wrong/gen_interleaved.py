# wrong: generate_repeated_tokens: repeats each token in place with repeat_interleave (a a b b ...) instead of repeating the whole sequence

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
    return t.cat([bos, rand.repeat_interleave(2, dim=-1)], dim=-1).to(model.cfg.device)
