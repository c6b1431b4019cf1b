# wrong: ablation_induction_score: the diagonal seq_len below the main one (offset -seq_len)
# names: offset -seq_len

def ablation_induction_score(prev_head_index, ind_head_index):
    def ablation_hook(v, hook):
        if prev_head_index is not None:
            v[:, :, prev_head_index] = 0.0
        return v

    def induction_pattern_hook(attn, hook):
        hook.ctx[prev_head_index] = attn[0, ind_head_index].diag(-seq_len).mean()

    model.run_with_hooks(
        rep_tokens,
        fwd_hooks=[(utils.get_act_name("v", 0), ablation_hook), (utils.get_act_name("pattern", 1), induction_pattern_hook)],
    )
    return model.blocks[1].attn.hook_pattern.ctx[prev_head_index].item()


from transformer_lens import utils
