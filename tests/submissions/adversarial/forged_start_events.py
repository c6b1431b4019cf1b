# base: solution
# max_score: 0
# expect: a "start" for a case already running breaks the protocol: the submission is scored 0
# with the status "invalid output"; events the worker did not send never move a deadline.
# The judge times each call from the "start" event the worker sends before it; every "start" resets
# the call's deadline. On its first input current_attn_detector runs for 8 s, sending a "start" event
# of its own every half second, so it is never past its deadline; then returns the right answer.
# Today: 100, after 8 s on one call under --timeout 3.
import json
import os
import struct
import time

_honest_current = current_attn_detector
_calls = []


def current_attn_detector(cache):
    _calls.append(1)
    if len(_calls) == 1:
        text = json.dumps({"event": "start", "case": "current_attn_detector/text-default"}).encode()
        until = time.monotonic() + 8
        while time.monotonic() < until:
            os.write(3, struct.pack(">II", len(text), 0) + text)
            time.sleep(0.5)
    return _honest_current(cache)
