# base: solution
# max_score: 85
# One function never returns.


def induction_attn_detector(cache):
    while True:
        pass
