# correct: ARENA 2.0 style on hook_result (each head's output in d_model), a lambda instead of partial, tqdm

from tqdm import tqdm
from transformer_lens import utils


def head_ablation_hook(attn_result, hook: HookPoint, head_index_to_ablate: int):
    attn_result[:, :, head_index_to_ablate] = 0
    return attn_result


def get_ablation_scores(model: HookedTransformer, tokens):
    n_layers, n_heads = model.cfg.n_layers, model.cfg.n_heads
    ablation_scores = t.zeros((n_layers, n_heads))
    loss_no_ablation = model(tokens, return_type="loss").item()
    for layer in tqdm(range(n_layers), disable=True):
        for head in range(n_heads):
            hook_fn = lambda act, hook, head=head: head_ablation_hook(act, hook, head)  # noqa: E731
            loss = model.run_with_hooks(
                tokens, return_type="loss", fwd_hooks=[(utils.get_act_name("result", layer), hook_fn)]
            )
            ablation_scores[layer, head] = loss.item() - loss_no_ablation
    return ablation_scores
