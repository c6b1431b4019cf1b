# wrong: decompose_attn_scores: the positions transposed
# names: the positions are transposed


def decompose_attn_scores(decomposed_q, decomposed_k):
    return (
        einops.einsum(decomposed_q, decomposed_k, "qc qp h, kc kp h -> qc kc kp qp")
        / decomposed_q.shape[-1] ** 0.5
    )
