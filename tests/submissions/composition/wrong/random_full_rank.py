# wrong: generate_single_random_comp_score: full-rank [d_model, d_model] random matrices
# names: not full-rank

def generate_single_random_comp_score():
    W_A = t.randn(model.cfg.d_model, model.cfg.d_model)
    W_B = t.randn(model.cfg.d_model, model.cfg.d_model)
    return get_comp_score(W_A, W_B)
