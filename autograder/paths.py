"""Where the project's files live: the repository, and the cache for downloads and reference runs."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograder"
SOLUTION = ROOT / "solutions" / "induction_heads.py"
EXERCISE = ROOT / "exercises" / "induction_heads.py"
CACHE_ENV = "INDUCTION_GRADER_CACHE"


def cache_dir() -> Path:
    """$INDUCTION_GRADER_CACHE, else $XDG_CACHE_HOME/induction-grader, else ~/.cache/induction-grader."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "induction-grader"


def write_atomically(path: Path, data: bytes) -> None:
    """Writes via a temporary file and a rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
