# wrong: get_batched_comp_scores: the norms of the left factors (.A) for those of the matrices
# names: left factors (.A)

def get_batched_comp_scores(W_As, W_Bs):
    W_As = FactoredMatrix(W_As.A.reshape(-1, 1, *W_As.A.shape[-2:]), W_As.B.reshape(-1, 1, *W_As.B.shape[-2:]))
    W_Bs = FactoredMatrix(W_Bs.A.reshape(1, -1, *W_Bs.A.shape[-2:]), W_Bs.B.reshape(1, -1, *W_Bs.B.shape[-2:]))
    norm = lambda M: M.A.pow(2).sum((-2, -1)).sqrt()
    return norm(W_As @ W_Bs) / (norm(W_As) * norm(W_Bs))
