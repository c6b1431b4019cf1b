# correct: hooks that build a new tensor (a mask, t.where), the ablation by the hooks context manager and a name filter

def head_ablation_hook(z, hook, head_index_to_ablate):
    mask = t.ones(z.shape[-2], device=z.device, dtype=z.dtype)
    mask[head_index_to_ablate] = 0
    return z * mask[:, None]


def get_ablation_scores(model, tokens):
    n_layers, n_heads = model.cfg.n_layers, model.cfg.n_heads
    clean = model(tokens, return_type="loss")
    rows = []
    for layer in range(n_layers):
        row = []
        for head in range(n_heads):
            wanted = f"blocks.{layer}.attn.hook_z"
            with model.hooks(fwd_hooks=[(lambda name: name == wanted, functools.partial(head_ablation_hook, head_index_to_ablate=head))]):
                row.append(model(tokens, return_type="loss") - clean)
        rows.append(t.stack(row))
    return t.stack(rows).detach()
