# wrong: get_ablation_scores: returns [n_heads, n_layers]
# names: transposed: one row per layer

def get_ablation_scores(model, tokens):
    scores = t.zeros((model.cfg.n_heads, model.cfg.n_layers))
    clean = model(tokens, return_type="loss")
    for head in range(model.cfg.n_heads):
        for layer in range(model.cfg.n_layers):
            hook = functools.partial(head_ablation_hook, head_index_to_ablate=head)
            loss = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])
            scores[head, layer] = loss - clean
    return scores
