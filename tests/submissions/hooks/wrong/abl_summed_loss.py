# wrong: get_ablation_scores: the cross-entropy summed over positions, not averaged
# names: sums the cross-entropy over the positions

def get_ablation_scores(model, tokens):
    scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads))
    clean = model(tokens, return_type="loss", loss_per_token=True).sum()
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            hook = functools.partial(head_ablation_hook, head_index_to_ablate=head)
            loss = model.run_with_hooks(
                tokens, return_type="loss", loss_per_token=True, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)]
            )
            scores[layer, head] = loss.sum() - clean
    return scores
