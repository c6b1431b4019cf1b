# base: stubs
# max_score: 0
# expect: constant answers earn nothing; the format test is not worth points on its own.
# Every function returns a fixed plausible value, whatever its inputs: the seed's heads for the
# detectors, a fixed repeated sequence for the tokens.
# Today: 13/100: generate_repeated_tokens' shape, repeats, range and device tests (11),
# first_attn_detector's format test (2).
import torch as t


def generate_repeated_tokens(model, seq_len, batch=1):
    half = t.arange(1, seq_len + 1, dtype=t.int64) % 7
    return t.cat([t.zeros(1, dtype=t.int64), half, half]).repeat(batch, 1)


def current_attn_detector(cache):
    return ["0.9"]


def prev_attn_detector(cache):
    return ["0.7"]


def first_attn_detector(cache):
    return ["0.3"]


def induction_attn_detector(cache):
    return ["1.4", "1.10"]
