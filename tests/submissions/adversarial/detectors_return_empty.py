# base: stubs
# max_score: 0
# expect: a detector that returns [] for every input earns nothing, not even the format test.
# Each detector returns an empty list whatever the cache: no evidence of any work.
# Today: 8/100, each detector's 2-point format test.


def current_attn_detector(cache):
    return []


prev_attn_detector = first_attn_detector = induction_attn_detector = current_attn_detector
