# wrong: logit_attribution: the activations of positions 1.. instead of ..-1
# names: take them at [:-1]

def logit_attribution(embed, l1_results, l2_results, W_U, tokens):
    W_U_correct_tokens = W_U[:, tokens[1:]]
    direct = (embed[1:] * W_U_correct_tokens.T).sum(-1)
    l1 = (l1_results[1:] * W_U_correct_tokens.T[:, None, :]).sum(-1)
    l2 = (l2_results[1:] * W_U_correct_tokens.T[:, None, :]).sum(-1)
    return t.cat([direct[:, None], l1, l2], dim=1)
