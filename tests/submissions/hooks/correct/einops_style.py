# correct: einops everywhere, the ablation with a mask, hook names from utils

from transformer_lens import utils

def induction_score_hook(pattern: Float[Tensor, "batch head_index dest_pos source_pos"], hook: HookPoint):
    induction_stripe = pattern.diagonal(dim1=-2, dim2=-1, offset=1 - seq_len)
    induction_score = einops.reduce(induction_stripe, "batch head posn -> head", "mean")
    induction_score_store[hook.layer(), :] = induction_score


def logit_attribution(embed, l1_results, l2_results, W_U, tokens):
    unembed = W_U[:, tokens[1:]]
    direct = einops.einsum(embed[:-1], unembed, "pos d_model, d_model pos -> pos")
    layer0 = einops.einsum(l1_results[:-1], unembed, "pos head d_model, d_model pos -> pos head")
    layer1 = einops.einsum(l2_results[:-1], unembed, "pos head d_model, d_model pos -> pos head")
    return t.cat([einops.rearrange(direct, "pos -> pos 1"), layer0, layer1], dim=-1)


def head_ablation_hook(z, hook, head_index_to_ablate):
    keep = t.ones(z.shape[-2], dtype=z.dtype, device=z.device)
    keep[head_index_to_ablate] = 0
    return z * einops.rearrange(keep, "head -> 1 1 head 1")


def get_ablation_scores(model, tokens):
    n_layers, n_heads = model.cfg.n_layers, model.cfg.n_heads
    clean = model(tokens, return_type="loss").item()
    scores = []
    for layer in range(n_layers):
        for head in range(n_heads):
            ablated = model.run_with_hooks(
                tokens,
                return_type="loss",
                fwd_hooks=[(utils.get_act_name("z", layer), functools.partial(head_ablation_hook, head_index_to_ablate=head))],
            ).item()
            scores.append(ablated - clean)
    return einops.rearrange(t.tensor(scores), "(layer head) -> layer head", layer=n_layers)
