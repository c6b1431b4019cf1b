# wrong: get_comp_score: squared norms, no square roots
# names: squared Frobenius norms

def get_comp_score(W_A, W_B):
    return ((W_A @ W_B).pow(2).sum() / (W_A.pow(2).sum() * W_B.pow(2).sum())).item()
