# wrong: get_batched_comp_scores: the largest singular value (the spectral norm) for the Frobenius norm
# names: spectral norm

def get_batched_comp_scores(W_As, W_Bs):
    W_As = FactoredMatrix(W_As.A.reshape(-1, 1, *W_As.A.shape[-2:]), W_As.B.reshape(-1, 1, *W_As.B.shape[-2:]))
    W_Bs = FactoredMatrix(W_Bs.A.reshape(1, -1, *W_Bs.A.shape[-2:]), W_Bs.B.reshape(1, -1, *W_Bs.B.shape[-2:]))
    top = lambda M: M.S[..., 0]
    return top(W_As @ W_Bs) / (top(W_As) * top(W_Bs))
