# wrong: ablation_induction_score: ablates head prev_head_index of layer 1
# names: nothing was ablated

def ablation_induction_score(prev_head_index, ind_head_index):
    found = {}

    def ablation_hook(z, hook):
        if prev_head_index is not None:
            z[:, :, prev_head_index] = 0.0
        return z

    def induction_pattern_hook(attn, hook):
        found["score"] = attn[0, ind_head_index].diag(1 - seq_len).mean()

    model.run_with_hooks(rep_tokens, fwd_hooks=[("blocks.1.attn.hook_z", ablation_hook), ("blocks.1.attn.hook_pattern", induction_pattern_hook)])
    return found["score"].item()
