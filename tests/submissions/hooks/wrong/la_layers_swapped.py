# wrong: logit_attribution: layer 1's heads before layer 0's
# names: the two layers are swapped

def logit_attribution(embed, l1_results, l2_results, W_U, tokens):
    W_U_correct_tokens = W_U[:, tokens[1:]]
    direct = einops.einsum(W_U_correct_tokens, embed[:-1], "emb seq, seq emb -> seq")
    l1 = einops.einsum(W_U_correct_tokens, l1_results[:-1], "emb seq, seq nheads emb -> seq nheads")
    l2 = einops.einsum(W_U_correct_tokens, l2_results[:-1], "emb seq, seq nheads emb -> seq nheads")
    return t.concat([direct.unsqueeze(-1), l2, l1], dim=-1)
