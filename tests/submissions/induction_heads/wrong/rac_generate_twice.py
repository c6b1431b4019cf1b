# wrong: run_and_cache_model_repeated_tokens: calls generate_repeated_tokens twice: returns the first tokens but runs the model on the second
# names: the logits differ from the model's output on the tokens

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
    tokens = generate_repeated_tokens(model, seq_len, batch)
    logits, cache = model.run_with_cache(generate_repeated_tokens(model, seq_len, batch))
    return tokens, logits, cache
