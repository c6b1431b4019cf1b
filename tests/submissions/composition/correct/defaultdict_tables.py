# correct: the tables built row by row in a collections.defaultdict (a dict of another class), each turned into a tensor

from collections import defaultdict


def get_composition_scores(model):
    W_OV, W_QK = model.OV, model.QK
    rows = defaultdict(list)
    for i in range(model.cfg.n_heads):
        A = W_OV[0, i].AB
        rows["Q"].append([get_comp_score(A, W_QK[1, j].AB) for j in range(model.cfg.n_heads)])
        rows["K"].append([get_comp_score(A, W_QK[1, j].AB.T) for j in range(model.cfg.n_heads)])
        rows["V"].append([get_comp_score(A, W_OV[1, j].AB) for j in range(model.cfg.n_heads)])
    scores = defaultdict(lambda: None)
    for kind, table in rows.items():
        scores[kind] = t.tensor(table)
    return scores
