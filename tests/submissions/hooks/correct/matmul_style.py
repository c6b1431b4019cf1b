# correct: matrix products, rows of W_U.T, the cross-entropy worked out by hand, a hooks context

def induction_score_hook(pattern, hook):
    n = pattern.shape[-1]
    mask = t.zeros(n, n, dtype=t.bool, device=pattern.device)
    rows = t.arange(seq_len - 1, n)
    mask[rows, rows - (seq_len - 1)] = True
    induction_score_store[hook.layer()] = pattern[..., mask].mean(dim=(0, -1))


def logit_attribution(embed, l1_results, l2_results, W_U, tokens):
    directions = W_U.T[tokens[1:]]  # [seq - 1, d_model]
    direct = (embed[:-1] * directions).sum(-1, keepdim=True)
    heads = t.cat([l1_results[:-1], l2_results[:-1]], dim=1)  # [seq - 1, 2 * n_heads, d_model]
    per_head = (heads @ directions.unsqueeze(-1)).squeeze(-1)
    return t.cat([direct, per_head], dim=1)


def head_ablation_hook(z, hook, head_index_to_ablate):
    return t.cat(
        [z[:, :, :head_index_to_ablate], t.zeros_like(z[:, :, :1]), z[:, :, head_index_to_ablate + 1 :]], dim=2
    )


def _loss(logits, tokens):
    log_probs = logits.log_softmax(-1)[:, :-1]
    return -log_probs.gather(-1, tokens[:, 1:, None]).mean()


def get_ablation_scores(model, tokens):
    clean = _loss(model(tokens), tokens)
    scores = t.empty(model.cfg.n_layers, model.cfg.n_heads)
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            hook = functools.partial(head_ablation_hook, head_index_to_ablate=head)
            with model.hooks(fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)]):
                scores[layer, head] = _loss(model(tokens), tokens) - clean
    return scores
