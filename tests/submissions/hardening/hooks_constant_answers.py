# pack: hooks
# base: stubs
# max_score: 0
# expect: constant answers earn nothing: a format test pays only on evidence that the answer is
# computed from the input (a value test passed on it, or it changes as the reference's does).
# Every function returns something of the right form built from its inputs' shapes alone: a store
# filled with ones, zero logits of the right shape, z times 0, zero scores.
# Before: 11/40 on secret inputs (the four format tests).
import torch as t


def induction_score_hook(pattern, hook):
    induction_score_store[hook.layer(), :] = 1.0  # noqa: F821 (a notebook global the grader binds)


def logit_attribution(embed, l1_results, l2_results, W_U, tokens):
    return t.zeros(tokens.shape[0] - 1, 1 + l1_results.shape[1] + l2_results.shape[1])


def head_ablation_hook(z, hook, head_index_to_ablate):
    return z * 0


def get_ablation_scores(model, tokens):
    return t.zeros(model.cfg.n_layers, model.cfg.n_heads)
