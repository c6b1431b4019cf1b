# correct: plain Python loops over heads and positions

def induction_score_hook(pattern, hook):
    layer = hook.layer()
    batch, n_heads, n, _ = pattern.shape
    for head in range(n_heads):
        total, count = 0.0, 0
        for b in range(batch):
            for query in range(seq_len - 1, n):
                total += pattern[b, head, query, query - (seq_len - 1)].item()
                count += 1
        induction_score_store[layer, head] = total / count


def logit_attribution(embed, l1_results, l2_results, W_U, tokens):
    n_heads = l1_results.shape[1]
    rows = []
    for i in range(len(tokens) - 1):
        column = W_U[:, tokens[i + 1]]
        row = [embed[i] @ column]
        row += [l1_results[i, h] @ column for h in range(n_heads)]
        row += [l2_results[i, h] @ column for h in range(n_heads)]
        rows.append(t.stack(row))
    return t.stack(rows)


def head_ablation_hook(z, hook, head_index_to_ablate):
    out = z.clone()
    for b in range(z.shape[0]):
        out[b, :, head_index_to_ablate] = 0.0
    return out


def get_ablation_scores(model, tokens):
    scores = t.zeros(model.cfg.n_layers, model.cfg.n_heads)
    base = model(tokens, return_type="loss")
    for layer in range(model.cfg.n_layers):
        name = f"blocks.{layer}.attn.hook_z"
        for head in range(model.cfg.n_heads):
            loss = model.run_with_hooks(
                tokens,
                return_type="loss",
                fwd_hooks=[(name, lambda z, hook, head=head: head_ablation_hook(z, hook, head))],
            )
            scores[layer][head] = (loss - base).item()
    return scores
