# base: solution
# max_score: 0
# expect: a second "result" for a case breaks the protocol: scored 0 with the status "invalid output",
# in seconds (the judge caps what it parses, and checks labels in linear time).
# The worker caps a returned list at 10,000 items, but the caps live in the worker, in the student's
# own process. On its second input current_attn_detector writes a frame of its own to the result
# pipe (fd 3): a "result" for its first input, sent after the worker's, so it replaces it, holding
# 80,000 labels. Every other answer is the reference's.
# Today: 96/100, after 296 s of the judge's time for this one submission.
import gc
import json
import os
import struct

_honest_current = current_attn_detector
_calls = []


def _case_ids(function):
    unit = next(o for o in gc.get_objects() if type(o).__name__ == "Unit" and hasattr(o, "request"))
    task = next(t for t in unit.request["functions"] if t["function"] == function)
    return [case["id"] for case in task["cases"]]


def current_attn_detector(cache):
    _calls.append(1)
    if len(_calls) == 2:
        first = _case_ids("current_attn_detector")[0]
        labels = [f"{i % 2}.{i % 12}" for i in range(80_000)]
        value = {"type": "list", "items": labels}
        document = {"event": "result", "case": first, "outcome": {"status": "ok", "value": value}}
        text = json.dumps(document).encode()
        os.write(3, struct.pack(">II", len(text), 0) + text)
    return _honest_current(cache)
