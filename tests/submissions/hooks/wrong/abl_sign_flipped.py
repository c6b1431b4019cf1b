# wrong: get_ablation_scores: clean loss minus ablated loss
# names: the sign is flipped

def get_ablation_scores(model, tokens):
    scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads), device=model.cfg.device)
    clean = model(tokens, return_type="loss")
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            loss = model.run_with_hooks(
                tokens,
                return_type="loss",
                fwd_hooks=[(f"blocks.{layer}.attn.hook_z", functools.partial(head_ablation_hook, head_index_to_ablate=head))],
            )
            scores[layer, head] = clean - loss
    return scores
