# base: solution
# max_score: 85
# One function asks for 6 GiB.
import torch


def first_attn_detector(cache):
    block = torch.ones(6 << 30, dtype=torch.uint8)
    return [str(int(block.sum()))]
