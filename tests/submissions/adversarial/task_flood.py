# base: solution
# max_score: 100
# Tries to fork 20 sleeping processes (seccomp refuses), then starts sleeping threads (each takes a
# PID, as a process does) until the kernel refuses, at most 1,000 in all; then answers correctly.
# Where the kernel caps a PID namespace's processes and threads (Linux 6.14+), the cap stops it first.
import ctypes
import os
import threading
import time

started = 0
for _ in range(20):
    try:
        child = os.fork()
    except OSError:  # the namespace is full (this file runs again for each function)
        break
    if child == 0:
        ctypes.CDLL(None).prctl(15, b"ig-daemon-{{TAG}}", 0, 0, 0)  # PR_SET_NAME: findable in /proc
        time.sleep(600)
        os._exit(0)
    started += 1
threading.stack_size(64 << 10)
forever = threading.Event()
while started < 1000:
    try:
        threading.Thread(target=forever.wait, daemon=True).start()
    except RuntimeError:  # can't start new thread
        break
    started += 1
print(f"STARTED {started}", flush=True)
