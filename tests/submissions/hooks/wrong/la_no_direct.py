# wrong: logit_attribution: leaves out the direct path
# names: leaves out the direct path

def logit_attribution(embed, l1_results, l2_results, W_U, tokens):
    W_U_correct_tokens = W_U[:, tokens[1:]]
    l1 = einops.einsum(W_U_correct_tokens, l1_results[:-1], "emb seq, seq nheads emb -> seq nheads")
    l2 = einops.einsum(W_U_correct_tokens, l2_results[:-1], "emb seq, seq nheads emb -> seq nheads")
    return t.concat([l1, l2], dim=-1)
