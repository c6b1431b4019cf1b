"""Landlock, the Linux security module that lets an unprivileged process restrict itself, through
its three system calls (ctypes).

Every call's return value is checked, not errno: errno keeps whatever an earlier failed call left
(a refused `unshare`, say), which is how a library that reads errno can report Landlock missing when
it is not. Needs no namespace and no privilege: it works where a container refuses user namespaces.
Beyond files, it also refuses TCP (ABI 4+) and signals or abstract Unix sockets that reach outside
the sandbox (ABI 6+), where the kernel offers them.
"""

from __future__ import annotations

import ctypes
import os
import stat
import sys
from pathlib import Path

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same on every architecture but alpha
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # the only rights a file can get
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


class RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # packed in the kernel's header
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class Unavailable(OSError):
    """Landlock could not be switched on: the message says why."""


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _syscall(number: int, *args) -> int:
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    return result


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 where there is none (not Linux, too old, disabled)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        return _syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    except OSError:
        return 0


def handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # EXECUTE .. MAKE_SYM: ABI 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def restrict(read: list[Path], listable: list[Path], write: list[Path], devices: list[str]) -> int:
    """From now on this process and its children read only `read` (files and trees), list only
    `listable` directories, write only under `write`, read and write only `devices`, make no TCP
    connection and signal nothing outside. Returns the ABI version used; raises Unavailable."""
    abi = abi_version()
    if abi < 1:
        raise Unavailable("the kernel has no Landlock (Linux 5.13+ with Landlock enabled)")
    fs = handled_fs(abi)
    attr = RulesetAttr(
        fs,
        NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0,
    )
    size = ctypes.sizeof(ctypes.c_uint64) * (3 if abi >= 6 else 2 if abi >= 4 else 1)
    try:
        ruleset = _syscall(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    except OSError as error:
        raise Unavailable(f"landlock_create_ruleset failed: {error}") from None
    try:
        reading = READ_FILE | EXECUTE
        for path in read:
            _allow(ruleset, path, reading | READ_DIR if path.is_dir() else reading, fs)
        for path in listable:
            _allow(ruleset, path, READ_DIR, fs)
        for device in devices:
            if os.path.exists(device):
                _allow(ruleset, Path(device), READ_FILE | WRITE_FILE, fs)
        for path in write:
            _allow(ruleset, path, fs, fs)
        if _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise Unavailable(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
        try:
            _syscall(RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
        except OSError as error:
            raise Unavailable(f"landlock_restrict_self failed: {error}") from None
    finally:
        os.close(ruleset)
    return abi


def _allow(ruleset: int, path: Path, rights: int, handled: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # gone since it was listed: nothing to allow
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FILE_RIGHTS
        rule = PathBeneathAttr(rights & handled, fd)
        _syscall(
            ADD_RULE,
            ctypes.c_int(ruleset),
            ctypes.c_int(RULE_PATH_BENEATH),
            ctypes.byref(rule),
            ctypes.c_uint32(0),
        )
    except OSError as error:
        raise Unavailable(f"landlock_add_rule({path}) failed: {error}") from None
    finally:
        os.close(fd)
