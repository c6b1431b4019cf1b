# wrong: get_ablation_scores: ARENA 3.0 style, but the loss of the second half's positions only, not of every position
# removes: head_ablation_hook

from typing import Callable

from eindex import eindex
from transformer_lens import utils


def get_log_probs(logits, tokens):
    return eindex(logits.log_softmax(-1), tokens, "b s [b s+1]")


def head_zero_ablation_hook(z, hook, head_index_to_ablate) -> None:
    z[:, :, head_index_to_ablate, :] = 0.0


def get_ablation_scores(model, tokens, ablation_function: Callable = head_zero_ablation_hook):
    ablation_scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads), device=model.cfg.device)
    seq_len = (tokens.shape[1] - 1) // 2
    logits = model(tokens, return_type="logits")
    loss_no_ablation = -get_log_probs(logits, tokens)[:, -(seq_len - 1):].mean()
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            temp_hook_fn = functools.partial(ablation_function, head_index_to_ablate=head)
            ablated_logits = model.run_with_hooks(tokens, fwd_hooks=[(utils.get_act_name("z", layer), temp_hook_fn)])
            loss = -get_log_probs(ablated_logits, tokens)[:, -(seq_len - 1):].mean()
            ablation_scores[layer, head] = loss - loss_no_ablation
    return ablation_scores
