# wrong: ablation_induction_score: the hook zeroes a copy and returns nothing, so nothing is ablated
# names: nothing was ablated

def ablation_induction_score(prev_head_index, ind_head_index):
    found = {}

    def ablation_hook(v, hook):
        v = v.clone()
        if prev_head_index is not None:
            v[:, :, prev_head_index] = 0.0

    def induction_pattern_hook(attn, hook):
        found["score"] = attn[:, ind_head_index].diagonal(1 - seq_len, dim1=-2, dim2=-1).mean()

    model.run_with_hooks(rep_tokens, fwd_hooks=[("blocks.0.attn.hook_v", ablation_hook), ("blocks.1.attn.hook_pattern", induction_pattern_hook)])
    return found["score"].item()
