# wrong: decompose_qk_input: pos_embed missing
# names: one component missing


def decompose_qk_input(cache):
    return t.cat([cache["embed"][None], cache["result", 0].transpose(0, 1)])
