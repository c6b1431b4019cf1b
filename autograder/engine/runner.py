"""The judge's side of the sandbox: starts template processes and runs units of work in them.

A unit is one submission's functions, each called on its cases. The runner sends the request, then
watches three things at once: the result pipe (framed plain data), the output pipe (stdout and
stderr, of which the first `output_bytes` are kept and the rest counted), and the template's channel
(which says when the unit's processes have ended). Time limits are kept here, outside the sandbox:
each top-level statement, the whole import, each call and the whole unit have deadlines, and a unit
past one is killed. Every frame from the worker is hostile: its size is capped before it is parsed,
its form is checked, and one that does not fit the protocol ends the unit as "invalid output".
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine import wire

# What the template (and so the worker) keeps of the grader's environment: nothing secret.
ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "PYTHONHASHSEED", "VIRTUAL_ENV")
OFFLINE = dict(  # downloads fail at once rather than retrying: there is no network in the sandbox
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    HF_DATASETS_OFFLINE="1",
    HF_HUB_DISABLE_TELEMETRY="1",
    WANDB_MODE="disabled",
    TOKENIZERS_PARALLELISM="false",
    PYTHONWARNINGS="ignore",
    OMP_NUM_THREADS="1",
    MPLBACKEND="Agg",  # figures are drawn nowhere
    MKL_NUM_THREADS="1",
)
MAX_SKIPPED_STATEMENTS = 3  # statements that hung a worker, skipped on the next try


@dataclass(frozen=True)
class Limits:
    """Per-unit limits. Memory is address space beyond the template's own."""

    call_seconds: float = 10.0
    statement_seconds: float = 10.0  # each top-level statement of the submission
    import_seconds: float = 30.0  # all of them, each time the program runs
    unit_seconds: float = 120.0
    memory_bytes: int = 4 << 30
    cpu_seconds: int = 300
    file_bytes: int = 64 << 20
    scratch_bytes: int = 64 << 20  # the worker's private scratch (a tmpfs of its own)
    output_bytes: int = 64 << 10
    data_bytes: int = 256 << 20  # everything a unit sends back
    tasks: int = 512  # processes and threads at once (Linux 6.14+; 301 at least); honest code needs a few
    start_seconds: float = 180.0  # the template's one-time start: imports and inputs


@dataclass
class RawResults:
    """What came back from running a submission: plain data, decoded, not yet judged."""

    off: dict[str, str] = field(default_factory=dict)  # protections that could not be switched on
    imports: dict[str, dict] = field(default_factory=dict)  # function -> {"functions": ...}
    outcomes: dict[str, dict] = field(default_factory=dict)  # case id -> outcome
    problems: dict[str, str] = field(default_factory=dict)  # function -> why its run ended early
    problem_cases: dict[str, str] = field(default_factory=dict)  # function -> the case running then
    program: list[dict] = field(default_factory=list)  # problems of the top-level statements
    notes: list[str] = field(default_factory=list)  # magics ignored and the like
    missing: dict[str, str] = field(
        default_factory=dict
    )  # function -> where the statement defining it failed
    hung: list[dict] = field(default_factory=list)  # top-level statements that hung a worker (then skipped)
    attempts_with_program: bool = False
    unloadable: str = ""  # why nothing of the submission could be run
    invalid: str = ""  # why what the worker sent was rejected
    kinds: set[str] = field(default_factory=set)  # "time limit", "crashed": what went wrong, if anything
    output: str = ""
    output_dropped: int = 0
    seconds: float = 0.0
    attempts: int = 0
    # Where the time went, in seconds, over all attempts: "start" (the worker's start and sandbox, and
    # reading the file), "top level" (running it), "calls" and "other" (forks, encoding, teardown).
    phases: dict[str, float] = field(default_factory=dict)


@dataclass
class Attempt:
    """One worker's run over some of a submission's functions, until done or stopped."""

    off: dict[str, str] = field(default_factory=dict)
    imports: dict[str, dict] = field(default_factory=dict)
    outcomes: dict[str, dict] = field(default_factory=dict)
    problem: str | None = None  # why it ended early, in words for the student
    kind: str = ""  # "time limit", "crashed" or "invalid output", when it ended early
    problem_case: str | None = None  # the case that was running then, if any
    importing: str | None = None  # the function whose program run was under way, if any
    statement: int | None = None  # the top-level statement running then, if any
    statement_where: str = ""  # where it is, as the student sees it ("cell 3, line 2")
    unloadable: str = ""
    frames: int = 0
    received: int = 0
    exit_status: int | None = None
    output: str = ""
    output_dropped: int = 0
    phases: dict[str, float] = field(default_factory=dict)  # as RawResults.phases
    restart: bool = False  # the worker asked for a fresh one for the functions it did not judge


class TemplateFailed(RuntimeError):
    """The template process could not start, or died: a fault of the grader, not of a submission."""


class Template:
    """One template process (see zygote.py) and the channel to it."""

    def __init__(
        self, settings: dict, tensors: dict, *, limits: Limits, workdir: Path, log: Path | None = None
    ):
        """Starts the process and sends it its settings (the pack's fixtures and what the worker may
        read); `ready()` waits for it to finish starting. `workdir` is private to the grader."""
        self.limits, self.workdir = limits, workdir
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.log_path = log or workdir / f"template-{id(self):x}.log"
        self.log = open(self.log_path, "ab")
        env = {k: v for k, v in os.environ.items() if k in ENVIRONMENT or k.startswith("LC_")}
        env |= OFFLINE | {"HOME": str(workdir), "TMPDIR": str(workdir)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.engine.zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            cwd=workdir,
            env=env,
        )
        theirs.close()
        self.channel = wire.Channel(ours)
        settings = dict(
            settings,
            workdir=str(workdir),
            limits={
                "memory_bytes": limits.memory_bytes,
                "cpu_seconds": limits.cpu_seconds,
                "file_bytes": limits.file_bytes,
                "scratch_bytes": limits.scratch_bytes,
                "tasks": limits.tasks,
            },
        )
        self.channel.send(settings, wire.arrays_to_blob(tensors))
        self.off: dict[str, str] = {}

    def ready(self) -> Template:
        self.off = self._wait_for("ready", self.limits.start_seconds).get("off", {})
        return self

    def _wait_for(self, event: str, seconds: float) -> dict:
        deadline = time.monotonic() + seconds
        while not self.channel.frames:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.channel.sock], [], [], left)[0]:
                self.close()
                raise TemplateFailed(f"the worker template did not become {event} within {seconds:.0f} s")
            try:
                self.channel.fill()
            except (EOFError, OSError):
                code = self.process.wait()
                raise TemplateFailed(
                    f"the worker template exited with status {code}:\n{self.log_tail()}"
                ) from None
        document, _ = self.channel.frames.pop(0)
        if document.get("event") != event:
            raise TemplateFailed(f"the worker template said {document!r}, expected {event!r}")
        return document

    def run(self, request: dict, source: bytes, tensors: dict | None = None) -> Attempt:
        """One attempt: `request` gives the mode and the functions with their cases; `source` is the
        submission's bytes. Stops at the first crash or timeout (see `run_submission` for the rest)."""
        import numpy as np

        arrays = dict(tensors or {}, __source__=np.frombuffer(source or b"\0", dtype=np.uint8))
        request = dict(request, source_bytes=len(source))
        return _Watch(self, request).run(wire.arrays_to_blob(arrays))

    def log_tail(self, lines: int = 15) -> str:
        """The end of what the template printed (its errors, when it fails to start)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def close(self) -> None:
        try:
            self.channel.sock.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class _Watch:
    """Watches one attempt: its pipes, its deadlines, and every frame it sends."""

    def __init__(self, template: Template, request: dict):
        self.template, self.request, self.limits = template, request, template.limits
        self.result = Attempt()
        self.functions = {task["function"]: task for task in request["functions"]}
        self.case_ids = {case["id"] for task in request["functions"] for case in task["cases"]}
        self.killed = False
        self.running: str | None = None  # the case under way
        self.started: set[str] = set()
        now = time.monotonic()
        self.began, self.since = now, {}  # when the attempt, and each phase under way, began
        self.unit_deadline = now + request.get("seconds", self.limits.unit_seconds)
        self.import_deadline = now + self.limits.import_seconds
        self.deadline = self.import_deadline

    def kill(self, problem: str, kind: str) -> None:
        if not self.killed:
            self.killed = True
            self.result.problem, self.result.kind, self.result.problem_case = problem, kind, self.running
            try:
                self.template.channel.send({"event": "kill"})
            except OSError:
                pass

    def run(self, blob: bytes) -> Attempt:
        result, limits, channel = self.result, self.limits, self.template.channel
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        try:
            channel.send(dict(self.request, event="run"), blob, fds=(result_w, output_w))
        except OSError as error:
            for fd in (result_r, result_w, output_r, output_w):
                os.close(fd)
            raise TemplateFailed(f"the worker template is gone: {error}") from None
        os.close(result_w)
        os.close(output_w)
        reader = wire.FrameReader()
        kept = bytearray()
        open_fds = {result_r, output_r}
        exit_deadline = float("inf")
        while result.exit_status is None or open_fds:
            now = time.monotonic()
            if result.exit_status is None and not self.killed:
                if now >= self.unit_deadline:
                    self.kill(
                        f"the whole submission took longer than {limits.unit_seconds:.0f} s", "time limit"
                    )
                elif now >= self.deadline:
                    self.kill(self._late(), "time limit")
            if result.exit_status is not None and now > exit_deadline:
                break  # a process outside any PID namespace still holds a pipe: stop listening
            watched = list(open_fds) + ([channel.sock] if result.exit_status is None else [])
            wait = max(0.0, min(self.deadline, self.unit_deadline) - now) if not self.killed else 0.5
            if result.exit_status is not None:
                wait = max(0.0, exit_deadline - now)
            ready, _, _ = select.select(watched, [], [], wait)
            for fd in ready:
                if fd is channel.sock:
                    try:
                        channel.fill()
                    except (EOFError, OSError):
                        raise TemplateFailed("the worker template died during a unit") from None
                    for document, _ in channel.frames:
                        if document.get("event") == "exited":
                            result.exit_status = int(document["status"])
                            exit_deadline = time.monotonic() + 2.0
                    channel.frames = [f for f in channel.frames if f[0].get("event") != "exited"]
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    open_fds.discard(fd)
                    os.close(fd)
                elif fd == output_r:
                    room = max(limits.output_bytes - len(kept), 0)
                    kept += data[:room]
                    result.output_dropped += len(data) - len(data[:room])
                elif not self.killed or self.result.kind != "invalid output":
                    result.received += len(data)
                    try:
                        if result.received > limits.data_bytes:
                            raise wire.WireError(f"it sent back more than {limits.data_bytes >> 20} MiB")
                        for document, frame_blob in reader.feed(data):
                            self.event(document, frame_blob)
                    except wire.WireError as error:
                        self.kill(
                            f"the worker sent data the grader cannot accept ({error})", "invalid output"
                        )
        for fd in open_fds:
            os.close(fd)
        result.output = wire.clean(kept.decode(errors="replace"))
        result.phases["other"] = max(0.0, time.monotonic() - self.began - sum(result.phases.values()))
        if result.problem is None and not result.restart and not self.finished():
            result.problem, result.kind = _crash_message(result.exit_status, self.running), "crashed"
            result.problem_case = self.running
        return result

    def _late(self) -> str:
        if self.running:
            return f"a call took longer than {self.limits.call_seconds:g} s"
        if self.result.statement is not None and time.monotonic() < self.import_deadline:
            return f"a top-level statement took longer than {self.limits.statement_seconds:g} s"
        return f"running the file's top-level code took longer than {self.limits.import_seconds:g} s"

    def event(self, document, blob: bytes) -> None:
        """Takes one frame from the worker, after checking that it fits the protocol."""
        result, limits = self.result, self.limits
        now = time.monotonic()
        result.frames += 1
        event = document.get("event") if isinstance(document, dict) else None
        if event == "sandbox" and result.frames == 1:  # sent before any student code has run
            result.off = {
                wire.clean(k)[:40]: wire.clean(v)[:300] for k, v in _mapping(document.get("off")).items()
            }
        elif event == "unloadable":
            result.unloadable = wire.clean(_text(document.get("message")))[:1000]
        elif event == "program":
            self.deadline = self.import_deadline
            self._phase("start", now - self.began)
        elif event == "importing":
            if self.running is not None:
                raise wire.WireError("a function started while a case ran")
            result.importing = self._function(document)
            self.since["top level"] = now
            result.statement = None
            self.import_deadline = now + limits.import_seconds
            self.deadline, self.running = self.import_deadline, None
        elif event == "statement":
            index = document.get("index")
            if not isinstance(index, int) or result.importing is None:
                raise wire.WireError("a statement event outside a program run")
            result.statement = index
            result.statement_where = wire.clean(str(document.get("where", "")))[:100]
            self.deadline = min(now + limits.statement_seconds + 2.0, self.import_deadline)
        elif event == "imported":
            name = self._function(document)
            result.imports[name] = _imported(document)
            self._phase("top level", now - self.since.pop("top level", now))
            result.importing = result.statement = None
            self.deadline = now + limits.call_seconds
        elif event == "start":
            case = self._case(document)
            if self.running is not None or case in self.started:
                raise wire.WireError("a case started twice, or while another ran")
            self.started.add(case)
            self.running = case
            self.since["calls"] = now
            self.deadline = now + limits.call_seconds
        elif event == "result":
            case = self._case(document)
            if case != self.running:
                raise wire.WireError("a result for a case that was not running")
            result.outcomes[case] = _decode_outcome(document.get("outcome"), wire.blob_to_arrays(blob))
            self._phase("calls", now - self.since.pop("calls", now))
            self.running = None
            self.deadline = now + limits.call_seconds
        elif event == "done":
            self.deadline = self.unit_deadline
        elif event == "restart":  # between functions: the worker's state is no longer fit to judge in
            if self.running is not None or result.importing is not None or result.restart:
                raise wire.WireError("a restart while a function ran")
            result.restart = True
            self.deadline = self.unit_deadline
        else:
            raise wire.WireError(f"an unexpected {wire.clean(str(event))[:40]!r} event")

    def _phase(self, name: str, seconds: float) -> None:
        self.result.phases[name] = self.result.phases.get(name, 0.0) + seconds

    def _function(self, document: dict) -> str:
        name = document.get("function")
        if name not in self.functions:
            raise wire.WireError("an event about a function that was not asked for")
        return name

    def _case(self, document: dict) -> str:
        case = document.get("case")
        if case not in self.case_ids:
            raise wire.WireError("an event about a case that was not asked for")
        return case

    def finished(self) -> bool:
        return bool(self.result.unloadable) or all(
            _judged(self.result, task) for task in self.functions.values()
        )


def _mapping(value) -> dict:
    if not isinstance(value, dict) or len(value) > 100:
        raise wire.WireError("malformed event")
    return value


def _text(value) -> str:
    if not isinstance(value, str):
        raise wire.WireError("malformed event")
    return value


def _imported(document: dict) -> dict:
    """An "imported" event, checked and cleaned: the functions defined (name -> parameters or
    None), and the problems and notes of the program's first run."""
    functions = {}
    for name, parameters in list(_mapping_any(document.get("functions")).items())[:5000]:
        if parameters is not None and not (
            isinstance(parameters, list) and all(isinstance(p, list) and 1 <= len(p) <= 2 for p in parameters)
        ):
            raise wire.WireError("malformed signature")
        functions[wire.clean(name)[:200]] = parameters
    problems = []
    for problem in _list_any(document.get("problems", []))[:100]:
        problem = _mapping(problem)
        problems.append(
            {
                "where": wire.clean(_text(problem.get("where", "")))[:100],
                "type": wire.clean(_text(problem.get("type", "")))[:100],
                "message": wire.clean(_text(problem.get("message", "")))[:500],
                "skipped": wire.clean(_text(problem.get("skipped", "")))[:300],
                "defines": [wire.clean(_text(d))[:200] for d in _list_any(problem.get("defines", []))[:50]],
            }
        )
    notes = [wire.clean(_text(note))[:300] for note in _list_any(document.get("notes", []))[:100]]
    missing = {
        wire.clean(_text(k))[:200]: wire.clean(_text(v))[:100]
        for k, v in _mapping_any(document.get("missing", {})).items()
    }
    dropped = document.get("dropped", 0)
    return {
        "functions": functions,
        "problems": problems,
        "notes": notes,
        "missing": dict(list(missing.items())[:200]),
        "dropped": dropped if isinstance(dropped, int) else 0,
        "first": "problems" in document,
    }


def _mapping_any(value) -> dict:
    if not isinstance(value, dict):
        raise wire.WireError("malformed event")
    return value


def _list_any(value) -> list:
    if not isinstance(value, list):
        raise wire.WireError("malformed event")
    return value


def _decode_outcome(outcome, arrays: dict) -> dict:
    if not isinstance(outcome, dict) or outcome.get("status") not in ("ok", "error"):
        raise wire.WireError("malformed outcome")
    decoded = {"status": outcome["status"]}
    for key in ("value", "calls", "args"):
        if key in outcome:
            decoded[key] = wire.decode(outcome[key], arrays)
    if outcome["status"] == "error":
        error = _mapping(outcome.get("error"))
        decoded["error"] = {
            k: wire.clean(_text(error.get(k, "")))[:4000]
            for k in ("type", "message", "traceback", "name")
            if k in error
        }
    calls = outcome.get("stand_in_calls") or {}
    decoded["stand_in_calls"] = {
        wire.clean(str(k))[:100]: v for k, v in _mapping(calls).items() if isinstance(v, int)
    }
    if isinstance(outcome.get("seconds"), (int, float)):
        decoded["seconds"] = float(outcome["seconds"])
    if "inputs" in outcome:
        decoded["inputs"] = wire.decode(_plain_to_document(outcome["inputs"]), arrays)
    return decoded


def _plain_to_document(value):
    """The reference's "inputs" are plain JSON (only the reference sends them); as a document."""
    if isinstance(value, list):
        return {"type": "list", "items": [_plain_to_document(v) for v in value]}
    if isinstance(value, dict):
        return {"type": "dict", "items": [[k, _plain_to_document(v)] for k, v in value.items()]}
    return value


def run_submission(
    template: Template, request: dict, source: bytes, tensors: dict | None = None
) -> RawResults:
    """Runs every function of `request` for one submission, in as many attempts as it takes.

    A crash or timeout during a call fails that call, skips the rest of that function's cases, and
    a fresh worker carries on with the next function. A top-level statement that hangs the worker
    is skipped on the next attempt (and recorded); a program that cannot run at all, or a worker
    that sends what the protocol does not allow, ends the submission. A worker in which a function
    changed what the next would share (see worker.Unit) stops after it, and a fresh worker carries
    on with the functions after it.
    """
    raw = RawResults()
    tasks = list(request["functions"])
    started = time.monotonic()
    budget = request.get("seconds", template.limits.unit_seconds)
    skip: list[int] = []
    while tasks:
        left = budget - (time.monotonic() - started)
        if left <= 0:
            for task in tasks:
                raw.problems[task["function"]] = (
                    f"the submission used up its {budget:.0f} s before this function"
                )
            raw.kinds.add("time limit")
            break
        attempt = template.run(dict(request, functions=tasks, seconds=left, skip=skip), source, tensors)
        raw.attempts += 1
        for phase, seconds in attempt.phases.items():
            raw.phases[phase] = raw.phases.get(phase, 0.0) + seconds
        if attempt.off and not raw.off:
            raw.off = attempt.off
        for name, imported in attempt.imports.items():
            if imported["first"] and not raw.attempts_with_program:
                raw.program, raw.notes, raw.missing = (
                    imported["problems"],
                    imported["notes"],
                    imported["missing"],
                )
                raw.attempts_with_program = True
            raw.imports.setdefault(name, imported)
        raw.outcomes.update(attempt.outcomes)
        if len(raw.output) < template.limits.output_bytes:
            raw.output += attempt.output[: template.limits.output_bytes - len(raw.output)]
        raw.output_dropped += attempt.output_dropped
        if attempt.unloadable:
            raw.unloadable = attempt.unloadable
            break
        if attempt.problem is None and attempt.restart:
            left_to_judge = [task for task in tasks if not _judged(attempt, task)]
            if len(left_to_judge) < len(tasks):
                tasks = left_to_judge
                continue
            attempt.problem, attempt.kind = (
                "the worker asked for a fresh one before judging anything",
                "invalid output",
            )
        if attempt.problem is None:
            break
        raw.kinds.add(attempt.kind)
        if attempt.kind == "invalid output":
            raw.invalid = attempt.problem
            break
        stopped = _stopped_at(attempt, tasks)
        index = next(i for i, task in enumerate(tasks) if task["function"] == stopped)
        if attempt.importing is not None and attempt.problem_case is None:  # in the top-level code
            if (
                attempt.statement is not None
                and len(skip) < MAX_SKIPPED_STATEMENTS
                and attempt.kind == "time limit"
            ):
                skip.append(attempt.statement)
                raw.hung.append(
                    {
                        "where": attempt.statement_where or f"statement {attempt.statement + 1}",
                        "type": "Timeout",
                        "message": attempt.problem,
                        "skipped": "skipped; the rest ran",
                        "defines": [],
                    }
                )
                tasks = tasks[index:]
                continue
            for task in tasks[index:]:
                raw.problems[task["function"]] = (
                    attempt.problem + " (while running the file's top-level code)"
                )
            break
        raw.problems[stopped] = attempt.problem
        raw.problem_cases[stopped] = attempt.problem_case
        tasks = tasks[index + 1 :]
    raw.seconds = time.monotonic() - started
    return raw


def _judged(attempt: Attempt, task: dict) -> bool:
    """Whether an attempt ran a function to the end: its program run reported, and, where the
    program defines it, every case."""
    imported = attempt.imports.get(task["function"])
    if imported is None:
        return False
    return task["function"] not in imported["functions"] or all(
        case["id"] in attempt.outcomes for case in task["cases"]
    )


def _stopped_at(attempt: Attempt, tasks: list[dict]) -> str:
    """The function that was running when an attempt stopped early."""
    for task in tasks:
        if attempt.problem_case in {case["id"] for case in task["cases"]}:
            return task["function"]
    if attempt.importing:
        return attempt.importing
    return next((task["function"] for task in tasks if not _judged(attempt, task)), tasks[-1]["function"])


def _crash_message(status: int | None, running: str | None) -> str:
    where = "during a call" if running else "outside any call (in the top-level code, or between calls)"
    if status is None:
        return f"the worker stopped {where} without reporting"
    if status > 128:
        name = {
            9: "SIGKILL (perhaps out of memory)",
            11: "SIGSEGV (segmentation fault)",
            6: "SIGABRT",
            24: "SIGXCPU (CPU time limit)",
            25: "SIGXFSZ (file size limit)",
        }.get(status - 128, "")
        return f"the worker was killed by signal {status - 128} {name} {where}".replace("  ", " ")
    return f"the worker exited with status {status} {where} (os._exit or a crash)"
