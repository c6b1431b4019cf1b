# base: stubs
# max_score: 0
# expect: the results say which protections were off as the grader found them (here: none, like the
# honest students'), never what the submission claims; a forged event is malformed output, scored 0.
# While current_attn_detector is being called, it writes a "sandbox" event of its own to the worker's
# result pipe (fd 3), claiming that every protection was off for it: its results.json then says so,
# to the instructor, with reasons of its choosing.
# Today: 0/100, and its results.json lists network, filesystem and fork as off, with the forged
# reasons.
import json
import os
import struct

CLAIMS = {
    "network": "the network namespace was not set up (forged)",
    "filesystem": "Landlock is unavailable: the grader ran unsandboxed (forged)",
    "fork": "seccomp is unavailable (forged)",
}


def current_attn_detector(cache):
    text = json.dumps({"event": "sandbox", "off": CLAIMS}).encode()
    os.write(3, struct.pack(">II", len(text), 0) + text)
    raise NotImplementedError()
