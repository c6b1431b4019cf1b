"""`autograder new-exercise NAME DIR`: a new exercise pack, as a Python package of its own.

It writes DIR/pyproject.toml (its entry point in the `autograder.packs` group), DIR/NAME_pack/ (the
declaration: function, cases public and secret, checks with points, a hint) and DIR/solutions/NAME.py
(the single source, with one small example function). After `pip install -e DIR`, `autograder
exercises` lists it and `autograder build --exercise NAME` writes DIR/exercises/.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "templates" / "pack"


def write(name: str, out: Path) -> Path:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise ValueError(
            f"{name!r} cannot name an exercise: use lower-case letters, digits and _ (a Python name)"
        )
    from autograder.engine import pack as packs

    if name in packs.packs():
        raise ValueError(f"an exercise named {name!r} is installed already: choose another name")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty: give a new folder")
    values = {"name": name, "title": name.replace("_", " ").capitalize()}
    files = {
        out / "pyproject.toml": "pyproject.toml.tmpl",
        out / f"{name}_pack" / "__init__.py": "pack.py.tmpl",
        out / "solutions" / f"{name}.py": "solution.py.tmpl",
    }
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((TEMPLATES / template).read_text()).substitute(values))
    return out
