# correct: the hook's extra argument is keyword-only (`*, head_index_to_ablate`), as functools.partial(hook, head_index_to_ablate=head) passes it

import functools


def head_ablation_hook(z, hook, *, head_index_to_ablate):
    out = z.clone()
    out[:, :, head_index_to_ablate] = 0.0
    return out


def get_ablation_scores(model, tokens):
    base = model(tokens, return_type="loss")
    scores = t.zeros(model.cfg.n_layers, model.cfg.n_heads)
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            hook = functools.partial(head_ablation_hook, head_index_to_ablate=head)
            loss = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])
            scores[layer, head] = loss - base
    return scores
