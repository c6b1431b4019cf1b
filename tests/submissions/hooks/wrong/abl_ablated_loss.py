# wrong: get_ablation_scores: returns the ablated loss, not its increase
# names: subtract the loss without ablation

def get_ablation_scores(model, tokens):
    scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads))
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            hook = functools.partial(head_ablation_hook, head_index_to_ablate=head)
            scores[layer, head] = model.run_with_hooks(
                tokens, return_type="loss", fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)]
            )
    return scores
