# base: stubs
# max_score: 0
# Tries to rewrite the results after grading: from an atexit hook, and from a detached process that
# waits for the grader to finish.
import atexit
import json
import os
import time
from pathlib import Path

FORGED = json.dumps({"score": 100, "max_score": 100, "tests": []})


def forge():
    for target in Path("{{RESULTS}}").glob("*.json"):
        try:
            target.write_text(FORGED)
        except OSError:
            pass
    try:
        Path("{{RESULTS}}/forge_results.json").write_text(FORGED)
    except OSError:
        pass


atexit.register(forge)
try:
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(3)
            forge()
        os._exit(0)
    os.wait()
except OSError:  # no new processes: the atexit hook is left
    pass
