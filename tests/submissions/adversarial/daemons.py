# base: solution
# max_score: 100
# Tries to leave 20 detached processes behind (double fork, new session) and a subprocess in a
# session of its own; none may start, or outlive the grading.
import ctypes
import os
import subprocess
import time

for _ in range(20):
    try:
        child = os.fork()
    except OSError as error:
        print(f"FORK REFUSED: {error}")
        break
    if child == 0:
        os.setsid()
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, b"ig-daemon-{{TAG}}", 0, 0, 0)  # PR_SET_NAME: findable in /proc
            time.sleep(600)
        os._exit(0)
    os.wait()
try:
    subprocess.Popen(["sleep", "600", "ig-daemon-{{TAG}}"], start_new_session=True)
except OSError as error:
    print(f"SUBPROCESS REFUSED: {error}")
