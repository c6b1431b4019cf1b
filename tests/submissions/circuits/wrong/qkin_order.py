# wrong: decompose_qk_input: pos_embed before embed
# names: the right components in another order


def decompose_qk_input(cache):
    return t.cat([cache["pos_embed"][None], cache["embed"][None], cache["result", 0].transpose(0, 1)])
