# wrong: get_ablation_scores: its hook calls head_ablation_hook and drops what it returns
# names: no ablation changed the loss

def get_ablation_scores(model, tokens):
    scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads))
    clean = model(tokens, return_type="loss")
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):

            def ablate(z, hook):
                head_ablation_hook(z, hook, head)

            loss = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(f"blocks.{layer}.attn.hook_z", ablate)])
            scores[layer, head] = loss - clean
    return scores
