# base: stubs
# max_score: 0
# expect: scored 0; the judge lets go of a submission's raw return values once it has judged them
# (and may cap what one submission sends in all), so its memory does not grow with the class: six of
# these beside an honest student leave the judge under 1.5 GiB (today: about 2.6 GiB, all held to
# the end of the batch).
# current_attn_detector returns a 32 MB tensor (8M float32; the worker's cap is 20M elements) on each
# of its 13 inputs. The worker frees each after sending it, so its own memory limit never bites; the
# judge decodes each into numpy and keeps them all, for every student, until the batch ends.
# Today: six of them beside an honest student: the judge's peak resident memory 2.54 GiB (about 0.07
# GiB with honest students only).
import torch as t


def current_attn_detector(cache):
    return t.ones(3_900_000)  # just under the worker's cap of 4M elements: 15.6 MB each
