# pack: composition
# base: stubs
# max_score: 0
# expect: constant answers earn nothing: a format test pays only on evidence that the answer is
# computed from the input (a value test passed on it, or it changes as the reference's does).
# Every function returns something of the right form built from its inputs' shapes alone: a zero
# FactoredMatrix of the model's vocabulary, scores of 0.5, tables of zeros, the mean random score.
import torch as t
from transformer_lens import FactoredMatrix


def find_K_comp_full_circuit(model, prev_token_head_index, ind_head_index):
    vocab = model.cfg.d_vocab
    return FactoredMatrix(t.zeros(vocab, 1), t.zeros(1, vocab))


def get_comp_score(W_A, W_B):
    return 0.5


def get_composition_scores(model):
    return {kind: t.zeros(model.cfg.n_heads, model.cfg.n_heads) for kind in "QKV"}


def generate_single_random_comp_score():
    return 0.125


def get_batched_comp_scores(W_As, W_Bs):
    return t.full((*W_As.shape[:-2], *W_Bs.shape[:-2]), 0.3)


def ablation_induction_score(prev_head_index, ind_head_index):
    return 0.08
