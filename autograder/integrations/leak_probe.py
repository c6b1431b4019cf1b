"""The behaviour half of a release's leak check, run as a script on the written release folder:

    python leak_probe.py RELEASE CASES.json OUT.json

imports every Python module of RELEASE (its own `autograder` package first on the path, never the
instructor's), calls every function they define (and every function kept in a module-level list,
tuple or dict: the lambdas of a table) on each exercise function's public inputs, and writes to
OUT.json the calls whose answer is the reference's. The candidates run in a forked child, each call
under a time limit, so that no function can hang or harm the probe. Not shipped in a release.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import inspect
import json
import os
import select
import signal
import sys
from pathlib import Path

CALL_SECONDS = 5
MATCH = dict(atol=1e-4, rtol=1e-3)


def main(release: Path, cases_file: Path) -> list[dict]:
    sys.path.insert(0, str(release))
    cases = json.loads(cases_file.read_text())
    candidates = []
    for path in sorted(release.rglob("*.py")):
        if path.name == "__main__.py" or ".venv" in path.parts:
            continue
        module = _import(release, path)
        if module is not None:
            candidates += _functions(module)
    return _probe(candidates, cases)


def _probe(candidates: list[tuple[str, object]], cases: dict) -> list[dict]:
    """Calls the candidates in a forked child, one after the other; a candidate that ends or hangs
    the child is skipped, and a new child goes on with the next."""
    leaks, start = [], 0
    while start < len(candidates):
        done = _child(candidates, cases, start, leaks)
        start = done + 2  # the candidate after the last one done was the one that stopped the child
    return leaks


def _child(candidates, cases: dict, start: int, leaks: list) -> int:
    """Runs candidates[start:] in a child; returns the index of the last one it finished."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        signal.signal(signal.SIGALRM, _too_long)
        for index in range(start, len(candidates)):
            where, function = candidates[index]
            found = []
            for exercise, calls in cases.items():
                for call in calls:
                    for how in ("numpy", "torch"):
                        signal.alarm(CALL_SECONDS)
                        if _answers(function, call, how):
                            found.append(
                                {"function": where, "exercise": exercise, "case": call["case"], "how": how}
                            )
                            break
                signal.alarm(0)
            os.write(write, (json.dumps([index, found]) + "\n").encode())
        os._exit(0)
    os.close(write)
    last, pending = start - 1, b""
    while True:
        ready, _, _ = select.select([read], [], [], CALL_SECONDS * 4)
        if not ready:  # a candidate that does not let the alarm stop it
            os.kill(child, signal.SIGKILL)
            break
        chunk = os.read(read, 1 << 16)
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            index, found = json.loads(line)
            last = index
            leaks += found
    os.close(read)
    os.waitpid(child, 0)
    return last


def _import(release: Path, path: Path):
    relative = path.relative_to(release).with_suffix("")
    try:
        if relative.parts[0] == "autograder":
            name = ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)
            return importlib.import_module(name)
        name = "released_" + "_".join(relative.parts)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    except BaseException:  # a module that cannot be imported here defines nothing to call
        return None


def _functions(module) -> list[tuple[str, object]]:
    """(where, function) for each function the module defines, and those in its tables."""
    found = []
    for name, value in list(vars(module).items()):
        items = [(name, value)]
        if isinstance(value, (list, tuple, dict)):
            values = value.values() if isinstance(value, dict) else value
            for i, item in enumerate(values):
                items += [(f"{name}[{i}]", x) for x in (item if isinstance(item, tuple) else (item,))]
        for where, item in items:
            if inspect.isfunction(item) and item.__module__ == module.__name__:
                found.append((f"{module.__name__}.{where}", item))
    return found


def _too_long(signum, frame):
    raise TimeoutError


def _answers(function, call: dict, how: str) -> bool:
    import numpy as np

    try:
        args = [_value(arg, how) for arg in call["args"]]
        inspect.signature(function).bind(*args)
        got = function(*args)
        if hasattr(got, "detach"):
            got = got.detach().cpu().numpy()
        got = np.asarray(got, dtype=np.float64)
    except BaseException:
        return False
    want = _value(call["want"], "numpy").astype(np.float64)
    if got.shape != want.shape or np.ptp(want) == 0 or not np.allclose(got, want, **MATCH):
        return False
    plain = [_value(arg, "numpy") for arg in call["args"]]  # returning an input as it was is no answer
    return not any(getattr(a, "shape", None) == want.shape and np.allclose(a, want, **MATCH) for a in plain)


def _value(arg: dict, how: str):
    import numpy as np

    if "int" in arg:
        return arg["int"]
    if "none" in arg:
        return None
    values = np.frombuffer(base64.b64decode(arg["data"]), dtype=arg["dtype"]).reshape(arg["shape"]).copy()
    if how == "torch":
        import torch

        return torch.from_numpy(values)
    return values


if __name__ == "__main__":
    sys.path.pop(0)  # this script's folder: nothing is imported from it
    leaks = main(Path(sys.argv[1]), Path(sys.argv[2]))
    Path(sys.argv[3]).write_text(json.dumps(leaks))
