# wrong: get_comp_score: the nuclear norm
# names: nuclear norm

def get_comp_score(W_A, W_B):
    norm = lambda W: t.linalg.matrix_norm(W, ord="nuc")
    return float(norm(W_A @ W_B) / (norm(W_A) * norm(W_B)))
