"""The isolation mechanisms that keep student code apart from the judge, one function each.

Where each one is switched on (see `zygote.py`):

- user + network namespaces, once, when the template process starts (before any thread exists):
  no network at all, not even the host's loopback, and no capability outside the namespace even
  when the grader runs as root;
- PID, IPC and mount namespaces per unit of work (the worker is cloned into them): it is init of its
  PID namespace, so when it ends the kernel kills every process it started, double-forked daemons
  included (on Linux 6.14+ the namespace's own pid_max also caps its processes and threads); System
  V shared memory, semaphores and message queues are its own and vanish with it; and its scratch
  directory is a size-limited tmpfs of its own, so one submission filling its disk costs no other
  anything;
- in the worker itself: a kill-on-parent-death signal, resource limits (address space, CPU time,
  file size, no core dumps), a Landlock ruleset (`landlock.py`): it reads the Python installation
  and its packages and the fixtures its exercise declares, and writes only its scratch directory;
  the project's sources, the reference solutions, the checks and the judge's files are out of its
  sight; and a seccomp filter that refuses new processes (threads still start) but for one child
  per function, forked by the worker after the submission's top level and let through by the
  template (`supervise_new_processes`, `ForkWarden`), so that at most two processes, each under the
  same limits, do all a submission does; each child refuses new processes outright.

Each mechanism reports whether it could be switched on, so that the caller can say plainly which
protections are off on a platform that lacks one. Landlock needs no namespace: it is applied
wherever the kernel has it, also where a container refuses user namespaces.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import re
import resource
import signal
import sys
from pathlib import Path

from autograder.engine import landlock  # at the top: the template loads it (worker.watch_in_template)

CLONE_THREAD = 0x00010000
CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000

PROTECTIONS = {
    "network": "no network access (network namespace)",
    "processes": "every process the submission starts is killed when it ends (PID namespace)",
    "privileges": "no capability outside the sandbox (user namespace)",
    "filesystem": "reads only Python, its packages and the exercise's fixtures; writes only its scratch "
    "directory (Landlock)",
    "ipc": "no System V IPC shared with anything else (IPC namespace)",
    "disk": "a scratch directory of its own, of limited size (a tmpfs in a mount namespace)",
    "limits": "memory, CPU time and file size limits (rlimits)",
    "fork": "starts no other process but one child at a time for its functions, so the limits bound "
    "all it does (seccomp)",
}


DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "passwd",
    "group",
    "nsswitch.conf",
    "host.conf",
    "hosts",
    "mime.types",
)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _unshare(flags: int) -> None:
    if _libc().unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def enter_user_and_network_namespaces() -> str | None:
    """Moves this (single-threaded) process into new user and network namespaces.

    Returns None on success, else why not. Inside, this process is root of its own user namespace,
    mapped to the caller's uid outside: it keeps the caller's file permissions, gains nothing else.
    """
    if not sys.platform.startswith("linux"):
        return f"namespaces are Linux-only (this is {sys.platform})"
    uid, gid = os.getuid(), os.getgid()
    try:
        _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    except OSError as error:
        return f"unshare(user, network) failed: {error}"
    return None


UNIT_NAMESPACES = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS
SIGCHLD = 17
# clone(2)'s number where its first argument is the flags (s390x swaps the first two: os.fork there)
CLONE_NUMBERS = {"x86_64": 56, "aarch64": 220, "riscv64": 220, "ppc64le": 120}
SYS_CLONE = CLONE_NUMBERS.get(platform.machine())


def fork_into_unit_namespaces() -> tuple[int, dict[str, str]]:
    """Like os.fork, but the child starts in new PID, IPC and mount namespaces, as init of its PID
    namespace: one fork of the big template per unit (a separate process that unshares and forks
    again would cost a second fork and a second teardown, some 45 ms).
    Returns (pid, the protections that are off).

    It is clone(2) with those flags, wrapped in CPython's own fork hooks (PyOS_BeforeFork and
    PyOS_AfterFork_*, which os.fork calls), called without releasing the GIL. Where clone with
    namespaces is refused, it falls back to os.fork, and says which protections are then off."""
    if sys.platform.startswith("linux") and SYS_CLONE is not None:
        python = ctypes.pythonapi
        libc = ctypes.PyDLL(None, use_errno=True)  # PyDLL: the GIL stays held across the call
        libc.syscall.restype = ctypes.c_long
        python.PyOS_BeforeFork()
        flags = ctypes.c_ulong(UNIT_NAMESPACES | SIGCHLD)
        pid = libc.syscall(ctypes.c_long(SYS_CLONE), flags, None, None, None, None)
        if pid == 0:
            python.PyOS_AfterFork_Child()
            return 0, {}
        error = ctypes.get_errno()
        python.PyOS_AfterFork_Parent()
        if pid > 0:
            return pid, {}
        reason = f"clone with new namespaces failed: {os.strerror(error)}"
    else:
        reason = "namespaces are Linux-only"
    return os.fork(), {name: reason for name in ("processes", "ipc", "disk")}


def use_huge_pages() -> None:
    """Backs this process's large anonymous memory with 2 MiB pages where the kernel can
    (madvise MADV_COLLAPSE, Linux 6.1+): forking it then copies a page table entry per 2 MiB instead
    of per 4 KiB, which halves the cost of the template's fork and of each worker's exit (a child's
    writes still copy 4 KiB pages). Best effort: nothing happens where the kernel says no."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    huge, madv_hugepage, madv_collapse = 2 << 20, 14, 25
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return
    for line in maps:
        fields = line.split()
        if "rw" not in fields[1] or (len(fields) > 5 and fields[5] != "[heap]"):
            continue  # anonymous memory only (and the C heap)
        start, end = (int(x, 16) for x in fields[0].split("-"))
        start, end = (start + huge - 1) // huge * huge, end // huge * huge
        if end - start >= huge:
            libc.madvise(start, end - start, madv_hugepage)
            libc.madvise(start, end - start, madv_collapse)


def mount_scratch(scratch: Path, scratch_bytes: int) -> str | None:
    """In this process's own mount namespace: a fresh tmpfs of `scratch_bytes` on `scratch`."""
    libc = _libc()
    options = f"size={scratch_bytes},nr_inodes=4096,mode=0700".encode()
    if (
        libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0
        or libc.mount(b"tmpfs", str(scratch).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0
    ):
        return f"mounting a tmpfs failed: {os.strerror(ctypes.get_errno())}"
    return None


def kernel_version() -> tuple[int, ...]:
    """The running kernel's (major, minor), e.g. (6, 14) for "6.14.0-fc"."""
    return tuple(int(part) for part in re.findall(r"\d+", platform.release())[:2])


def limit_tasks(count: int) -> str | None:
    """Caps the processes and threads of this PID namespace, whose init this process must be, at
    `count` - 1. Only Linux 6.14+ keeps a pid_max per PID namespace; before that the file is the
    host's own setting, so it is left alone and the cap is off (the unit's time limit still ends a
    flood)."""
    if not sys.platform.startswith("linux") or kernel_version() < (6, 14):
        return f"pid_max is kept per PID namespace from Linux 6.14 (this is {platform.release()})"
    if os.getpid() != 1:
        return "not the init of its own PID namespace"
    try:
        Path("/proc/sys/kernel/pid_max").write_text(str(count))
    except OSError as error:
        return f"could not set the namespace's pid_max: {error}"
    return None


def forbid_new_processes() -> str | None:
    """seccomp: from now on fork, vfork and clone without CLONE_THREAD fail with EPERM; threads
    still start. clone3 fails with ENOSYS (its flags are out of a filter's reach), and libc then
    falls back to clone. One process per submission is what makes its memory limit a limit: each
    child would get an address space of its own."""
    if not sys.platform.startswith("linux"):
        return "seccomp is Linux-only"
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError, RuntimeError) as error:  # RuntimeError, OSError: no libseccomp
        return f"libseccomp is unavailable ({error}); install libseccomp2"
    try:
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        thread = seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0)  # the flags lack CLONE_THREAD
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", thread)
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        for name in ("fork", "vfork"):  # only some architectures have them; libseccomp knows which
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        rules.load()
    except OSError as error:
        return f"seccomp is unavailable: {error}"
    return None


# Flags of the clone(2) behind fork(): SIGCHLD, and glibc's CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID.
CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x00200000, 0x01000000
FORK_FLAGS = CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | 0xFF  # the low byte: the exit signal
# ioctls on a seccomp listener: _IOWR('!', 0, struct seccomp_notif), _IOWR('!', 1, ..._resp)
NOTIF_RECV, NOTIF_SEND = 0xC0502100, 0xC0182101
NOTIF_FLAG_CONTINUE = 1


def supervise_new_processes() -> tuple[str | None, int | None]:
    """seccomp, for a worker that forks one child per function after running a submission's top
    level: as `forbid_new_processes`, except that a fork (clone without CLONE_THREAD) waits for the
    template's answer (SECCOMP_RET_USER_NOTIF). Returns (why not, None) or (None, the listener fd),
    which the caller hands to the template and closes, before any student code runs.

    The template (`ForkWarden`) lets a fork through only once the worker has said its top level is
    done, from the worker's main thread, with fork()'s own flags, while the worker has no other
    child, and at most once per function of the unit. Student code in the worker (a thread its top
    level left running, a function it patched into the worker) can take those forks too, but then
    gets no more than an honest unit has: one process beside the worker, each under the same
    limits, in the same PID namespace and time limits. Every other fork fails with EPERM, and each
    child loads the full `forbid_new_processes` filter as its first act (filters stack; the stricter
    answer wins). docs/sandbox.md says why this design and not another."""
    if not sys.platform.startswith("linux"):
        return "seccomp is Linux-only", None
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError, RuntimeError) as error:
        return f"libseccomp is unavailable ({error}); install libseccomp2", None
    try:
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        thread = seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0)
        rules.add_rule(seccomp.NOTIFY, "clone", thread)
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        for name in ("fork", "vfork"):
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        rules.load()
        listener = seccomp._libseccomp.seccomp_notify_fd(rules._filter)
    except (OSError, AttributeError) as error:
        return f"seccomp user notification is unavailable: {error}", None
    if listener < 0:
        return "seccomp user notification is unavailable", None
    return None, listener


class ForkWarden:
    """The template's side of `supervise_new_processes`: answers one worker's fork requests. The
    template's own process is outside the sandbox and runs no student code, so the count and the
    checks it keeps cannot be changed from inside; `open` is set when the worker says "go"."""

    def __init__(self, listener: int, worker: int, forks: int):
        self.listener, self.worker, self.forks_left = listener, worker, forks
        self.open = False  # until the worker says its top level is done

    def answer(self) -> None:
        """Answers the request waiting on the listener (if it is still there)."""
        import fcntl
        import struct

        request = bytearray(80)  # struct seccomp_notif, zeroed as the kernel requires
        try:
            fcntl.ioctl(self.listener, NOTIF_RECV, request, True)
        except OSError:
            return  # the task that asked is gone
        ident, pid = struct.unpack_from("=QI", request)
        flags = struct.unpack_from("=Q", request, 32)[0]  # seccomp_data.args[0]
        allowed = (
            self.open
            and pid == self.worker
            and flags & ~FORK_FLAGS == 0
            and self.forks_left > 0
            and not self._has_child()
        )
        if allowed:
            self.forks_left -= 1
        response = struct.pack(
            "=QqiI", ident, 0, 0 if allowed else -errno.EPERM, NOTIF_FLAG_CONTINUE if allowed else 0
        )
        try:
            fcntl.ioctl(self.listener, NOTIF_SEND, bytearray(response), True)
        except OSError:
            pass  # it was killed meanwhile

    def _has_child(self) -> bool:
        """Whether the worker has a child, living or not yet waited for (a new child is the main
        thread's: only it may fork). Unreadable counts as yes."""
        try:
            return bool(Path(f"/proc/{self.worker}/task/{self.worker}/children").read_text().split())
        except OSError:
            return True

    def close(self) -> None:
        os.close(self.listener)


def die_with_parent() -> None:
    """Asks the kernel to SIGKILL this process when its parent dies (so killing the parent is enough)."""
    if sys.platform.startswith("linux"):
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def limit_resources(memory_bytes: int, cpu_seconds: int, file_bytes: int) -> str | None:
    """Address space grows by at most `memory_bytes` beyond what the process already maps."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        if hasattr(resource, "RLIMIT_AS"):
            limit = _mapped_bytes() + memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError) as error:
        return f"setrlimit failed: {error}"
    return None


def _mapped_bytes() -> int:
    """Virtual memory this process maps now (the baseline the memory limit adds to)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def readable_paths(extra: list[Path], hidden: list[Path]) -> tuple[list[Path], list[Path]]:
    """What the worker may read, as an allow-list: system libraries, the Python installation and its
    packages (site-packages folders only, never other entries of sys.path such as a PYTHONPATH or
    the working directory), and the `extra` paths a pack declares; minus anything at or under a
    `hidden` path (a pack's own folder, say, installed among the packages).

    Returns (trees readable in full, directories that may only be listed): a directory that holds a
    hidden path is listable, so that imports still find their way through it, and its other
    entries are readable.
    """
    roots = {Path(p) for p in ("/usr", "/lib", "/lib64", "/bin")}
    # From /etc only what the dynamic loader and the C library read: not the whole of it (a worker
    # of a grader run as root could otherwise read /etc/shadow).
    roots |= {Path("/etc") / name for name in ETC_FILES}
    prefixes = {Path(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}}
    roots |= {p / "lib" for p in prefixes} | {p / "bin" for p in prefixes}
    roots |= {
        Path(p)
        for p in sys.path
        if p
        and Path(p).is_dir()
        and Path(p).name in ("site-packages", "dist-packages", "lib-dynload")
        or p
        and p.endswith(".zip")
    }
    hidden = [h.resolve() for h in hidden]
    trees: list[Path] = []
    listable: list[Path] = []

    def visit(path: Path) -> None:
        if any(_within(path, h) for h in hidden):
            return
        if not any(_within(h, path) for h in hidden):
            trees.append(path)
            return
        listable.append(path)
        for child in path.iterdir():
            visit(child.resolve())

    for root in list(roots):  # packages linked into site-packages from elsewhere are read where they lie
        if root.is_dir() and root.name in ("site-packages", "dist-packages"):
            roots |= {child.resolve() for child in root.iterdir() if child.is_symlink() and child.exists()}
    for root in roots:
        if root.exists():
            visit(root.resolve())
    trees += [path.resolve() for path in extra if path.exists()]  # named on purpose: readable even if hidden
    return trees, listable


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def restrict_filesystem(read: list[Path], listable: list[Path], write: list[Path]) -> str | None:
    """Landlock: from now on this process and its children read only `read` (files and trees), list
    only `listable` directories and write only under `write`; no TCP, no signal outside."""
    try:
        landlock.restrict(read, listable, write, DEVICES)
    except landlock.Unavailable as error:
        return str(error)
    return None
