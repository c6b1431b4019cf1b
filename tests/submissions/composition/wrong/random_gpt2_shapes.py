# wrong: generate_single_random_comp_score: GPT-2's d_model and d_head written in, not the model's
# names: their mean is off

def generate_single_random_comp_score():
    Ws = [t.empty(768, 64) for _ in range(4)]
    for W in Ws:
        nn.init.kaiming_uniform_(W, a=np.sqrt(5))
    return get_comp_score(Ws[0] @ Ws[1].T, Ws[2] @ Ws[3].T)
