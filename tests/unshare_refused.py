"""Runs Python with unshare(2) refused, as a container runtime's seccomp profile refuses it.

    python tests/unshare_refused.py -m autograder grade ...   # the arguments are Python's

loads a seccomp filter under which every unshare() fails with EPERM, then execs the Python
interpreter with the arguments given; the filter survives the exec and every child inherits it, so
the grader, its templates and its workers all run where user namespaces are refused (Docker's
default profile, Gradescope's container). `command(args)` is the command line to run `python ARGS`
that way, for subprocess; `wrap(command)` turns a `[python, ...]` command line into it. Linux only;
it needs libseccomp (through pyseccomp, a dependency of the project).
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

REFUSED = ("unshare",)


def refuse_unshare() -> None:
    """From now on unshare() fails with EPERM in this process and in every process it starts."""
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in REFUSED:
        rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
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
