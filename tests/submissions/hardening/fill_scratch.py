# base: stubs
# max_score: 0
# expect: only this submission fails ("no space left" or the disk quota, in its own feedback); the
# honest students graded at the same time keep 100, and no student ends NOT GRADED (or, if one does,
# the grade command's exit status says so).
# At its first import, writes files into its scratch directory (its working folder) until the disk is
# full (each file stops at the 64 MiB file-size limit, but nothing limits how many; this stops at
# 2 GiB, for safety, and the test gives the grader a 200 MiB temporary directory); then, for 8 s, it
# takes back every page that comes free, while the other worker grades the honest students: the
# grader writes each of their submissions into a scratch directory on the same disk, and fails.
# Today: in a 200 MiB TMPDIR, 9 of the 10 honest students end NOT GRADED (OSError 28, no space left
# on device), and the exit status is 0.
import errno
import os
import time

written = 0
if not os.path.exists("fill-0"):  # imported again for each function: fill and hold only once
    for index in range(32):
        try:
            with open(f"fill-{index}", "wb", buffering=0) as file:
                while True:
                    written += file.write(b"\0" * (1 << 20))
        except OSError as error:  # EFBIG at the file-size limit (next file), ENOSPC when the disk is full
            if error.errno == errno.ENOSPC:
                break
    until = time.monotonic() + 8
    with open("fill-hold", "wb", buffering=0) as hold:
        while time.monotonic() < until:
            try:
                written += hold.write(b"\0" * 4096)
            except OSError:
                time.sleep(0.001)
print(f"FILLED {written >> 20} MiB")
