# wrong: top_1_acc: compares with .A instead of .AB
# names: .A instead of .AB


def top_1_acc(full_OV_circuit):
    A = full_OV_circuit.A
    return (t.argmax(A, dim=1) == t.arange(A.shape[0])).float().mean().item()
