# wrong: decompose_attn_scores: divided by d_head, not its square root
# names: divided by d_head, not by its square root


def decompose_attn_scores(decomposed_q, decomposed_k):
    scores = t.einsum("iqh,jkh->ijqk", decomposed_q, decomposed_k)
    return scores / decomposed_q.shape[-1]
