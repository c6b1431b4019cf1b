# wrong: get_ablation_scores: ARENA 2.0 style on hook_v, but ablates the next head, not the one it scores

from transformer_lens import utils


def get_ablation_scores(model, tokens):
    ablation_scores = t.zeros((model.cfg.n_layers, model.cfg.n_heads), device=model.cfg.device)
    loss_no_ablation = model(tokens, return_type="loss")
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            temp_hook_fn = functools.partial(head_ablation_hook, head_index_to_ablate=(head + 1) % model.cfg.n_heads)
            loss = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(utils.get_act_name("v", layer), temp_hook_fn)])
            ablation_scores[layer, head] = loss - loss_no_ablation
    return ablation_scores
