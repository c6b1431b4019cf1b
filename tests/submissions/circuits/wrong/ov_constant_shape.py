# wrong: full_ov_circuit: a constant FactoredMatrix of the right shape, whatever the head
# names: differs from the reference's


def full_ov_circuit(model, layer, head):
    ones = t.ones(model.cfg.d_vocab, 1)
    return FactoredMatrix(ones, ones.T)
