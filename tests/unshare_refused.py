"""Runs Python with unshare(2) refused, as a container runtime's seccomp profile refuses it.

    python tests/unshare_refused.py -m autograder grade ...   # the arguments are Python's

loads a seccomp filter under which every unshare() and every clone() into new namespaces fails
with EPERM, then execs the Python interpreter with the arguments given; the filter survives the
exec and every child inherits it, so the grader, its templates and its workers all run where
namespaces are refused (Docker's default profile, Gradescope's container). `command(args)` is the
command line to run `python ARGS` that way, for subprocess; `wrap(command)` turns a
`[python, ...]` command line into it. Linux only;
it needs libseccomp (through pyseccomp, a dependency of the project).
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

REFUSED = ("unshare", "setns")
# clone's flags for new namespaces: mount, cgroup, UTS, IPC, user, PID, network
NAMESPACE_FLAGS = (0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000)


def refuse_unshare() -> None:
    """From now on unshare(), setns() and clone() into new namespaces fail with EPERM (clone3 with
    ENOSYS, so that callers fall back to clone), in this process and in every process it starts."""
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in REFUSED:
        rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
    for flag in NAMESPACE_FLAGS:
        in_new_namespace = seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag)
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", in_new_namespace)
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.load()


def command(args: list[str]) -> list[str]:
    """The command line that runs `python ARGS` with unshare refused."""
    return [sys.executable, str(Path(__file__).resolve()), *args]


def wrap(python_command: list[str]) -> list[str]:
    """`[python, ARGS...]` -> the same, run with unshare refused."""
    return command(python_command[1:])


def main(argv: list[str]) -> None:
    refuse_unshare()
    os.execv(sys.executable, [sys.executable, *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
