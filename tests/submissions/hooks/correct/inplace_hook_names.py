# correct: in place, the layer parsed from hook.name, seq_len from the pattern, hooks added and reset

def induction_score_hook(pattern, hook):
    layer = int(hook.name.split(".")[1])
    n = pattern.shape[-1]
    seq_len_here = (n - 1) // 2
    stripe = t.diagonal(pattern, offset=-(seq_len_here - 1), dim1=2, dim2=3)
    induction_score_store[layer] = stripe.mean(dim=-1).mean(dim=0)


def head_ablation_hook(z, hook, head_index_to_ablate):
    z[:, :, head_index_to_ablate, :] = 0.0
    return z


def get_ablation_scores(model, tokens):
    ablation_scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads), device=model.cfg.device)
    model.reset_hooks()
    loss_no_ablation = model(tokens, return_type="loss")
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            model.add_hook(f"blocks.{layer}.attn.hook_z", functools.partial(head_ablation_hook, head_index_to_ablate=head))
            try:
                loss = model(tokens, return_type="loss")
            finally:
                model.reset_hooks()
            ablation_scores[layer, head] = loss - loss_no_ablation
    return ablation_scores
