# wrong: generate_single_random_comp_score: a seed set inside, so every call draws the same matrices
# names: the same score

def generate_single_random_comp_score():
    t.manual_seed(42)
    Ws = [t.randn(model.cfg.d_model, model.cfg.d_head) for _ in range(4)]
    return get_comp_score(Ws[0] @ Ws[1].T, Ws[2] @ Ws[3].T)
