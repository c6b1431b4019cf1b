# wrong: get_comp_score: the spectral norm (ord=2) for the Frobenius norm
# names: spectral norm

def get_comp_score(W_A, W_B):
    norm = lambda W: t.linalg.matrix_norm(W, ord=2)
    return (norm(W_A @ W_B) / (norm(W_A) * norm(W_B))).item()
