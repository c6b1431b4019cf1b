# correct: under t.inference_mode, losses per token averaged by hand, hooks matched by a name filter

def induction_score_hook(pattern, hook):
    with t.inference_mode():
        offset = -(seq_len - 1)
        scores = pattern.diagonal(offset, -2, -1).mean(-1).mean(0)
    induction_score_store[hook.layer()].copy_(scores)


def get_ablation_scores(model, tokens):
    with t.inference_mode():
        clean = model(tokens, return_type="loss", loss_per_token=True).mean()
        rows = []
        for layer in range(model.cfg.n_layers):
            row = []
            for head in range(model.cfg.n_heads):
                target = f"blocks.{layer}.attn.hook_z"
                per_token = model.run_with_hooks(
                    tokens,
                    return_type="loss",
                    loss_per_token=True,
                    fwd_hooks=[(lambda name, target=target: name == target, functools.partial(head_ablation_hook, head_index_to_ablate=head))],
                )
                row.append(per_token.mean() - clean)
            rows.append(t.stack(row))
        return t.stack(rows).clone()
