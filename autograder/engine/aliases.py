"""Other names the course gives an exercise function (ARENA 3.0's `head_zero_ablation_hook` for
`head_ablation_hook`, say): a file that defines a function only under one of them is graded under it.

The file's text is searched on the judge's side, before the run, for a definition of each name
(`def NAME(` or `NAME =`, in a script or in a notebook's JSON alike); the worker is then asked for
the alias, and what comes back is filed under the pack's own name, with a note saying which name
was found.
"""

from __future__ import annotations

import re

from autograder.engine.pack import Pack
from autograder.engine.runner import RawResults


def _defines(text: str, name: str) -> bool:
    return re.search(rf"\bdef\s+{re.escape(name)}\s*\(|\b{re.escape(name)}\s*=(?!=)", text) is not None


def found(pack: Pack, functions: list[str], data: bytes) -> dict[str, str]:
    """function -> the other name the file defines it under, for the functions it defines only so."""
    if not any(pack.function(f).aliases for f in functions):
        return {}
    text = data.decode("utf-8", errors="replace")
    names = {}
    for function in functions:
        aliases = pack.function(function).aliases
        if aliases and not _defines(text, function):
            alias = next((a for a in aliases if _defines(text, a)), None)
            if alias is not None:
                names[function] = alias
    return names


def request_for(request: dict, names: dict[str, str]) -> dict:
    """The request with each function asked for under the name the file gives it."""
    if not names:
        return request
    tasks = [
        task | {"function": names.get(task["function"], task["function"])} for task in request["functions"]
    ]
    return request | {"functions": tasks}


def file_under_own_names(raw: RawResults, names: dict[str, str]) -> None:
    """What came back for an alias, filed under the pack's name of the function."""
    for function, alias in names.items():
        if alias in raw.imports:
            imported = raw.imports.pop(alias)
            defined = dict(imported.get("functions") or {})
            if alias in defined:
                defined[function] = defined.pop(alias)
            raw.imports[function] = imported | {"functions": defined}
        for table in (raw.problems, raw.problem_cases, raw.missing):
            if alias in table:
                table[function] = table.pop(alias)


def notes(names: dict[str, str]) -> list[str]:
    return [
        f"{function} was found under the name {alias} (a name the course also uses) and graded as {function}"
        for function, alias in names.items()
    ]
