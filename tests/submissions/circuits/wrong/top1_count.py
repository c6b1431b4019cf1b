# wrong: top_1_acc: the number of tokens, not the fraction
# names: the number of tokens, not the fraction


def top_1_acc(full_OV_circuit):
    AB = full_OV_circuit.AB
    return (t.argmax(AB, dim=1) == t.arange(AB.shape[0])).sum().item()
