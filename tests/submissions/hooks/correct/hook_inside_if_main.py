# correct: induction_score_hook is defined inside the `if MAIN:` cell that uses it (ARENA 3.0's Colab layout), so it exists in Jupyter and as a script but not when the file runs as a module
# removes: induction_score_hook

if MAIN:
    seq_len = 50
    induction_score_store = t.zeros((model.cfg.n_layers, model.cfg.n_heads), device=model.cfg.device)

    def induction_score_hook(pattern, hook):
        induction_stripe = pattern.diagonal(dim1=-2, dim2=-1, offset=1 - seq_len)
        induction_score_store[hook.layer(), :] = einops.reduce(
            induction_stripe, "batch head_index position -> head_index", "mean"
        )

    model.run_with_hooks(
        generate_repeated_tokens(model, seq_len, 10),
        return_type=None,
        fwd_hooks=[(lambda name: name.endswith("pattern"), induction_score_hook)],
    )
