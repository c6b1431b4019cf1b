# correct: the student's own extra parameters with defaults, keyword and positional calls, hooks in another order

def induction_score_hook(pattern, hook, store=None, verbose=False):
    store = induction_score_store if store is None else store
    n = (pattern.shape[-1] - 1) // 2
    stripe = pattern.diagonal(offset=1 - n, dim1=-2, dim2=-1)
    store[hook.layer()] = stripe.mean(-1).mean(0)
    if verbose:
        print(store)


def logit_attribution(embed, l1_results, l2_results, W_U, tokens, normalise=False):
    columns = W_U[:, tokens[1:]]
    direct = (embed[:-1] * columns.T).sum(-1, keepdim=True)
    l1 = einops.einsum(l1_results[:-1], columns, "s h d, d s -> s h")
    l2 = einops.einsum(l2_results[:-1], columns, "s h d, d s -> s h")
    out = t.cat([direct, l1, l2], dim=-1)
    return out / out.norm() if normalise else out


def head_ablation_hook(z, hook, head_index_to_ablate, value=0.0, clone=True):
    z = z.clone() if clone else z
    z[..., head_index_to_ablate, :] = value
    return z


def get_ablation_scores(model, tokens, hook_kind="z", verbose=False):
    scores = t.zeros(model.cfg.n_layers, model.cfg.n_heads)
    base = model(tokens, return_type="loss")
    # Last layer first, and every call by keyword, the head as a positional argument in one of them.
    for layer in reversed(range(model.cfg.n_layers)):
        name = f"blocks.{layer}.attn.hook_{hook_kind}"
        for head in range(model.cfg.n_heads):
            if head % 2:
                hook = functools.partial(head_ablation_hook, head_index_to_ablate=head, value=0.0)
            else:
                hook = lambda z, hook, h=head: head_ablation_hook(z, hook, h)  # noqa: E731
            loss = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(name, hook)])
            scores[layer, head] = loss - base
            if verbose:
                print(layer, head, scores[layer, head])
    return scores
