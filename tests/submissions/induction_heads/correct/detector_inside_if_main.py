# correct: induction_attn_detector is defined inside an `if __name__ == "__main__":` block beside its demo (as ARENA's answers.py defines apply_causal_mask), which the grader does not run
# removes: induction_attn_detector

if __name__ == "__main__":
    def induction_attn_detector(cache):
        heads = []
        for layer in range(cache.model.cfg.n_layers):
            pattern = cache["pattern", layer]
            seq_len = (pattern.shape[-1] - 1) // 2
            for head in range(cache.model.cfg.n_heads):
                if pattern[head].diagonal(-(seq_len - 1)).mean() > 0.2:
                    heads.append(f"{layer}.{head}")
        return heads

    print("Heads attending to the token after the previous copy: ", ", ".join(induction_attn_detector(rep_cache)))
