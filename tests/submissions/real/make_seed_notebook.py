"""Builds seed_notebook.ipynb from the seed notebook's text (seed_notebook.txt, a copy of the
project's seed, induction-heads-notebook.txt).

Each `In [N]:` block becomes a code cell with execution count N and exactly that block's code; the
lines after the code (what the cell printed: "Heads attending to current token  =  0.9",
"<All keys matched successfully>", ...) become the cell's stream outputs, one per paragraph. The
lines before the first block become a markdown cell.

    python tests/submissions/real/make_seed_notebook.py [SEED_TEXT] [--check]

--check writes nothing and exits 1 when seed_notebook.ipynb is not what the text builds.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
SEED = HERE / "seed_notebook.txt"
NOTEBOOK = HERE / "seed_notebook.ipynb"
BLOCK = re.compile(r"^In \[(\d+)\]:\s*$")
WARNINGS = ("Using pad_token",)  # printed on stderr by the tokenizer, not by the cell's code


def _parses(lines: list[str]) -> bool:
    try:
        ast.parse("\n".join(lines))
    except SyntaxError:
        return False
    return True


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return lines


def _source(lines: list[str]) -> list[str]:
    """Jupyter's form: a list of lines, each but the last ending in a newline."""
    return [line + "\n" for line in lines[:-1]] + lines[-1:]


def _cell_id(index: int, text: str) -> str:
    return hashlib.sha1(f"{index}:{text}".encode()).hexdigest()[:8]


def split_block(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """(code, outputs): the longest prefix that is valid Python is the code; the rest, paragraph by
    paragraph, is what it printed."""
    cut = next(k for k in range(len(lines), 0, -1) if _parses(lines[:k]))
    code, rest = _trim(lines[:cut]), _trim(lines[cut:])
    outputs: list[list[str]] = []
    for line in rest:
        if not line.strip():
            if outputs and outputs[-1]:
                outputs.append([])
        elif outputs:
            outputs[-1].append(line)
        else:
            outputs.append([line])
    return code, [paragraph for paragraph in outputs if paragraph]


def build(text: str) -> dict:
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if BLOCK.match(line)]
    cells = []
    markdown = _trim(lines[: starts[0]])
    if markdown:
        cells.append({"cell_type": "markdown", "metadata": {}, "source": _source(markdown)})
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        code, outputs = split_block(lines[start + 1 : end])
        cells.append(
            {
                "cell_type": "code",
                "execution_count": int(BLOCK.match(lines[start]).group(1)),
                "metadata": {},
                "outputs": [
                    {
                        "name": "stderr" if paragraph[0].startswith(WARNINGS) else "stdout",
                        "output_type": "stream",
                        "text": [line + "\n" for line in paragraph],
                    }
                    for paragraph in outputs
                ],
                "source": _source(code),
            }
        )
    for index, cell in enumerate(cells):
        cell["id"] = _cell_id(index, "".join(cell["source"]))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {
                "codemirror_mode": {"name": "ipython", "version": 3},
                "file_extension": ".py",
                "mimetype": "text/x-python",
                "name": "python",
                "nbconvert_exporter": "python",
                "pygments_lexer": "ipython3",
                "version": "3.10.12",
            },
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    text = Path(paths[0] if paths else SEED).read_text(encoding="utf-8")
    built = json.dumps(build(text), indent=1, ensure_ascii=False) + "\n"
    if check:
        current = NOTEBOOK.read_text(encoding="utf-8") if NOTEBOOK.exists() else ""
        if current != built:
            print(f"{NOTEBOOK.name} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    NOTEBOOK.write_text(built, encoding="utf-8")
    print(f"wrote {NOTEBOOK} ({sum(c['cell_type'] == 'code' for c in build(text)['cells'])} code cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
