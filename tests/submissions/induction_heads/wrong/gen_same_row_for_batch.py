# wrong: generate_repeated_tokens: draws a single row of shape (seq_len,) and repeats it for every batch row

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
    rand = t.randint(0, model.cfg.d_vocab, (seq_len,), dtype=t.int64)
    row = t.cat([t.tensor([model.tokenizer.bos_token_id]), rand, rand])
    return row.repeat(batch, 1).to(model.cfg.device)
