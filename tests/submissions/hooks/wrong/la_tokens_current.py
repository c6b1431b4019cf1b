# wrong: logit_attribution: the logits of the current tokens (tokens[:-1]) instead of the next ones
# names: use tokens[1:]

def logit_attribution(embed, l1_results, l2_results, W_U, tokens):
    W_U_tokens = W_U[:, tokens[:-1]]
    direct = einops.einsum(W_U_tokens, embed[:-1], "emb seq, seq emb -> seq")
    l1 = einops.einsum(W_U_tokens, l1_results[:-1], "emb seq, seq nheads emb -> seq nheads")
    l2 = einops.einsum(W_U_tokens, l2_results[:-1], "emb seq, seq nheads emb -> seq nheads")
    return t.concat([direct.unsqueeze(-1), l1, l2], dim=-1)
