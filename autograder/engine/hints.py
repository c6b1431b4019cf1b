"""Hints that name a mistake, as the judge gives them and as a release ships them.

On the instructor's side a pack's `mistakes.py` simulates the usual wrong versions of each function
on the inputs the reference run recorded, and the one that would have returned what a submission did
is the hint. Those simulators are the reference with a knob (the default setting of a knob *is* the
answer), so a release never ships them: it ships a table instead, `hints.json` beside the public
inputs' expected values, with each simulated mistake's output on each public case, and the hints for
exceptions as plain rules. This module builds the table, and turns it (or the rules of a
`mistakes.py`) into the pack's `hints` and `error_hint`. No code in the table computes an answer.

A pack's `mistakes.py` provides:
    simulations(function, case, want) -> [(hint, output), ...]   outputs: numpy arrays or label sets
    HINTS         {function: hint(answers)}: the judge's own (it may know more rules than the table)
    ERROR_HINTS   [{"functions": [...], "types": [...], "contains": "...", "hint": "..."}, ...]
and the pack a `hint_form(function, case, got)`: what a submission's answer is, in the form of the
simulated outputs (None where it has none), so that the table can be matched without `mistakes.py`.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from autograder.engine.contract import Answer

FILE = "hints.json"
MATCH = dict(atol=1e-4, rtol=1e-3)  # a wrong version "would have returned" what came back
MAX_VALUES = 1 << 20


def build(pack, inputs, reference) -> dict:
    """The table for `inputs` (the public ones): every simulated mistake's output on every case, and
    the rules of the hints for exceptions."""
    mistakes = _mistakes(pack)
    table: dict = {"mistakes": {}, "errors": list(getattr(mistakes, "ERROR_HINTS", []))}
    simulate = getattr(mistakes, "simulations", None)
    if simulate is None:
        return table
    for function in pack.names:
        hints: list[str] = []
        cases: dict[str, list] = {}
        for case in inputs.of(function):
            want = reference.outcomes.get(case.id)
            if want is None or "value" not in want:
                continue
            for hint, output in simulate(function, case, Answer.of(want)):
                if hint not in hints:
                    hints.append(hint)
                cases.setdefault(case.id, []).append([hints.index(hint), _plain(output)])
        if cases:
            table["mistakes"][function] = {"hints": hints, "cases": cases}
    return table


def write(table: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    path.write_text(json.dumps(table, separators=(",", ":")))
    return path


def for_pack(package: str, expected: Path, form: Callable) -> tuple[dict[str, Callable], Callable | None]:
    """A pack's (hints, error_hint): from its `mistakes.py` where it is here (the instructor's side),
    else from the table its release ships in `expected` (matched with `form`), else none."""
    try:
        mistakes = importlib.import_module(f"{package}.mistakes")
    except ModuleNotFoundError as error:
        if error.name != f"{package}.mistakes":
            raise
        path = expected / FILE
        if not path.exists():
            return {}, None
        table = json.loads(path.read_text())
        return from_table(table, form), error_rules(table["errors"])
    return dict(mistakes.HINTS), error_rules(mistakes.ERROR_HINTS)


def from_table(table: dict, form: Callable) -> dict[str, Callable]:
    """{function: hint(answers)} matching answers against the simulated outputs: the first mistake
    whose output is what came back on every case the submission answered (and which the table has),
    where at least one answer is wrong."""
    return {
        function: (lambda answers, function=function, entry=entry: _match(answers, function, entry, form))
        for function, entry in table["mistakes"].items()
    }


def _match(answers, function: str, entry: dict, form: Callable) -> str | None:
    seen = []
    for case, got, want in answers:
        if case.id not in entry["cases"]:
            continue
        value = form(function, case, got)
        if value is not None:
            seen.append((case, value, form(function, case, want.value)))
    if all(_same(value, expected) for _, value, expected in seen):
        return None
    outputs = {
        case_id: [(index, _value(plain)) for index, plain in found]
        for case_id, found in entry["cases"].items()
    }
    for index, hint in enumerate(entry["hints"]):
        if all(
            any(i == index and _same(value, output) for i, output in outputs[case.id])
            for case, value, _ in seen
        ):
            return hint
    return None


def error_rules(rules: list[dict]) -> Callable[[str, dict], str | None] | None:
    """error_hint(function, error): the first rule whose function, exception type and words match."""
    if not rules:
        return None

    def error_hint(function: str, error: dict) -> str | None:
        kind, message = str(error.get("type", "")), str(error.get("message", ""))
        for rule in rules:
            if (
                function in rule["functions"]
                and (not rule.get("types") or kind in rule["types"])
                and rule.get("contains", "") in message
            ):
                return rule["hint"]
        return None

    return error_hint


def _mistakes(pack):
    try:
        return importlib.import_module(f"{_package_name(pack)}.mistakes")
    except ModuleNotFoundError:
        return None


def _package_name(pack) -> str:
    module = pack.inputs.__module__  # the pack's cases module: <package>.cases
    return module.rsplit(".", 1)[0]


def _plain(output) -> dict:
    if isinstance(output, (set, frozenset)):
        return {"labels": sorted(map(str, output))}
    values = np.asarray(output, dtype=np.float32)
    # The shape before ascontiguousarray, which makes a number (0-d) a 1-d array of one element.
    data = np.ascontiguousarray(values).tobytes()
    return {"shape": list(values.shape), "float32": base64.b64encode(data).decode()}


def _value(plain: dict):
    if "labels" in plain:
        return frozenset(plain["labels"])
    values = np.frombuffer(base64.b64decode(plain["float32"]), dtype=np.float32)
    return values.reshape(plain["shape"]).astype(np.float64)


def _same(a, b) -> bool:
    if isinstance(a, (set, frozenset)) or isinstance(b, (set, frozenset)):
        return isinstance(a, (set, frozenset)) and isinstance(b, (set, frozenset)) and set(a) == set(b)
    if a is None or b is None:
        return False
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and a.size <= MAX_VALUES and bool(np.allclose(a, b, **MATCH))
