# base: solution
# max_score: 100
# Leaves 20 detached processes behind (double fork, new session); none may outlive the grading.
import ctypes
import os
import time

for _ in range(20):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, b"ig-daemon-{{TAG}}", 0, 0, 0)  # PR_SET_NAME: findable in /proc
            time.sleep(600)
        os._exit(0)
    os.wait()
