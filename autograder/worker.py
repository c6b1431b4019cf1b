"""What runs inside the sandboxed worker: import a submission, call one of its functions on every case
of a unit of work, and send back what came out as plain data.

Nothing here judges anything: there are no expected values in this process. Each case is reported
as it starts (so the judge can time it from outside) and as it ends, with the return value encoded
by `encode` (tensors by value, an ActivationCache as its attention patterns, anything else by class
name and repr).

In "reference" mode the submission is the reference solution: calls it makes to the other exercise
functions are recorded, so that in "student" mode those functions can be replaced by stand-ins that
replay the reference's results, and each function is judged alone.
"""

from __future__ import annotations

import inspect
import io
import os
import re
import sys
import time
import traceback
import types
from typing import Any

import numpy as np
import torch as t
from safetensors.torch import save as save_tensors

from autograder import wire
from autograder.inputs import Inputs

MAX_ELEMENTS = 20_000_000  # per returned tensor: far above any right answer, far below the memory limit
MAX_ITEMS = 10_000
MAX_TEXT = 2_000
PATTERN_KEY = re.compile(r"blocks\.(\d+)\.attn\.hook_pattern")


# --- return values -> plain data ---------------------------------------------------------------


def encode(value: Any, tensors: dict[str, t.Tensor], depth: int = 0) -> Any:
    """A value -> JSON-able document; tensors go into `tensors` and are referred to by name."""
    if value is None or isinstance(value, (bool, str)) and type(value) in (bool, str):
        return value if not isinstance(value, str) else value[:MAX_TEXT]
    if type(value) in (int, float):
        return value
    if depth > 16:
        return _opaque(value, "nested too deeply")
    if isinstance(value, t.Tensor):
        return _tensor(value, tensors, "tensor")
    if isinstance(value, np.ndarray) and type(value) is np.ndarray and value.dtype != object:
        return _tensor(t.from_numpy(np.array(value)), tensors, "ndarray")
    if type(value) in (list, tuple):
        items = [encode(item, tensors, depth + 1) for item in list(value)[:MAX_ITEMS]]
        return {"type": type(value).__name__, "items": items}
    if type(value) is dict:
        items = [
            [str(k)[:MAX_TEXT], encode(v, tensors, depth + 1)] for k, v in list(value.items())[:MAX_ITEMS]
        ]
        return {"type": "dict", "items": items}
    if _is_activation_cache(value):
        return _cache(value, tensors)
    return _opaque(value)


def _tensor(value: t.Tensor, tensors: dict[str, t.Tensor], kind: str) -> dict:
    dtype, device = str(value.dtype).replace("torch.", ""), str(value.device)
    if value.numel() > MAX_ELEMENTS:
        return _opaque(value, f"tensor of shape {list(value.shape)} is too large to return")
    # A plain, contiguous CPU copy: subclasses and views lose whatever behaviour they had.
    plain = t.Tensor.as_subclass(value.detach(), t.Tensor).to("cpu").contiguous().clone()
    if plain.dtype in (t.bfloat16, t.complex64, t.complex128) or plain.dtype.is_floating_point is None:
        plain = plain.to(t.float32)
    name = f"t{len(tensors)}"
    tensors[name] = plain
    return {"type": kind, "ref": name, "dtype": dtype, "device": device}


def _is_activation_cache(value: Any) -> bool:
    return any(cls.__name__ == "ActivationCache" for cls in type(value).__mro__)


def _cache(cache: Any, tensors: dict[str, t.Tensor]) -> dict:
    try:
        items = dict(cache.cache_dict)
        layers = sorted((int(m[1]), key) for key in items if (m := PATTERN_KEY.fullmatch(str(key))))
        patterns = [_tensor(items[key], tensors, "tensor") for _, key in layers]
        return {"type": "cache", "has_batch_dim": bool(cache.has_batch_dim), "patterns": patterns}
    except Exception as error:
        return {"type": "cache", "has_batch_dim": False, "patterns": [], "error": _describe(error)}


def _opaque(value: Any, note: str = "") -> dict:
    try:
        text = note or repr(value)
    except Exception:
        text = "<repr failed>"
    return {"type": "object", "class": _class_name(value), "repr": text[:MAX_TEXT]}


def _class_name(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}" if cls.__module__ != "builtins" else cls.__qualname__


def _describe(error: BaseException) -> str:
    try:
        return f"{type(error).__name__}: {error}"[:MAX_TEXT]
    except Exception:
        return type(error).__name__


def error_report(error: BaseException, filename: str) -> dict:
    """The exception as plain data, with the traceback trimmed to the submission's own frames."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if f.filename == filename] or frames[-1:]
    short = os.path.basename(filename)
    lines = [
        f'  File "{short if f.filename == filename else f.filename}", line {f.lineno}, in {f.name}\n'
        f"    {f.line}"
        for f in own[-6:]
    ]
    if isinstance(error, SyntaxError) and error.text:
        lines = [f'  File "{short}", line {error.lineno}\n    {error.text.rstrip()}']
    try:
        message = str(error).replace(filename, short)
    except Exception:
        message = "<str() failed>"
    if isinstance(error, PermissionError):  # the sandbox refused: say what it allows
        message += (
            " (while graded, code may start no other process, may read only Python and its packages,"
            " and may write only to its working folder)"
        )
    return {"type": type(error).__name__, "message": message[:MAX_TEXT], "traceback": "\n".join(lines)}


# --- the unit of work --------------------------------------------------------------------------


class Unit:
    """One submission's functions, each called on its cases, results streamed to `out`.

    Each function gets a freshly executed copy of the submission module, so that module state one
    function leaves behind cannot change another's result, and models are restored if a call
    modified them.
    """

    def __init__(
        self, request: dict, inputs: Inputs, out: io.RawIOBase, stand_in_tensors: dict[str, t.Tensor]
    ):
        self.request, self.inputs, self.out = request, inputs, out
        self.stand_in_tensors = stand_in_tensors
        self.filename = request["submission"]
        self.code = None  # the submission, compiled once, executed afresh for each function

    def send(self, document: dict, tensors: dict[str, t.Tensor] | None = None) -> None:
        blob = save_tensors(tensors) if tensors else b""
        frame = wire.pack(document, blob)
        view = memoryview(frame)
        while view:
            view = view[self.out.write(view) :]

    def run(self) -> None:
        for task in self.request["functions"]:
            self.inputs.restore_models()
            module = self.load(task["function"])
            if module is None:
                continue
            function = getattr(module, task["function"], None)
            if callable(function):
                for case in task["cases"]:
                    self.call(module, function, task, case)
        self.send({"event": "done"})

    def load(self, name: str):
        """Executes the submission as module "submission" (so its `if MAIN:` demo code does not run)."""
        self.send({"event": "importing", "function": name})
        start = time.perf_counter()
        t.set_default_dtype(t.float32)
        t.set_grad_enabled(True)
        try:
            if self.code is None:
                with open(self.filename, encoding="utf-8") as file:
                    self.code = compile(file.read(), self.filename, "exec")
            module = types.ModuleType("submission")
            module.__file__ = self.filename
            sys.modules["submission"] = module
            exec(self.code, module.__dict__)
        except BaseException as error:  # SystemExit and KeyboardInterrupt too: all are the submission's
            self.send({"event": "imported", "function": name, "error": error_report(error, self.filename)})
            return None
        finally:
            _flush_output()
        seconds = time.perf_counter() - start
        self.send(
            {"event": "imported", "function": name, "functions": signatures(module), "seconds": seconds}
        )
        return module

    def call(self, module, function, task: dict, case: dict) -> None:
        self.send({"event": "start", "case": case["id"]})
        tensors: dict[str, t.Tensor] = {}
        recorded: list = []
        stand_ins: dict = {}
        args: list = []
        outcome: dict[str, Any]
        try:
            args = [self.argument(spec) for spec in case["args"]]
            self.install_stand_ins(module, task, case, recorded, stand_ins)
            # The CPU generator only: t.manual_seed would also queue a CUDA seeding, with a stack trace.
            t.default_generator.manual_seed(case.get("seed", 0))
            start = time.perf_counter()
            value = function(*args)
            seconds = time.perf_counter() - start
            outcome = {"status": "ok", "value": encode(value, tensors), "seconds": seconds}
        except BaseException as error:
            outcome = {"status": "error", "error": error_report(error, self.filename)}
        finally:
            _flush_output()
        outcome["stand_in_calls"] = {name: stand_in.calls for name, stand_in in stand_ins.items()}
        if self.request["mode"] == "reference":
            outcome["calls"] = encode(recorded, tensors)
            outcome["args"] = encode([arg for arg in args if not isinstance(arg, t.nn.Module)], tensors)
            outcome["str_tokens"] = [
                self.inputs.str_tokens.get(spec.get("cache"), []) for spec in case["args"]
            ]
        self.send({"event": "result", "case": case["id"], "outcome": outcome}, tensors)

    def argument(self, spec: dict) -> Any:
        if "model" in spec:
            return self.inputs.models[spec["model"]]
        if "cache" in spec:
            return self.inputs.fresh_cache(spec["cache"])
        return spec["value"]

    def install_stand_ins(self, module, task: dict, case: dict, recorded: list, stand_ins: dict) -> None:
        """Other exercise functions the function calls: recorded (reference) or replayed (student)."""
        for name, parameters in task.get("stand_ins", {}).items():
            if self.request["mode"] == "reference":
                original = getattr(module, name)
                original = getattr(original, "original", original)  # not a recorder of a recorder
                setattr(module, name, Recorder(name, original, parameters, self.inputs, recorded))
            else:
                replay = case.get("replay", {}).get(name, [])
                stand_in = Replayer(name, parameters, self.inputs, replay, self.stand_in_tensors)
                setattr(module, name, stand_in)
                stand_ins[name] = stand_in


def signatures(module) -> dict[str, list | None]:
    """Parameter names and defaults of the module's functions (None where there is no signature)."""
    found = {}
    for name, value in vars(module).items():
        if callable(value) and not name.startswith("_"):
            try:
                found[name] = [
                    [p.name, p.default if _plain(p.default) else repr(p.default)]
                    if p.default is not inspect.Parameter.empty
                    else [p.name]
                    for p in inspect.signature(value).parameters.values()
                ]
            except (TypeError, ValueError):
                found[name] = None
    return found


def _plain(value: Any) -> bool:
    return value is None or type(value) in (bool, int, float, str)


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


# --- stand-ins for the other exercise functions ------------------------------------------------


def call_key(name: str, parameters: list, inputs: Inputs, args: tuple, kwargs: dict) -> dict:
    """The arguments of a call, bound to the reference's parameter names, as plain data."""
    signature = inspect.Signature(
        [
            inspect.Parameter(p[0], inspect.Parameter.POSITIONAL_OR_KEYWORD, default=p[1])
            if len(p) > 1
            else inspect.Parameter(p[0], inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for p in parameters
        ]
    )
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{name}() was called with arguments that do not fit {signature}: {error}") from None
    bound.apply_defaults()
    key = {}
    for param, value in bound.arguments.items():
        model = next((m for m, obj in inputs.models.items() if obj is value), None)
        key[param] = {"model": model} if model else value if _plain(value) else repr(value)[:200]
    return key


class Recorder:
    """Calls the reference's own function and notes the arguments and the result."""

    def __init__(self, name, original, parameters, inputs, recorded):
        self.name, self.original, self.parameters, self.inputs = name, original, parameters, inputs
        self.recorded = recorded

    def __call__(self, *args, **kwargs):
        result = self.original(*args, **kwargs)
        key = call_key(self.name, self.parameters, self.inputs, args, kwargs)
        self.recorded.append({"function": self.name, "arguments": key, "result": result})
        return result


class Replayer:
    """Stands in for an exercise function while another is judged: returns, call by call, what the
    reference's function returned for the same arguments, so a bug in one function costs points only
    there. A call the reference did not make is an error that says so."""

    def __init__(self, name, parameters, inputs, replay, tensors):
        self.name, self.parameters, self.inputs, self.replay = name, parameters, inputs, list(replay)
        self.tensors = tensors
        self.calls = 0

    def __call__(self, *args, **kwargs):
        key = call_key(self.name, self.parameters, self.inputs, args, kwargs)
        self.calls += 1
        if self.calls > len(self.replay):
            raise RuntimeError(
                f"{self.name} was called {self.calls} times; the reference calls it "
                f"{len(self.replay)} time(s) here: call it once and use its output"
            )
        call = self.replay[self.calls - 1]
        if call["arguments"] != key:
            raise RuntimeError(
                f"in this test {self.name} is the reference's, which the reference called with "
                f"{_show(call['arguments'])}, but it was called with {_show(key)}"
            )
        return to_torch(call["result"], self.tensors)


def _show(arguments: dict) -> str:
    return ", ".join(
        f"{k}={v['model'] + ' model' if isinstance(v, dict) else v!r}" for k, v in arguments.items()
    )


def to_torch(document: Any, tensors: dict[str, t.Tensor]) -> Any:
    """A recorded result (encoded) back into fresh torch values for the function under test."""
    if isinstance(document, dict) and document.get("type") in ("tensor", "ndarray"):
        return tensors[document["ref"]].clone()
    if isinstance(document, dict) and document.get("type") in ("list", "tuple"):
        items = [to_torch(item, tensors) for item in document["items"]]
        return items if document["type"] == "list" else tuple(items)
    return document
