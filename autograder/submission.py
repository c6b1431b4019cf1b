"""Loads a submission: a filled-in `.py` copy of the exercise, a notebook, or a folder holding one.

Loading only reads: nothing of the student's is compiled or run here. A notebook's code cells are
joined in order into one script, with IPython's `%magics` and `!shell` lines commented out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 2 << 20  # of code
MAX_NOTEBOOK_BYTES = 64 << 20  # a notebook's file: saved outputs (the attention plots) take megabytes
SUFFIXES = (".py", ".ipynb")


@dataclass
class Submission:
    student: str  # the file's stem, or the folder's name for a folder per student
    path: Path
    source: str = ""
    error: str = ""  # why it could not be loaded, for the student

    @property
    def filename(self) -> str:
        return self.path.stem + ".py" if self.path.suffix in SUFFIXES else "submission.py"


def find(paths: list[Path]) -> list[Path]:
    """The submissions named: a file is one; a folder is a class, in which each .py or .ipynb file
    is one student's and each sub-folder is one student's."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(
                p
                for p in path.iterdir()
                if not p.name.startswith(".") and (p.suffix in SUFFIXES or p.is_dir())
            )
        else:
            found.append(path)
    return found


def load(path: Path) -> Submission:
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.suffix in SUFFIXES and ".ipynb_checkpoints" not in p.parts
        )
        preferred = [p for p in files if p.stem == "induction_heads"]
        if len(preferred) == 1 or len(files) == 1:
            submission = load((preferred or files)[0])
            submission.student, submission.path = path.name, (preferred or files)[0]
            return submission
        found = ", ".join(p.name for p in files) or "none"
        return Submission(path.name, path, error=f"expected one .py or .ipynb file in {path}, found: {found}")
    if path.suffix not in SUFFIXES:
        return Submission(path.stem, path, error=f"{path.name} is not a .py file or a notebook (.ipynb)")
    try:
        data = path.read_bytes()
    except OSError as error:
        return Submission(path.stem, path, error=f"could not read {path}: {error.strerror}")
    limit = MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_BYTES
    if len(data) > limit:
        return Submission(path.stem, path, error=f"{path.name} is {len(data)} bytes, more than {limit}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Submission(path.stem, path, error=f"{path.name} is not UTF-8 text: {error}")
    if path.suffix == ".ipynb":
        try:
            text = notebook_to_script(text)
        except ValueError as error:
            return Submission(path.stem, path, error=f"{path.name} is not a readable notebook: {error}")
        if len(text) > MAX_BYTES:
            return Submission(
                path.stem,
                path,
                error=f"{path.name} holds {len(text)} characters of code, more than {MAX_BYTES}",
            )
    return Submission(path.stem, path, source=text)


def notebook_to_script(text: str) -> str:
    """A notebook's code cells, in order, as one script."""
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(str(error)) from None
    chunks = []
    for number, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        lines = [
            f"# {line}" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
        ]
        chunks.append(f"# In[{number}]:\n" + "\n".join(lines))
    return "\n\n".join(chunks) + "\n"
