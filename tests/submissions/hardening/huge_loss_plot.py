# base: solution
# max_score: 80
# expect: scored 80 (run_and_cache_model_repeated_tokens' 20 points lost); the feedback page plots
# at most a few thousand positions (or no plot for a shape unlike the reference's), so it stays
# within 2 MB of an honest student's page (8 MB, plotly.js included).
# On the input the feedback page plots (seq_len 50, seed 0, batch 1),
# run_and_cache_model_repeated_tokens returns tokens and logits of {{POSITIONS}} positions (a
# vocabulary of one), within the worker's 20M-element cap; the page draws a point and a hover label
# for each position.
# Today: with 2M positions a 46 MB page (8 MB for an honest student) and 24 s; with 20M, a 413 MB
# page, 53 s and a 4.7 GB peak.
import torch as t

_honest_run = run_and_cache_model_repeated_tokens


def run_and_cache_model_repeated_tokens(model, seq_len, batch=1):
    if seq_len == 50 and batch == 1 and t.initial_seed() == 0:
        positions = {{POSITIONS}}
        return t.zeros((1, positions), dtype=t.int64), t.zeros((1, positions, 1)), None
    return _honest_run(model, seq_len, batch)
