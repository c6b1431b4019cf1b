# base: solution
# max_score: 100
# expect: finds nothing: "SHM EMPTY" in its output, never the writer's marker.
# Graded after sysv_shm_writer, on the same worker or another: opens the writer's first segment by
# its key and prints what it holds.
# Today: prints the writer's marker.
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p
_libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
KEY = 0x1000000 + int("{{TAG}}"[:6], 16)

shmid = _libc.shmget(KEY, 0, 0)
if shmid < 0:
    print("SHM EMPTY", ctypes.get_errno())
else:
    address = _libc.shmat(shmid, None, 0o10000)  # SHM_RDONLY
    print("SHM READ:", ctypes.string_at(address, 64).split(b"\x55")[0].decode(errors="replace"))
