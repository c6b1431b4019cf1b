# correct: ARENA 2.0 style: utils.get_act_name("v", layer), functools.partial, the loss from the logits by its own helper

from transformer_lens import utils


def cross_entropy_loss(logits, tokens):
    log_probs = logits.log_softmax(dim=-1)
    pred_log_probs = log_probs[:, :-1].gather(dim=-1, index=tokens[:, 1:].unsqueeze(-1)).squeeze(-1)
    return -pred_log_probs.mean()


def head_ablation_hook(attn_result, hook, head_index_to_ablate):
    attn_result[:, :, head_index_to_ablate, :] = 0.0
    return attn_result


def get_ablation_scores(model, tokens):
    ablation_scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads), device=model.cfg.device)
    logits = model(tokens, return_type="logits")
    loss_no_ablation = cross_entropy_loss(logits, tokens)
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            temp_hook_fn = functools.partial(head_ablation_hook, head_index_to_ablate=head)
            ablated_logits = model.run_with_hooks(tokens, fwd_hooks=[(utils.get_act_name("v", layer), temp_hook_fn)])
            loss_with_ablation = cross_entropy_loss(ablated_logits, tokens)
            ablation_scores[layer, head] = loss_with_ablation - loss_no_ablation
    return ablation_scores
