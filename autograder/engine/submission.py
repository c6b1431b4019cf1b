"""Finds and loads submissions: a `.py` file, a notebook, or a folder holding one.

Loading only reads bytes, safely (see `files.read_submitted`): parsing the code or the notebook's
JSON happens in the sandboxed worker (`program.py`), like everything else the student wrote.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.engine.files import Unreadable, read_submitted
from autograder.engine.wire import clean

MAX_SCRIPT_BYTES = 2 << 20
MAX_NOTEBOOK_BYTES = 64 << 20  # saved outputs (attention plots) take megabytes
SUFFIXES = (".py", ".ipynb")
SKIPPED_FOLDERS = (".ipynb_checkpoints", "__pycache__", "__MACOSX")


@dataclass
class Submission:
    student: str  # the file's stem, or the folder's name for a folder per student
    path: Path
    data: bytes = b""
    format: str = "py"  # "py" or "ipynb" (a kernel's cells come as "ipynb" too)
    error: str = ""  # why it could not be loaded, for the student

    @property
    def filename(self) -> str:
        return clean(self.path.name) if self.path.suffix in SUFFIXES else "submission.py"

    @property
    def digest(self) -> str:
        """sha256 of what was graded (or of why nothing was), so a rerun knows whether it is current."""
        return hashlib.sha256(self.data or self.error.encode()).hexdigest()


def student_id(name: str) -> str:
    """A student's id from a file or folder name, safe in every report: no control characters (a
    newline included), no lone surrogates (a name that is not UTF-8)."""
    return clean(name).replace("\n", "\\n").replace("\t", "\\t") or "unnamed"


def find(paths: list[Path]) -> list[Path]:
    """The submissions named: a file is one; a folder is a class, in which each .py or .ipynb file
    is one student's and each sub-folder is one student's. Hidden entries are left out."""
    found = []
    for path in map(Path, paths):
        if path.is_dir() and not path.is_symlink():
            found += sorted(
                p
                for p in path.iterdir()
                if not p.name.startswith(".")
                and p.name not in SKIPPED_FOLDERS
                and (p.suffix in SUFFIXES or (p.is_dir() and not p.is_symlink()))
            )
        else:
            found.append(path)
    return found


def load(path: Path, prefer: str = "induction_heads") -> Submission:
    """Reads one submission. A folder must hold one .py or .ipynb file, or one named `prefer`."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        files = _files_in(path)
        chosen = pick(files, prefer)
        if chosen is None:
            found = ", ".join(str(p.relative_to(path)) for p in files) or "none"
            return Submission(
                path.name, path, error=f"expected one .py or .ipynb file in {path.name}, found: {found}"
            )
        submission = _read(chosen, within=path)
        submission.student = path.name
        return submission
    return _read(path, within=path.parent)


def pick(files: list[Path], prefer: str) -> Path | None:
    """The file to grade among a folder's: the only one, else the one named after the exercise
    (`.py` before `.ipynb`), else None."""
    if len(files) == 1:
        return files[0]
    for suffix in SUFFIXES:
        named = [p for p in files if p.name == prefer + suffix]
        if len(named) == 1:
            return named[0]
    return None


def _files_in(folder: Path) -> list[Path]:
    found = []
    for root, dirs, names in os.walk(folder):  # os.walk does not follow links to folders
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        found += [
            Path(root) / n for n in sorted(names) if Path(n).suffix in SUFFIXES and not n.startswith(".")
        ]
    return found


def _read(path: Path, within: Path) -> Submission:
    student = student_id(path.stem)
    if path.suffix not in SUFFIXES:
        return Submission(student, path, error=f"{clean(path.name)} is not a .py file or a notebook (.ipynb)")
    limit = MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_SCRIPT_BYTES
    try:
        data = read_submitted(path, limit, within=within)
    except Unreadable as error:
        return Submission(student, path, error=clean(str(error)))
    return Submission(student, path, data=data, format=path.suffix.lstrip("."))


def from_source(student: str, source: str, filename: str = "submission.py") -> Submission:
    """A submission given as text (tests, the notebook's own check)."""
    path = Path(filename)
    return Submission(student, path, data=source.encode(), format=path.suffix.lstrip(".") or "py")
