"""The expected values: the reference solution run on every case, once, and kept.

The reference runs through the same sandboxed worker as a submission (in "reference" mode), so the
judge never imports torch or the solutions. Besides each return value, the run records the inputs
the checks look at (for the judge's explanations) and the calls each function made to the other
exercise functions (for the stand-ins that let each function be judged alone). The result is cached
on the instructor's side under a key that changes with the whole pack, its inputs (a secret's draw
included), the fixtures' files and the worker's code. A release for students ships the public
inputs' expected values instead (`expected_path`), since it has no reference solution to run.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from autograder.engine import wire
from autograder.engine.files import cache_dir
from autograder.engine.pack import Inputs, Pack
from autograder.engine.runner import Template, run_submission
from autograder.output.atomic import write_atomically

ENGINE = Path(__file__).parent
WORKER_SOURCES = ("worker.py", "program.py", "fixtures.py", "wire.py", "zygote.py")


class ReferenceFailed(RuntimeError):
    """The reference solution did not run cleanly: a fault in the project, not in a submission."""


@dataclass
class Reference:
    outcomes: dict[str, dict]  # case id -> {"status", "value", "args", "calls", "inputs"}

    def request(self, pack: Pack, inputs: Inputs, functions: list[str]) -> tuple[dict, dict]:
        """The student-mode request for `functions`, with the reference's recorded calls to replay."""
        tensors: dict = {}
        tasks = []
        for function in functions:
            stand_ins = _stand_ins(pack, function)
            task_cases = []
            for case in inputs.of(function):
                request = case.request()
                if stand_ins:
                    replay: dict[str, list] = {}
                    for call in self.outcomes[case.id].get("calls") or []:
                        result = wire.encode_decoded(call["result"], tensors)
                        replay.setdefault(call["function"], []).append(
                            {"arguments": call["arguments"], "result": result}
                        )
                    request["replay"] = replay
                task_cases.append(request)
            tasks.append({"function": function, "cases": task_cases, "stand_ins": stand_ins})
        return {"mode": "student", "functions": tasks}, tensors

    def keep(self, case_ids) -> Reference:
        return Reference({case: self.outcomes[case] for case in case_ids if case in self.outcomes})


def _stand_ins(pack: Pack, function: str) -> dict:
    """For each exercise function `function` calls: how its stand-in binds calls (the reference's
    parameters), the other names it goes by, and the reference's own code for calls the recording
    does not cover (only where the reference solution is: never in a release)."""
    stand_ins = {}
    for name in pack.function(function).stand_ins:
        declared = pack.function(name)
        stand_ins[name] = {
            "parameters": declared.parameters(),
            "aliases": list(declared.aliases),
            "own_form": declared.own_form,
            "implementation": implementation(pack.solution, name),
        }
    return stand_ins


@functools.cache
def implementation(solution: Path, name: str) -> str | None:
    """The reference's definition of `name` as source: the solution's imports, the function, and the
    solution's other functions it uses. None where there is no solution (a release)."""
    try:
        tree = ast.parse(solution.read_text())
    except (OSError, SyntaxError, ValueError):
        return None
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    if name not in functions:
        return None
    needed, todo = [], [name]
    while todo:
        current = todo.pop()
        if current in needed:
            continue
        needed.append(current)
        todo += [
            node.id
            for node in ast.walk(functions[current])
            if isinstance(node, ast.Name) and node.id in functions and node.id not in needed
        ]
    imports = [
        node
        for node in tree.body
        if isinstance(node, ast.Import)
        or (isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("autograder"))
    ]
    body = imports + [functions[n] for n in reversed(needed)]
    return ast.unparse(ast.Module(body=body, type_ignores=[]))


def reference_request(pack: Pack, inputs: Inputs) -> dict:
    tasks = [
        {
            "function": f.name,
            "cases": [case.request() for case in inputs.of(f.name)],
            "stand_ins": _stand_ins(pack, f.name),
        }
        for f in pack.functions
    ]
    return {"mode": "reference", "functions": tasks, "filename": pack.solution.name}


def key(pack: Pack, inputs: Inputs, fixture_files: list[Path]) -> str:
    """Changes with the pack, its inputs, the files its fixtures read, and the code that builds
    them and runs the worker."""
    import importlib.util

    h = hashlib.sha256(pack.digest.encode())
    h.update(inputs.digest.encode())
    fixtures = importlib.util.find_spec(pack.fixtures.partition(":")[0])
    for path in [ENGINE / name for name in WORKER_SOURCES] + ([Path(fixtures.origin)] if fixtures else []):
        h.update(path.read_bytes())
    for path in fixture_files:
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                h.update(file.name.encode())
                h.update(file.read_bytes())
    return h.hexdigest()[:24]


def expected_path(pack: Pack) -> Path:
    """Where a release keeps the public inputs' expected values (no reference solution beside them)."""
    return pack.package / "expected"


def load_or_run(
    template: Template, pack: Pack, inputs: Inputs, fixture_files: list[Path], public: bool
) -> Reference:
    """The cached reference run for these inputs; else, for the public inputs, the expected values a
    release ships; else a new run (about a second), saved for next time."""
    found = cached(pack, inputs, fixture_files, public)
    if found is not None:
        return found
    if not pack.solution.exists():
        raise ReferenceFailed(
            f"no expected values for {pack.name}: its reference solution ({pack.solution.name}) is not here, "
            "and neither are the expected values a release ships"
        )
    reference = run(template, pack, inputs)
    write(reference, cache_dir() / "reference" / key(pack, inputs, fixture_files))
    return reference


def cached(pack: Pack, inputs: Inputs, fixture_files: list[Path], public: bool) -> Reference | None:
    """The reference for these inputs if it is at hand (the cache, or a release's expected values
    for the public inputs), without running anything; else None."""
    own = cache_dir() / "reference" / key(pack, inputs, fixture_files)
    for base in (own, expected_path(pack) / "public") if public else (own,):
        reference = read(base)
        if reference is not None and all(case.id in reference.outcomes for case in inputs.cases):
            return reference
    return None


def read(base: Path) -> Reference | None:
    document_path, blob_path = base.with_suffix(".json"), base.with_suffix(".safetensors")
    if not (document_path.exists() and blob_path.exists()):
        return None
    try:
        return loads(document_path.read_bytes(), blob_path.read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged cache file: run the reference again


def write(reference: Reference, base: Path) -> None:
    document, blob = dumps(reference)
    write_atomically(base.with_suffix(".safetensors"), blob)
    write_atomically(base.with_suffix(".json"), document)


def dumps(reference: Reference) -> tuple[bytes, bytes]:
    """The reference as plain data: a JSON document and the safetensors bytes of its arrays (the
    files `write` makes, and what a cluster's workers are sent). Also used for a result's raw values."""
    arrays = wire.Arrays()  # the same cache's patterns recur across cases: each array once
    document = {"outcomes": {case: _encode(outcome, arrays) for case, outcome in reference.outcomes.items()}}
    return json.dumps(document).encode(), wire.arrays_to_blob(arrays)


def loads(document: bytes, blob: bytes) -> Reference:
    """The inverse of `dumps`; raises ValueError (or KeyError, TypeError) on a damaged document."""
    arrays = wire.blob_to_arrays(blob)
    outcomes = json.loads(document)["outcomes"]
    return Reference({case: _decode(outcome, arrays) for case, outcome in outcomes.items()})


def run(template: Template, pack: Pack, inputs: Inputs) -> Reference:
    raw = run_submission(template, reference_request(pack, inputs), pack.solution.read_bytes())
    failures = [f"{f}: {p}" for f, p in raw.problems.items()]
    failures += [raw.unloadable, raw.invalid] if raw.unloadable or raw.invalid else []
    failures += [f"{p['where']}: {p['type']}: {p['message']}" for p in raw.program]
    failures += [f"{c}: {o['error']}" for c, o in raw.outcomes.items() if o["status"] != "ok"]
    if failures:
        raise ReferenceFailed(
            "the reference solution failed:\n" + "\n".join(failures[:10]) + "\n" + raw.output
        )
    return Reference(raw.outcomes)


def _encode(outcome: dict, arrays: dict) -> dict:
    return {
        k: wire.encode_decoded(v, arrays) if k in ("value", "args", "calls", "inputs") else v
        for k, v in outcome.items()
    }


def _decode(outcome: dict, arrays: dict) -> dict:
    return {
        k: wire.decode(v, arrays) if k in ("value", "args", "calls", "inputs") else v
        for k, v in outcome.items()
    }
