# correct: a Colab copy whose top level loads the model and draws its own rep_tokens outside `if MAIN:`, and whose ablation_induction_score takes the notebook's globals as defaults (`model=model, rep_tokens=rep_tokens, seq_len=seq_len`), bound when the cell ran

from transformer_lens import utils

model = load_model("default")
seq_len = 25
rep_tokens = generate_repeated_tokens(model, seq_len, 1)


def ablation_induction_score(prev_head_index, ind_head_index, model=model, rep_tokens=rep_tokens, seq_len=seq_len):
    def ablate(v, hook):
        if prev_head_index is not None:
            v[:, :, prev_head_index] = 0.0

    pattern = []
    model.run_with_hooks(
        rep_tokens,
        fwd_hooks=[
            (utils.get_act_name("v", 0), ablate),
            (utils.get_act_name("pattern", 1), lambda p, hook: pattern.append(p[:, ind_head_index])),
        ],
    )
    return pattern[0].diagonal(-(seq_len - 1), dim1=-2, dim2=-1).mean().item()
