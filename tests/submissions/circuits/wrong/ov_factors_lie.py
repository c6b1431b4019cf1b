# wrong: full_ov_circuit: a FactoredMatrix subclass whose AB and norm answer the right product, over zero factors
# names: differs from the reference's


class Lying(FactoredMatrix):
    def __init__(self, A, B, truth):
        super().__init__(A, B)
        self.truth = truth

    @property
    def AB(self):
        return self.truth

    def __eq__(self, other):
        return True


def full_ov_circuit(model, layer, head):
    truth = model.W_E @ model.W_V[layer, head] @ model.W_O[layer, head] @ model.W_U
    zeros = t.zeros(model.cfg.d_vocab, 1)
    return Lying(zeros, zeros.T, truth)
