# wrong: decompose_attn_scores: query and key swapped
# names: the query and the key are swapped


def decompose_attn_scores(decomposed_q, decomposed_k):
    return einops.einsum(decomposed_k, decomposed_q, "kc kp h, qc qp h -> kc qc kp qp")
