"""The expected values: the reference solution run on every case, once, and kept on disk.

The reference runs through the same sandboxed worker as a submission (in "reference" mode), so the
judge never imports torch or the solutions. Besides each return value, the run records the inputs
the detectors saw (for the judge's explanations) and the calls each function made to the other
exercise functions (for the stand-ins that let each function be judged alone). The result is cached
under a key that changes with the solution, the inputs, the model weights and the worker's code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from autograder import cases, paths, wire
from autograder.runner import Template, run_submission

WORKER_SOURCES = ("worker.py", "inputs.py", "wire.py", "models.py", "zygote.py")


class ReferenceFailed(RuntimeError):
    """The reference solution did not run cleanly: a fault in the project, not in a submission."""


@dataclass
class Reference:
    outcomes: dict[str, dict]  # case id -> {"status", "value", "args", "calls"}

    def request(self, functions: list[str]) -> tuple[dict, dict]:
        """The student-mode request for `functions`, with the reference's recorded calls to replay."""
        tensors: dict = {}
        tasks = []
        for function in functions:
            stand_ins = {name: cases.EXERCISES[name] for name in cases.STAND_INS.get(function, [])}
            task_cases = []
            for case in cases_of(function):
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


def cases_of(function: str) -> list[cases.Case]:
    return [case for case in cases.all_cases() if case.function == function]


def reference_request() -> dict:
    tasks = [
        {
            "function": function,
            "cases": [case.request() for case in cases_of(function)],
            "stand_ins": {name: cases.EXERCISES[name] for name in cases.STAND_INS.get(function, [])},
        }
        for function in cases.EXERCISES
    ]
    return {"mode": "reference", "functions": tasks}


def key(catalog: dict, tensors: dict) -> str:
    """Changes with the solution, the inputs, the default model's files and the worker's code."""
    h = hashlib.sha256(paths.SOLUTION.read_bytes())
    h.update(cases.digest(catalog, tensors).encode())
    for name in WORKER_SOURCES:
        h.update((paths.PACKAGE / name).read_bytes())
    model_dir = paths.PACKAGE / "data" / "default_model"
    for file in sorted(model_dir.glob("*")) if model_dir.exists() else []:
        h.update(file.name.encode())
        h.update(file.read_bytes())
    return h.hexdigest()[:24]


def load_or_run(template: Template, catalog: dict, tensors: dict) -> Reference:
    """The cached reference run for these inputs, or a new run (about a second) saved for next time."""
    base = paths.cache_dir() / "reference" / key(catalog, tensors)
    document_path, blob_path = base.with_suffix(".json"), base.with_suffix(".safetensors")
    if document_path.exists() and blob_path.exists():
        try:
            document = json.loads(document_path.read_text())
            arrays = wire.blob_to_arrays(blob_path.read_bytes())
            outcomes = {case: _decode(outcome, arrays) for case, outcome in document["outcomes"].items()}
            return Reference(outcomes)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file: run the reference again
    reference = run(template)
    arrays: dict = {}
    document = {"outcomes": {case: _encode(outcome, arrays) for case, outcome in reference.outcomes.items()}}
    paths.write_atomically(blob_path, wire.arrays_to_blob(arrays))
    paths.write_atomically(document_path, json.dumps(document).encode())
    return reference


def run(template: Template) -> Reference:
    raw = run_submission(template, reference_request(), paths.SOLUTION.read_text())
    failures = [f"{f}: {p}" for f, p in raw.problems.items()]
    failures += [f"{f}: {i['error']}" for f, i in raw.imports.items() if "error" in i]
    failures += [f"{c}: {o['error']}" for c, o in raw.outcomes.items() if o["status"] != "ok"]
    if failures:
        raise ReferenceFailed(
            "the reference solution failed:\n" + "\n".join(failures[:10]) + "\n" + raw.output
        )
    return Reference(raw.outcomes)


def _encode(outcome: dict, arrays: dict) -> dict:
    return {
        k: wire.encode_decoded(v, arrays) if k in ("value", "args", "calls") else v
        for k, v in outcome.items()
    }


def _decode(outcome: dict, arrays: dict) -> dict:
    return {k: wire.decode(v, arrays) if k in ("value", "args", "calls") else v for k, v in outcome.items()}
