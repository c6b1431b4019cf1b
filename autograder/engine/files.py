"""Files: where the project lives, the cache, and reading what students hand in (atomic writes are
`output.atomic`'s).

A submission's files are read as regular files only: never through a symbolic link that leaves the
submission's folder, never a device or a FIFO, and never more than a limit (checked before reading).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # the repository (or the release folder)
PACKAGE = ROOT / "autograder"
CACHE_ENV = "INDUCTION_GRADER_CACHE"


def cache_dir() -> Path:
    """$INDUCTION_GRADER_CACHE, else $XDG_CACHE_HOME/induction-grader, else ~/.cache/induction-grader."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "induction-grader"


class Unreadable(ValueError):
    """A submitted file that is not read: the message says why, in words for the student."""


def read_submitted(path: Path, limit: int, within: Path | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. A symbolic link is followed only when it
    stays inside `within` (the submission's own folder); anything else raises Unreadable."""
    path = Path(path)
    if within is not None:
        real, folder = Path(os.path.realpath(path)), Path(os.path.realpath(within))
        if path.is_symlink() and real != folder and folder not in real.parents:
            raise Unreadable(f"{path.name} is a symbolic link to a file outside the submission")
        path = real
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno == getattr(os, "ELOOP", -1) or os.path.islink(path):
            raise Unreadable(f"{path.name} is a symbolic link; submit the file itself") from None
        raise Unreadable(f"could not read {path.name}: {error.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{path.name} is not a regular file")
        if info.st_size > limit:
            raise Unreadable(f"{path.name} is {info.st_size:,} bytes, more than the {limit:,} allowed")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > limit:  # it grew while being read
                raise Unreadable(f"{path.name} is more than the {limit:,} bytes allowed")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise Unreadable(f"could not read {path.name}: {error.strerror}") from None
    finally:
        os.close(fd)
