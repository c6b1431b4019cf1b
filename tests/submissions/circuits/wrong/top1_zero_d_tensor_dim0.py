# wrong: top_1_acc: a 0-d tensor (accepted as a number) of the argmax over dim 0, computed in numpy
# names: the argmax is over dim 0


def top_1_acc(full_OV_circuit):
    AB = full_OV_circuit.AB.numpy()
    return t.tensor(float(np.mean(AB.argmax(0) == np.arange(AB.shape[0]))))
