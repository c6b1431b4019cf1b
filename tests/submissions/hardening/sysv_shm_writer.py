# base: solution
# max_score: 100
# expect: no System V IPC object survives the submission's worker (an IPC namespace per unit): after
# grading, no segment with this key exists, and the reader graded later finds nothing.
# At import, creates eight 128 MiB System V shared-memory segments (1 GiB, touched, so resident) with
# keys of its choosing and without IPC_RMID, so that they outlive the worker, the grading and the
# grader; the first one starts with a marker for an accomplice graded later to read.
# Today: the eight segments (1 GiB, resident) outlive the grading and the grader.
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p
_libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
_libc.shmdt.argtypes = [ctypes.c_void_p]
IPC_CREAT, SEGMENT = 0o1000, 128 << 20
KEY = 0x1000000 + int("{{TAG}}"[:6], 16)  # the test removes the keys KEY .. KEY + 7 afterwards
MARKER = b"SHM-MARKER-{{TAG}}: answers left by sysv_shm_writer"

for index in range(8):
    shmid = _libc.shmget(KEY + index, SEGMENT, IPC_CREAT | 0o666)
    if shmid < 0:
        print("SHMGET FAILED", ctypes.get_errno())
        break
    address = _libc.shmat(shmid, None, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        print("SHMAT FAILED", ctypes.get_errno())
        break
    ctypes.memset(address, 0x55, SEGMENT)
    if index == 0:
        ctypes.memmove(address, MARKER, len(MARKER))
    _libc.shmdt(address)
    print("SEGMENT", index, "CREATED", shmid)
