# wrong: top_1_acc: argmax over dim 0, as ARENA's docstring says
# names: the argmax is over dim 0


def top_1_acc(full_OV_circuit):
    AB = full_OV_circuit.AB
    return (t.argmax(AB, dim=0) == t.arange(AB.shape[0])).float().mean().item()
