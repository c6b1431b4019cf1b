# base: stubs
# max_score: 0
# expect: scored 0 with a clear message (malformed or out-of-order output from the worker); the
# student is graded (a result is written, `--results` writes its file) and the honest students keep
# 100. The judge accepts an event only where the protocol allows it and checks its fields' types.
# While current_attn_detector is being called, it writes a frame of its own to the worker's result
# pipe (fd 3): an "imported" event for itself whose "error" is a string, not the dict the judge
# indexes. The judge, which trusts the event's shape, raises TypeError: no result for this student.
# Today: NOT GRADED (TypeError in the judge: string indices must be integers), exit status 0; `grade
# FILE --results R` prints a traceback and writes no R.
import json
import os
import struct


def _frame(document):
    text = json.dumps(document).encode()
    return struct.pack(">II", len(text), 0) + text


def current_attn_detector(cache):
    os.write(3, _frame({"event": "imported", "function": "current_attn_detector", "error": "forged"}))
    raise NotImplementedError()
