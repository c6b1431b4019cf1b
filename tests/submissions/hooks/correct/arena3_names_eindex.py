# correct: ARENA 3.0 style: head_zero_ablation_hook (in place, returns None), ablation_function as a parameter, get_log_probs with eindex
# removes: head_ablation_hook

from typing import Callable

from eindex import eindex
from transformer_lens import utils


def get_log_probs(logits, tokens):
    logprobs = logits.log_softmax(dim=-1)
    # logprobs[b, s, tokens[b, s+1]]
    correct_logprobs = eindex(logprobs, tokens, "b s [b s+1]")
    return correct_logprobs


def head_zero_ablation_hook(
    z: Float[Tensor, "batch seq n_heads d_head"],
    hook: HookPoint,
    head_index_to_ablate: int,
) -> None:
    z[:, :, head_index_to_ablate, :] = 0.0


def get_ablation_scores(
    model: HookedTransformer,
    tokens: Int[Tensor, "batch seq"],
    ablation_function: Callable = head_zero_ablation_hook,
) -> Float[Tensor, "n_layers n_heads"]:
    ablation_scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads), device=model.cfg.device)
    model.reset_hooks()
    logits = model(tokens, return_type="logits")
    loss_no_ablation = -get_log_probs(logits, tokens).mean()
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            temp_hook_fn = functools.partial(ablation_function, head_index_to_ablate=head)
            ablated_logits = model.run_with_hooks(tokens, fwd_hooks=[(utils.get_act_name("z", layer), temp_hook_fn)])
            loss = -get_log_probs(ablated_logits, tokens).mean()
            ablation_scores[layer, head] = loss - loss_no_ablation
    return ablation_scores
