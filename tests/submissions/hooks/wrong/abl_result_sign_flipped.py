# wrong: get_ablation_scores: on hook_result with the loss from its own helper, but the clean loss minus the ablated one
# names: the sign is flipped

def cross_entropy_loss(logits, tokens):
    log_probs = logits.log_softmax(dim=-1)
    return -log_probs[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0].mean()


def get_ablation_scores(model, tokens):
    scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads))
    clean = cross_entropy_loss(model(tokens), tokens)
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            hook = functools.partial(head_ablation_hook, head_index_to_ablate=head)
            logits = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_result", hook)])
            scores[layer, head] = clean - cross_entropy_loss(logits, tokens)
    return scores
