# correct: t.where hook, logits from run_with_hooks and the loss by F.cross_entropy, every call positional

import torch.nn.functional as F


def head_ablation_hook(z, hook, head_index_to_ablate):
    heads = t.arange(z.shape[2], device=z.device)[None, None, :, None]
    return t.where(heads == head_index_to_ablate, t.zeros_like(z), z)


def _loss(logits, tokens):
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))


def get_ablation_scores(model, tokens):
    out = t.empty(model.cfg.n_layers, model.cfg.n_heads)
    clean = _loss(model(tokens), tokens)
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            def hook(z, hook, head=head):
                return head_ablation_hook(z, hook, head)
            logits = model.run_with_hooks(tokens, return_type="logits", fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])
            out[layer][head] = _loss(logits, tokens) - clean
    return out
