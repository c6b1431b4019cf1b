"""What runs inside the sandboxed worker: run a submission's program, call each exercise function on
its cases, and send back what came out as plain data.

Nothing here judges anything: this process holds no expected value. Each case is reported as it
starts (so the judge can time it from outside) and as it ends, with the return value encoded by
`encode` (tensors by value; what the pack's fixtures know, such as an ActivationCache, as they
encode it; anything else by class name and repr).

In "reference" mode the submission is the reference solution: calls it makes to the other exercise
functions are recorded, so that in "student" mode those functions can be replaced by stand-ins that
replay the reference's results, and each function is judged alone.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import gc
import hashlib
import inspect
import io
import itertools
import os
import random
import socket
import sys
import time
import traceback
import types
from typing import Any

import numpy as np
import torch as t
from safetensors.torch import save as save_tensors

from autograder.engine import program as programs
from autograder.engine import sandbox, wire
from autograder.engine.fixtures import Fixtures
from autograder.engine.wire import OWN

MAX_ELEMENTS = 4_000_000  # per returned tensor: far above any right answer, far below the memory limit
MAX_ITEMS = 1_000  # per list, tuple or dict
MAX_NODES = 20_000  # per returned value
MAX_TEXT = 1_000  # characters per string
STATEMENT_SECONDS = 10.0
RERUN_SECONDS = 0.025  # a top level cheaper than this runs again for each function (see Unit)
# How a function's child says it judged all its cases: any other end (0 included, from a submission's
# os._exit(0)) ends the worker the same way, so that the judge sees the crash.
CHILD_DONE = 86


# --- return values -> plain data ---------------------------------------------------------------


class Encoder:
    """Encodes one value: tensors go into `tensors` and are referred to by name; sizes are capped."""

    def __init__(self, tensors: dict[str, t.Tensor], fixtures: Fixtures | None = None):
        self.tensors, self.fixtures, self.nodes = tensors, fixtures, 0

    def __call__(self, value: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            return opaque(value, "too many items to return")
        if value is None or type(value) is bool:
            return value
        if type(value) is str:
            return value[:MAX_TEXT]
        if type(value) in (int, float):
            return value if type(value) is float or abs(value) < 1 << 63 else float(value)
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            # A numpy scalar (`np.mean(...)`, `array.max()`) is the number it holds, as `.item()` is.
            return self(value.item(), depth)
        if depth > 16:
            return opaque(value, "nested too deeply")
        if isinstance(value, t.Tensor):
            return self.tensor(value, "tensor")
        if type(value) is np.ndarray and value.dtype != object:
            return self.tensor(t.from_numpy(np.array(value)), "ndarray")
        # Subclasses too (a defaultdict, an OrderedDict, a namedtuple), as the plain kind they are,
        # read through the base class's own methods.
        if isinstance(value, (list, tuple)):
            kind = "tuple" if isinstance(value, tuple) else "list"
            base = tuple if kind == "tuple" else list
            items = [self(item, depth + 1) for item in itertools.islice(base.__iter__(value), MAX_ITEMS)]
            return {"type": kind, "items": items}
        if isinstance(value, dict):
            pairs = list(dict.items(value))[:MAX_ITEMS]
            return {"type": "dict", "items": [[str(k)[:MAX_TEXT], self(v, depth + 1)] for k, v in pairs]}
        if self.fixtures is not None:
            try:
                document = self.fixtures.encode(value, self)
            except Exception as error:
                return opaque(value, f"could not be read: {describe(error)}")
            if document is not None:
                return document
        return opaque(value)

    def tensor(self, value: t.Tensor, kind: str) -> dict:
        dtype, device = str(value.dtype).replace("torch.", ""), str(value.device)
        if value.numel() > MAX_ELEMENTS:
            return opaque(value, f"a tensor of shape {list(value.shape)}, too large to return")
        # A plain, contiguous CPU copy: subclasses and views lose whatever behaviour they had.
        plain = t.Tensor.as_subclass(value.detach(), t.Tensor).to("cpu").contiguous().clone()
        if plain.dtype in (t.bfloat16, t.complex64, t.complex128) or plain.dtype.is_floating_point is None:
            plain = plain.to(t.float32)
        name = f"t{len(self.tensors)}"
        self.tensors[name] = plain
        return {"type": kind, "ref": name, "dtype": dtype, "device": device}


def opaque(value: Any, note: str = "") -> dict:
    try:
        text = note or repr(value)
    except Exception:
        text = "<repr failed>"
    return {"type": "object", "class": class_name(value), "repr": str(text)[:MAX_TEXT]}


def class_name(value: Any) -> str:
    cls = type(value)
    name = f"{cls.__module__}.{cls.__qualname__}" if cls.__module__ != "builtins" else cls.__qualname__
    return str(name)[:200]


def describe(error: BaseException) -> str:
    try:
        return f"{type(error).__name__}: {error}"[:MAX_TEXT]
    except Exception:
        return type(error).__name__


def error_report(error: BaseException, own_files: set[str]) -> dict:
    """The exception as plain data, with the traceback trimmed to the submission's own frames."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if f.filename in own_files] or frames[-1:]
    lines = [
        f'  File "{os.path.basename(f.filename)}", line {f.lineno}, in {f.name}\n    {f.line}'
        if f.line
        else f'  File "{os.path.basename(f.filename)}", line {f.lineno}, in {f.name}'
        for f in own[-6:]
    ]
    try:
        message = str(error)
    except Exception:
        message = "<str() failed>"
    try:
        message = message.replace(os.getcwd(), "<working folder>")
    except OSError:
        pass
    if isinstance(error, PermissionError):  # the sandbox refused: say what it allows
        message += (
            " (while graded, code may start no other process, may read only Python and its packages,"
            " and may write only to its working folder)"
        )
    report = {
        "type": type(error).__name__[:200],
        "message": message[:MAX_TEXT],
        "traceback": "\n".join(lines)[:4000],
    }
    if isinstance(error, NameError) and getattr(error, "name", None):
        report["name"] = str(error.name)[:100]
    return report


# --- the unit of work --------------------------------------------------------------------------


class Unit:
    """One submission's functions, each called on its cases, results streamed to `out`.

    Each function is judged alone: whatever one function changes (the submission's globals, the
    model's weights, torch's dtype, seed or functions, a stand-in) and however it ends (a crash,
    `os._exit`, a hang, a memory blow-up) reaches no other function. Two ways, chosen by what the
    file's top level costs when it first runs:

    - a top level dearer than RERUN_SECONDS (a notebook that loads models and draws figures) runs
      once; each function is then judged in a child forked from the worker that ran it (`fork`; the
      last in the worker itself, as nothing after it needs that state);
    - a cheaper one (a clean file) runs again for each function, in a fresh module, with the
      fixtures restored and torch's state reset: cheaper than a fork and its exit (about 25 ms here,
      for a process holding torch). Crashes and hangs end the worker, and the runner carries on in a
      fresh one. Where a function's calls change the libraries the functions share (`watched`:
      `t.randint = ...`), the worker stops after it, and the functions after it get a fresh worker.

    Where the worker may not fork, every function takes the second way. Under the sandbox the forks
    go through the template's warden (`sandbox.ForkWarden`): the worker says "go" on `warden` once
    the top level is done, and each child confines itself first thing.
    """

    def __init__(
        self,
        request: dict,
        source: bytes,
        fixtures: Fixtures,
        out: io.RawIOBase,
        replays: dict,
        *,
        fork: bool = False,
        warden: socket.socket | None = None,
    ):
        self.request, self.source, self.fixtures, self.out = request, source, fixtures, out
        self.replays = replays  # tensors of the reference's recorded calls, for the stand-ins
        self.fork, self.warden = fork, warden
        self.sandboxed = warden is not None  # forks go through the template's warden
        self.filename = request.get("filename", "submission.py")
        self.program: programs.Program | None = None
        self.own_files: set[str] = set()
        self.skip = set(request.get("skip", []))
        self.names = [task["function"] for task in request["functions"]] + [
            name
            for task in request["functions"]
            for stand_in, spec in task.get("stand_ins", {}).items()
            for name in [stand_in, *spec.get("aliases", [])]
        ]
        # The notebook globals the cases bind (`model`, `seq_len`, ...), for defaults bound to them.
        self.global_names = {
            name
            for task in request["functions"]
            for case in task["cases"]
            for name in case.get("globals") or {}
        }
        self.global_defaults = GlobalDefaults({}, set(), set())
        import autograder

        autograder._grading = True  # a submission's own check() calls do nothing here

    def send(self, document: dict, tensors: dict[str, t.Tensor] | None = None) -> None:
        blob = save_tensors(tensors) if tensors else b""
        frame = wire.pack(document, blob)
        view = memoryview(frame)
        while view:
            view = view[self.out.write(view) :]

    def run(self) -> None:
        try:
            self.program = programs.read(self.source, self.filename, self.request.get("format", "py"))
        except programs.Unloadable as error:
            self.send({"event": "unloadable", "message": str(error)[:MAX_TEXT]})
            return
        self.own_files = {self.filename} | {f"<{s.cell.label}>" for s in self.program.statements}
        self.send({"event": "program", "statements": len(self.program.statements)})
        tasks = self.request["functions"]
        self.fixtures.restore()
        before = self.shared_state()
        namespace, spent = self.load(tasks[0]["function"], record=True)
        # A top level that patches the shared libraries itself is not run twice (patches would stack).
        forking = self.fork and len(tasks) > 1 and (spent >= RERUN_SECONDS or self.shared_state() != before)
        if forking and self.warden is not None:
            self.warden.sendall(b"go")
            self.warden.close()  # before any child: none inherits it
            self.warden = None
        if not forking:
            self.no_children()
        for index, task in enumerate(tasks):
            first, last = index == 0, index == len(tasks) - 1
            if forking and not last and self.judge_alone(task, namespace, spent if first else 0.0, first):
                continue
            if forking:  # the last (or no room for a child): it runs here, on the top level's state
                self.no_children()
                forking = False
                if not first:
                    self.send({"event": "importing", "function": task["function"]})
                    spent = 0.0
            elif not first:
                self.fixtures.restore()
                namespace, spent = self.load(task["function"], record=False)
            before = self.shared_state()
            self.imported(task["function"], namespace, spent, first=first)
            self.calls(task, namespace)
            if not last and self.shared_state() != before:
                self.send({"event": "restart"})  # the runner gives the functions after it a fresh worker
                return
        self.send({"event": "done"})

    def no_children(self) -> None:
        """From now on this worker forks no child: the warden's channel closes unopened, and the
        sandbox's full filter goes on (as each child's does)."""
        if self.warden is not None:
            self.warden.close()
            self.warden = None
        if self.sandboxed:
            sandbox.forbid_new_processes()

    def shared_state(self) -> list:
        """What a function could patch for the next, in brief: the state of every attribute of the
        fixtures' `watched()` modules and classes, of builtins, and of the grader's own modules and
        classes (a stand-in's, say). Compared before and after a function's calls."""
        if not hasattr(self, "_watched"):
            count, scanned, self._watched = _TEMPLATE_WATCHED or (-1, frozenset(), [])
            if len(sys.modules) != count:  # imports since the template's scan (listing them costs ~10 ms)
                self._watched = self._watched + watched_dicts(self.fixtures, scanned)[1]
        if DICT_VERSIONS:
            return [_version(attributes) for attributes in self._watched]
        return [(key, id(value)) for attributes in self._watched for key, value in list(attributes.items())]

    def judge_alone(self, task: dict, namespace: dict, seconds: float, first: bool) -> bool:
        """Judges one function in a child of this process; a child that did not end well ends this
        worker the same way, so that the judge sees the crash (and the function it cost). Where no
        child can start, sets `fork` off and returns False: the caller judges the rest here, each
        from a fresh run of the program, as where forking is not allowed at all."""
        programs._flush()  # what is buffered now would otherwise be written by both processes
        try:
            pid = os.fork()
        except OSError:  # the top level filled the PID namespace with threads, or took the forks
            self.fork = False
            return False
        if pid == 0:
            code = CHILD_DONE
            try:
                sandbox.die_with_parent()  # a hang left behind by a killed worker would run on
                if self.sandboxed:  # first of all, no process of its own
                    reason = sandbox.forbid_new_processes()
                    if reason:
                        code = 74
                        return
                if not first:
                    self.send({"event": "importing", "function": task["function"]})
                self.imported(task["function"], namespace, seconds, first=first)
                self.calls(task, namespace)
            except BaseException:  # a fault of the grader's: its traceback goes to the output
                traceback.print_exc()
                code = 71
            finally:
                programs._flush()
                os._exit(code)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if status != CHILD_DONE:
            programs._flush()
            os._exit(128 - status if status < 0 else status)  # 128 + n: "killed by signal n"
        return True

    def calls(self, task: dict, namespace: dict) -> None:
        function = namespace.get(task["function"])
        if callable(function):
            for case in task["cases"]:
                self.call(namespace, function, task, case)

    def load(self, name: str, record: bool) -> tuple[dict, float]:
        """Runs the program as module "submission" (so its `if MAIN:` demo code does not run)."""
        self.send({"event": "importing", "function": name})
        start = time.perf_counter()
        t.set_default_dtype(t.float32)
        t.set_grad_enabled(self.fixtures.grad_enabled)
        t.default_generator.manual_seed(0)
        np.random.seed(0)
        random.seed(0)
        module = type(sys)("submission")
        sys.modules["submission"] = module
        namespace = programs.namespace(self.program, module.__dict__, self.filename)
        # A run again (see Unit) prints nothing more: its output is the first run's, already shown.
        quiet = contextlib.nullcontext() if record else _quiet()
        with quiet:
            programs.run(
                self.program,
                namespace,
                skip=self.skip,
                seconds=self.request.get("statement_seconds", STATEMENT_SECONDS),
                record=record,
                wanted=frozenset(self.names),
                # The first run tells the judge each statement as it starts (one that hangs is skipped
                # on the next try); later runs are the same statements, already timed.
                on_statement=(
                    lambda statement: self.send(
                        {"event": "statement", "index": statement.index, "where": programs.where(statement)}
                    )
                )
                if record
                else None,
            )
        self.global_defaults = GlobalDefaults(namespace, self.global_names, self.own_files)
        return namespace, time.perf_counter() - start

    def imported(self, name: str, namespace: dict, seconds: float, first: bool) -> None:
        """Tells the judge the program has run for `name`: what it defines (and, the first time, the
        problems of its top level)."""
        report = {"event": "imported", "function": name, "functions": signatures(namespace, self.names)}
        report["seconds"] = seconds
        if first:
            report |= {
                "problems": self.program.problems,
                "notes": self.program.notes,
                "dropped": self.program.dropped,
                "missing": programs.definitions(self.program),
            }
        self.send(report)

    def call(self, namespace: dict, function, task: dict, case: dict) -> None:
        self.send({"event": "start", "case": case["id"]})
        tensors: dict[str, t.Tensor] = {}
        recorded: list = []
        stand_ins: dict = {}
        args: list = []
        outcome: dict[str, Any]
        try:
            args = [self.fixtures.build(spec) for spec in case["args"]]
            for name, spec in (case.get("globals") or {}).items():
                namespace[name] = self.fixtures.build(spec)
            self.global_defaults.bind(namespace)
            self.install_stand_ins(namespace, task, case, recorded, stand_ins)
            # The CPU generator only: t.manual_seed would also queue a CUDA seeding, with a stack trace.
            t.default_generator.manual_seed(case.get("seed", 0))
            start = time.perf_counter()
            value = self.fixtures.drive(function, args, case, namespace)
            seconds = time.perf_counter() - start
            outcome = {"status": "ok", "value": Encoder(tensors, self.fixtures)(value), "seconds": seconds}
        except BaseException as error:
            outcome = {"status": "error", "error": error_report(error, self.own_files)}
        finally:
            programs._flush()
        outcome["stand_in_calls"] = {name: stand_in.calls for name, stand_in in stand_ins.items()}
        # Calls the student's own function answered (in a release, which has no reference code, or
        # where the reference's code does not take the arguments): plain counts.
        outcome["stand_in_calls"] |= {
            f"{name}{OWN}": stand_in.calls_own for name, stand_in in stand_ins.items() if stand_in.calls_own
        }
        if self.request["mode"] == "reference":
            encode = Encoder(tensors, self.fixtures)
            outcome["calls"] = encode(recorded)
            outcome["args"] = encode([arg for arg in args if not self.fixtures.shared(arg)])
            outcome["inputs"] = [self.fixtures.describe(spec) for spec in case["args"]]
        self.send({"event": "result", "case": case["id"], "outcome": outcome}, tensors)

    def install_stand_ins(
        self, namespace: dict, task: dict, case: dict, recorded: list, stand_ins: dict
    ) -> None:
        """Other exercise functions the function calls: recorded (reference) or stood in for (student),
        under every name the course gives them, and as defaults of the function's own parameters
        (`ablation_function=head_zero_ablation_hook` was bound when the student's file ran)."""
        replaced: dict[int, Any] = {}
        for name, spec in task.get("stand_ins", {}).items():
            names = [name, *spec.get("aliases", [])]
            own = next((namespace[n] for n in names if callable(namespace.get(n))), None)
            own = getattr(own, "original", own)  # not a stand-in of a stand-in
            if self.request["mode"] == "reference":
                stand_in: Any = Recorder(name, own, spec["parameters"], self.fixtures, recorded)
            else:
                replay = (case.get("replay") or {}).get(name, [])
                implementation, tensors = self._compiled(spec), self.replays
                stand_in = StandIn(name, spec, own, self.fixtures, replay, tensors, implementation)
                stand_ins[name] = stand_in
            for n in names:
                if n == name or n in namespace:
                    namespace[n] = stand_in
            if own is not None:
                replaced[id(own)] = stand_in
        function = namespace.get(task["function"])
        if replaced and callable(function):
            _replace_defaults(function, replaced)

    def _compiled(self, spec: dict):
        """The reference's own function for calls its recording does not cover, compiled once per
        unit from the source the judge sent (only on the instructor's side: a release has none)."""
        source = spec.get("implementation")
        if not source:
            return None
        cache = self.__dict__.setdefault("_implementations", {})
        if source not in cache:
            scope: dict[str, Any] = {"__name__": "reference"}
            try:
                exec(compile(source, "<reference>", "exec"), scope)
                cache[source] = scope
            except Exception:
                cache[source] = None
        scope = cache[source]
        return None if scope is None else scope.get(_defined_name(source))


_TEMPLATE_WATCHED: tuple[int, frozenset[str], list[dict]] | None = None  # see watch_in_template


def watch_in_template(fixtures: Fixtures) -> None:
    """Finds the dicts `Unit.shared_state` reads once, in the template, for every worker to inherit,
    with the number of modules loaded then. Scanning the modules in each worker cost ~18 ms: listing
    sys.modules and the classes writes thousands of reference counts, so copies the pages they lie in."""
    global _TEMPLATE_WATCHED
    scanned, dicts = watched_dicts(fixtures, frozenset())  # (which may import the fixtures' libraries)
    _TEMPLATE_WATCHED = (len(sys.modules), scanned, dicts)


def watched_dicts(fixtures: Fixtures, scanned: frozenset[str]) -> tuple[frozenset[str], list[dict]]:
    """The names of the grader's modules loaded now, and the attribute dicts of those not in
    `scanned` and of their classes; with nothing scanned yet, also those of the fixtures' `watched()`
    and builtins."""
    names = frozenset(name for name in list(sys.modules) if name.partition(".")[0] == "autograder")
    own = [sys.modules[name] for name in sorted(names - scanned)]
    classes = [v for m in own for v in list(vars(m).values()) if isinstance(v, type)]
    shared = [] if scanned else [*fixtures.watched(), builtins]
    return names, [_attributes(owner) for owner in [*shared, *own, *classes]]


def _attributes(owner: Any) -> dict:
    """The dict that holds a module's or a class's attributes (a class shows only a proxy of it)."""
    return owner.__dict__ if isinstance(owner, types.ModuleType) else gc.get_referents(vars(owner))[0]


def _version(attributes: dict) -> int:
    """CPython's count of a dict's changes (`ma_version_tag`, after the object's header and its
    length), read without touching its values: reading them would write their reference counts, and
    so copy thousands of pages this process shares with the template (tens of milliseconds)."""
    return ctypes.c_uint64.from_address(id(attributes) + 3 * ctypes.sizeof(ctypes.c_ssize_t)).value


def _versions_count_changes() -> bool:
    """Whether `_version` does count a dict's changes here: every change, replacing a value too.
    Where it does not (another interpreter or layout), `Unit.shared_state` compares the values."""
    if sys.implementation.name != "cpython" or ctypes.sizeof(ctypes.c_ssize_t) != 8:
        return False
    probe: dict = {"a": 1}
    seen = [_version(probe)]
    for change in (lambda: probe.update(a=2), lambda: probe.update(b=1), lambda: probe.pop("b")):
        change()
        seen.append(_version(probe))
    return len(set(seen)) == len(seen)


DICT_VERSIONS = _versions_count_changes()


@contextlib.contextmanager
def _quiet():
    """Python's stdout and stderr write nowhere, for a while."""
    sink = io.StringIO()
    sink.write = len  # a sink that keeps nothing
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def _defined_name(source: str) -> str:
    """The last function an implementation's source defines: the one it is for."""
    return [line for line in source.splitlines() if line.startswith("def ")][-1][4:].split("(")[0]


class GlobalDefaults:
    """The student's functions whose parameters default to a notebook global, bound when the cell
    ran (`def f(x, model=model)`; a `programs.NotebookGlobal` where the global was not defined then):
    before each call, those defaults take the case's value of the global, as the notebook's cell
    would have bound them had the notebook held the case's model. A default is taken for a global's
    where it is a placeholder, or the very object the top level left under the global's name and
    either the parameter has that name or the value is no plain number or string (a `10` that only
    equals `seq_len` stays 10)."""

    def __init__(self, namespace: dict, names: set[str], own_files: set[str]):
        top = {name: namespace[name] for name in names if name in namespace}
        self.found: list[tuple[types.FunctionType, tuple | None, dict | None, dict]] = []
        for found in list(namespace.values()):
            value = _own_function(found, own_files)
            if value is None:
                continue
            code, defaults, keywords = value.__code__, value.__defaults__ or (), value.__kwdefaults__ or {}
            positional = code.co_varnames[: code.co_argcount][code.co_argcount - len(defaults) :]
            bound = {
                key: name
                for key, parameter, default in [
                    *((i, p, d) for i, (p, d) in enumerate(zip(positional, defaults, strict=True))),
                    *((k, k, d) for k, d in keywords.items()),
                ]
                if (name := _global_of(parameter, default, top)) is not None
            }
            if bound:
                self.found.append((value, value.__defaults__, value.__kwdefaults__, bound))

    def bind(self, namespace: dict) -> None:
        for function, defaults, keywords, bound in self.found:
            if defaults is not None:
                function.__defaults__ = tuple(
                    namespace.get(bound[i], d) if i in bound else d for i, d in enumerate(defaults)
                )
            if keywords is not None:
                function.__kwdefaults__ = {
                    k: namespace.get(bound[k], d) if k in bound else d for k, d in keywords.items()
                }


def _own_function(value: Any, own_files: set[str]) -> types.FunctionType | None:
    """The student's own plain function that `value` is, or wraps (`@t.inference_mode()`,
    functools.wraps), read without calling anything of theirs; None for anything else."""
    for _ in range(5):
        if type(value) is not types.FunctionType:
            return None
        if value.__code__.co_filename in own_files:
            return value
        value = value.__dict__.get("__wrapped__")
    return None


def _global_of(parameter: str, default: Any, top: dict) -> str | None:
    if isinstance(default, programs.NotebookGlobal):
        return default.name
    if parameter in top and default is top[parameter]:
        return parameter
    if not _plain(default):
        return next((name for name, value in top.items() if value is default), None)
    return None


def _replace_defaults(function, replaced: dict[int, Any]) -> None:
    """Where a default of `function`'s parameters is an exercise function with a stand-in (or an
    earlier case's stand-in for it), the stand-in instead."""

    def swap(value):
        if isinstance(value, (StandIn, Recorder)):
            value = value.original
        return replaced.get(id(value), value)

    try:
        if function.__defaults__:
            function.__defaults__ = tuple(swap(v) for v in function.__defaults__)
        if function.__kwdefaults__:
            function.__kwdefaults__ = {k: swap(v) for k, v in function.__kwdefaults__.items()}
    except (AttributeError, TypeError):
        pass  # not a plain Python function: nothing bound at definition time to replace


def signatures(namespace: dict, names: list[str]) -> dict[str, list | None]:
    """Parameter names and defaults of the exercise functions the namespace defines (None where one
    has no signature)."""
    found = {}
    for name in dict.fromkeys(names):
        value = namespace.get(name)
        if callable(value):
            try:
                found[name] = [
                    [p.name, p.default if _plain(p.default) else repr(p.default)[:200]]
                    if p.default is not inspect.Parameter.empty
                    else [p.name]
                    for p in list(inspect.signature(value).parameters.values())[:50]
                ]
            except Exception:
                found[name] = None
    return found


def _plain(value: Any) -> bool:
    return value is None or type(value) in (bool, int, float) or (type(value) is str and len(value) < 200)


# --- stand-ins for the other exercise functions ------------------------------------------------


def _signature(parameters: list) -> inspect.Signature:
    return inspect.Signature(
        [
            inspect.Parameter(p[0], inspect.Parameter.POSITIONAL_OR_KEYWORD, default=p[1])
            if len(p) > 1
            else inspect.Parameter(p[0], inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for p in parameters
        ]
    )


def bind(name: str, parameters: list, own, args: tuple, kwargs: dict) -> dict:
    """The arguments of a call, under the reference's parameter names (what the reference's function
    would be called with). A call is bound to the student's own signature first (`own`: their
    function, or its signature), so that their own names (`batch_size=` for `batch`) and their own
    extra parameters (`seed=None`) work: the reference's parameters are taken by name, the rest in
    order from the student's others, and what is left (the student's extras) is not the reference's
    business. Without a usable own signature, the call is bound to the reference's."""
    names = [p[0] for p in parameters]
    signature = own if isinstance(own, inspect.Signature) else signature_of(own)
    if signature is not None:
        if not kwargs and len(args) == len(names) and _same_positions(signature, names):
            return dict(zip(names, args, strict=True))  # what the binding below gives, for the usual call
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            bound = None
        if bound is not None:
            bound.apply_defaults()
            given = {
                k: v
                for k, v in bound.arguments.items()
                if bound.signature.parameters[k].kind
                not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            }
            values = {n: given.pop(n) for n in names if n in given}
            others = iter(given.values())
            for param in parameters:
                if param[0] not in values:
                    values[param[0]] = next(others, param[1] if len(param) > 1 else _MISSING)
            if all(v is not _MISSING for v in values.values()):
                return {n: values[n] for n in names}
    try:
        bound = _signature(parameters).bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(
            f"{name}() was called with arguments that do not fit {name}{_signature(parameters)}: {error}"
        ) from None
    bound.apply_defaults()
    return dict(bound.arguments)


_MISSING = object()
OWN_ANSWER_SECONDS = 2.0  # for the one call of a student's function that reads the form of its answers


def signature_of(function) -> inspect.Signature | None:
    """The function's signature; None if it is not callable or has none Python can read."""
    if not callable(function):
        return None
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


def _same_positions(signature: inspect.Signature, names: list[str]) -> bool:
    """Whether the signature's parameters are exactly `names`, in order, each taking a position."""
    parameters = signature.parameters
    return list(parameters) == names and all(
        p.kind <= inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters.values()
    )


def call_key(name: str, parameters: list, own, fixtures: Fixtures, args: tuple, kwargs: dict) -> dict:
    """The arguments of a call as plain data, under the reference's parameter names."""
    return _keys(bind(name, parameters, own, args, kwargs), fixtures)


def _keys(values: dict, fixtures: Fixtures, digest: bool = True) -> dict:
    return {param: _key(value, fixtures, digest) for param, value in values.items()}


def _key(value: Any, fixtures: Fixtures, digest: bool = True) -> Any:
    """A value as plain data; a tensor as its shape, dtype and (with `digest`) a digest of its data."""
    named = fixtures.key(value)
    if named is not None:
        return named
    if _plain(value):
        return value
    if isinstance(value, t.Tensor):
        plain = t.Tensor.as_subclass(value.detach(), t.Tensor)
        key = {"tensor": list(plain.shape), "dtype": str(plain.dtype).replace("torch.", "")}
        if digest:
            data = plain.to("cpu").contiguous()
            key["sha1"] = hashlib.sha1(
                data.numpy().tobytes() if data.dtype != t.bfloat16 else b""
            ).hexdigest()[:16]
        return key
    return repr(value)[:200]


def _undigested(key: dict) -> dict:
    """A call's key without the digests of its tensors (what `_keys(..., digest=False)` gives)."""
    return {
        param: {k: v for k, v in value.items() if k != "sha1"}
        if isinstance(value, dict) and "sha1" in value
        else value
        for param, value in key.items()
    }


class Recorder:
    """Calls the reference's own function and notes the arguments and the result."""

    def __init__(self, name, original, parameters, fixtures, recorded):
        self.name, self.original, self.parameters, self.fixtures = name, original, parameters, fixtures
        self.recorded = recorded

    def __call__(self, *args, **kwargs):
        # The key first: the function may change its arguments in place (a hook zeroing z, say).
        key = call_key(self.name, self.parameters, self.original, self.fixtures, args, kwargs)
        result = self.original(*args, **kwargs)
        self.recorded.append({"function": self.name, "arguments": key, "result": result})
        return result


class StandIn:
    """Stands in for an exercise function while another is judged, so that a bug in one function
    costs points only there: it answers as the reference's function would, whatever valid call it
    gets (another hook point, keywords, the student's own extra arguments, any order or number).

    A call the reference made on this input gets the reference's recorded result; another gets what
    the reference's own code computes, where the judge sent it (the instructor's side). In a release
    there is no reference code: such a call is answered by the student's own function, and counted
    (`calls_own`) so that the feedback can say so. With neither, the call is an error that names the
    function and what it was called with (never what the reference was called with: on a secret's
    inputs that would give them away).

    Like the reference's, a stand-in leaves its arguments as they were: a hook's stand-in returns
    the changed tensor (code that drops what it returns ablates nothing, as with the reference).
    """

    def __init__(self, name, spec, own, fixtures, replay, tensors, implementation):
        self.name, self.parameters, self.fixtures = name, spec["parameters"], fixtures
        self.original = own  # the student's own function, whose signature calls are bound to
        self.signature = signature_of(own)  # read once: a table filled pair by pair calls it 432 times
        self.contract = _signature(self.parameters)  # the same, for the contract's reading of a call
        self.replay, self.tensors, self.implementation = list(replay), tensors, implementation
        self.used = [False] * len(self.replay)
        self.shapes = [_undigested(call["arguments"]) for call in self.replay]  # matched before digests
        self.calls = self.calls_own = 0
        # Where the contract takes several forms of its answer (a float or a 0-d tensor; scores
        # flattened or not), the student's callers are written against the form of their own
        # function: answers take that form, read once per form of the reference's (see `_answer`).
        self.own_form = bool(spec.get("own_form")) and callable(own)
        self.forms: dict[tuple, Any] = {}

    def __call__(self, *args, **kwargs):
        values = bind(self.name, self.parameters, self.signature, args, kwargs)
        self.calls += 1
        # Keys (digests of the arguments) only where there are recorded calls to match: a function
        # called in a loop (a score per pair of heads) would otherwise pay for them on every call.
        index = self._recorded(values, args, kwargs) if not all(self.used) else None
        # The call runs whatever the replay is, on copies of its tensors: what it does besides
        # returning (drawing from torch's random generator) happens as the reference's call did, so
        # a second call gets other random tokens, as it would from the reference.
        copies = _cloned(values.values())
        if self.implementation is not None:
            if index is None:
                try:
                    return self._answer(self.implementation(*copies), args, kwargs)
                except Exception:
                    if not callable(self.original):
                        raise
                # Arguments the reference's code does not take, which the student's own function
                # does (a FactoredMatrix, or numpy arrays, where the reference takes tensors): their
                # own function answers, as in a release, and is counted.
                self.calls_own += 1
                return self.original(*args, **kwargs)
            try:
                self.implementation(*copies)
            except Exception:
                pass  # the recorded result is the answer; this call was for its side effects only
        elif callable(self.original):
            if index is None:
                self.calls_own += 1
                return self.original(*args, **kwargs)
            try:
                self.original(*_cloned(args), **kwargs)
            except Exception:
                pass
        if index is not None:
            self.used[index] = True
            answer = to_torch(self.replay[index]["result"], self.tensors, self.fixtures)
            return self._answer(answer, args, kwargs)
        key = _keys(values, self.fixtures)
        raise RuntimeError(
            f"{self.name} was called with {_show(key)}: the reference made no such call on this input, "
            f"and your file has no {self.name} of its own to answer it"
        )

    def _answer(self, value: Any, args: tuple, kwargs: dict) -> Any:
        """The reference's answer; for a function declared `own_form`, in the form of the student's
        own function's answer to the same call where that answer carries the same values (a 0-d
        tensor or a numpy float for a float, the same scores flattened)."""
        if not self.own_form:
            return value
        key = form_key(value)
        if key is None:
            return value
        if key not in self.forms:
            self.forms[key] = form_of(self._own_answer(args, kwargs), value)
        return in_form(value, self.forms[key])

    def _own_answer(self, args: tuple, kwargs: dict) -> Any:
        """The student's own function's answer to this call, on copies, quietly, with the random
        generators left as they were; None if it fails, or runs past OWN_ANSWER_SECONDS (a hang of
        a wrong function of theirs must not cost the function that calls it)."""
        states = t.random.get_rng_state(), np.random.get_state(), random.getstate()
        try:
            with _quiet(), programs.time_limit(OWN_ANSWER_SECONDS):
                return self.original(*_cloned(args), **kwargs)
        except BaseException:  # sys.exit() and the time limit too: the reference's form stands
            return None
        finally:
            t.random.set_rng_state(states[0])
            np.random.set_state(states[1])
            random.setstate(states[2])

    def _recorded(self, values: dict, args: tuple, kwargs: dict) -> int | None:
        """The first unused recorded call with these arguments, bound by the student's signature or
        else by the contract's (their own order may differ); None if there is none."""
        readings = [values]
        if callable(self.original):
            try:
                contract = bind(self.name, self.parameters, self.contract, args, kwargs)
            except TypeError:
                contract = values
            # The same arguments under the same names (their signature is the contract's, say): the
            # same key, whose digests of tensors need not be taken twice.
            if contract.keys() != values.keys() or any(contract[k] is not values[k] for k in values):
                readings.append(contract)
        unused = [i for i, used in enumerate(self.used) if not used]
        for reading in readings:
            # Digests only where an unused recorded call has the same shapes: 768 x 768 matrices in a
            # loop of 80 calls, none of them the reference's, would cost a second of hashing. (A
            # fixture's own key may hold a digest: a FactoredMatrix's.)
            shapes = _undigested(_keys(reading, self.fixtures, digest=False))
            alike = [i for i in unused if self.shapes[i] == shapes]
            if alike:
                key = _keys(reading, self.fixtures)
                found = next((i for i in alike if self.replay[i]["arguments"] == key), None)
                if found is not None:
                    return found
        return None


def _cloned(values) -> list:
    """The values, each tensor a copy: a call on them leaves the caller's own tensors as they were."""
    return [a.clone() if isinstance(a, t.Tensor) else a for a in values]


def form_key(value: Any) -> tuple | None:
    """What the form of an answer depends on: a number, or a tensor's shape and dtype; None for a
    value that has no other form."""
    if type(value) in (int, float):
        return ("number",)
    if isinstance(value, t.Tensor) and value.dtype.is_floating_point:
        return ("tensor", tuple(value.shape), value.dtype)
    return None


def form_of(own: Any, value: Any) -> tuple | None:
    """The form of the student's answer `own` (tensor or numpy, its shape and dtype) where it holds
    the values of the reference's `value` in the same order; None where it does not (then the
    reference's form stands)."""
    try:
        plain = t.Tensor.as_subclass(own.detach(), t.Tensor) if isinstance(own, t.Tensor) else None
        if plain is not None and plain.dtype.is_floating_point:  # (read as a plain tensor: no overrides)
            form, values = ("tensor", tuple(plain.shape), plain.dtype, plain.device), plain.cpu().double()
        elif isinstance(own, (np.ndarray, np.generic)) and own.dtype.kind == "f":
            form, values = ("numpy", own.shape, own.dtype), t.from_numpy(np.array(own, dtype=np.float64))
        else:
            return None
        reference = t.as_tensor(value).detach().cpu().double()
        if values.numel() != reference.numel():
            return None
        close = t.allclose(values.reshape(-1), reference.reshape(-1), rtol=1e-3, atol=1e-5, equal_nan=True)
    except Exception:  # a tensor on the meta device, say: the reference's form stands
        return None
    return form if close else None


def in_form(value: Any, form: tuple | None) -> Any:
    """The reference's `value` in `form` (see `form_of`)."""
    if form is None:
        return value
    if form[0] == "tensor":
        return t.as_tensor(value).to(device=form[3], dtype=form[2]).reshape(form[1])
    array = np.asarray(value.detach().cpu().numpy() if isinstance(value, t.Tensor) else value, dtype=form[2])
    return array.reshape(form[1]) if form[1] else form[2].type(array.item())


def _show(arguments: dict) -> str:
    def one(value):
        if isinstance(value, dict) and "model" in value:
            return f"{value['model']} model"
        if isinstance(value, dict) and "tensor" in value:
            return f"a tensor of shape {value['tensor']}"
        if isinstance(value, dict) and "hook" in value:
            return f"the hook {value['hook']}"
        return repr(value)

    return ", ".join(f"{k}={one(v)}" for k, v in arguments.items())


def to_torch(document: Any, tensors: dict[str, t.Tensor], fixtures: Fixtures | None = None) -> Any:
    """A recorded result (encoded) back into fresh torch values for the function under test; a kind
    the pack's fixtures encoded (a FactoredMatrix) is rebuilt by them."""
    if isinstance(document, dict) and document.get("type") in ("tensor", "ndarray"):
        return tensors[document["ref"]].clone()
    if isinstance(document, dict) and document.get("type") in ("list", "tuple"):
        items = [to_torch(item, tensors, fixtures) for item in document["items"]]
        return items if document["type"] == "list" else tuple(items)
    if isinstance(document, dict) and fixtures is not None:
        rebuilt = fixtures.rebuild(document, lambda item: to_torch(item, tensors, fixtures))
        if rebuilt is not None:
            return rebuilt
    return document
