"""The judge's side of the sandbox: starts template processes and runs units of work in them.

A unit is one function of one submission, called on a list of cases. The runner sends the request,
then watches three things at once: the result pipe (framed plain data), the output pipe (stdout and
stderr, of which the first `output_bytes` are kept and the rest counted), and the template's channel
(which says when the unit's processes have ended). Time limits are kept here, outside the sandbox:
the import, each call, and the whole unit each have a deadline, and a unit past one is killed.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import wire

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Limits:
    """Per-unit limits. Memory is address space beyond the template's own, per process."""

    call_seconds: float = 10.0
    import_seconds: float = 30.0
    unit_seconds: float = 120.0
    memory_bytes: int = 4 << 30
    cpu_seconds: int = 300
    file_bytes: int = 64 << 20
    output_bytes: int = 64 << 10
    tasks: int = 512  # processes and threads at once (Linux 6.14+; 301 at least); honest code needs a few
    start_seconds: float = 180.0  # the template's one-time start: imports and inputs


@dataclass
class RawResults:
    """What came back from running a submission: plain data, decoded, not yet judged."""

    off: dict[str, str] = field(default_factory=dict)  # protections that could not be switched on
    imports: dict[str, dict] = field(default_factory=dict)  # function -> {"functions": ...} or {"error": ...}
    outcomes: dict[str, dict] = field(default_factory=dict)  # case id -> outcome
    problems: dict[str, str] = field(default_factory=dict)  # function -> why its run ended early
    problem_cases: dict[str, str] = field(default_factory=dict)  # function -> the case running then
    output: str = ""
    output_dropped: int = 0
    seconds: float = 0.0
    attempts: int = 0


@dataclass
class Attempt:
    """One worker's run over some of a submission's functions, until done or stopped."""

    off: dict[str, str] = field(default_factory=dict)
    imports: dict[str, dict] = field(default_factory=dict)
    outcomes: dict[str, dict] = field(default_factory=dict)
    problem: str | None = None  # why it ended early, in words for the student
    problem_case: str | None = None  # the case that was running then, if any
    importing: str | None = None  # the function whose module import was under way, if any
    exit_status: int | None = None
    output: str = ""
    output_dropped: int = 0


class TemplateFailed(RuntimeError):
    """The template process could not start, or died: a fault of the grader, not of a submission."""


class Template:
    """One template process (see zygote.py) and the channel to it."""

    def __init__(
        self,
        catalog: dict,
        tensors: dict,
        *,
        sandbox: bool,
        limits: Limits,
        hidden: list[Path],
        readable: list[Path],
        workdir: Path,
        log: Path | None = None,
    ):
        """Starts the process and sends it the catalog; `ready()` waits for it to finish starting.

        `workdir` is a private directory for the units' scratch directories."""
        self.limits, self.workdir = limits, workdir
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.log_path = log or workdir / f"template-{id(self):x}.log"
        self.log = open(self.log_path, "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INDUCTION_GRADER", "GRADESCOPE"))}
        env.update(
            PYTHONWARNINGS="ignore",
            TOKENIZERS_PARALLELISM="false",
            HF_HUB_OFFLINE="1",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            cwd=workdir,
            env=env,
        )
        theirs.close()
        self.channel = wire.Channel(ours)
        settings = {
            "sandbox": sandbox,
            "catalog": catalog,
            "limits": {
                "memory_bytes": limits.memory_bytes,
                "cpu_seconds": limits.cpu_seconds,
                "file_bytes": limits.file_bytes,
                "tasks": limits.tasks,
            },
            "readable": [str(p) for p in readable],
            "hidden": [str(p) for p in hidden],
        }
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

    def run(self, request: dict, source: str, tensors: dict | None = None) -> Attempt:
        """One attempt: `request` gives the mode and the functions with their cases; `source` is the
        submission. Stops at the first crash or timeout (see `run_submission` for the rest)."""
        scratch = Path(tempfile.mkdtemp(prefix="unit-", dir=self.workdir))
        try:
            path = scratch / request.get("filename", "submission.py")
            path.write_text(source)
            return self._run(dict(request, submission=str(path), scratch=str(scratch)), tensors or {})
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _run(self, request: dict, tensors: dict) -> Attempt:
        limits = self.limits
        result = Attempt()
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        try:
            self.channel.send(
                dict(request, event="run"), wire.arrays_to_blob(tensors), fds=(result_w, output_w)
            )
        except OSError as error:
            for fd in (result_r, result_w, output_r, output_w):
                os.close(fd)
            raise TemplateFailed(f"the worker template is gone: {error}") from None
        os.close(result_w)
        os.close(output_w)
        started = time.monotonic()
        unit_deadline = started + request.get("seconds", limits.unit_seconds)
        deadline, running = started + limits.import_seconds, None
        reader = wire.FrameReader()
        kept = bytearray()
        open_fds = {result_r, output_r}
        killed = False
        exit_deadline = float("inf")

        def kill(problem: str) -> None:
            nonlocal killed
            if not killed:
                killed = True
                result.problem, result.problem_case = problem, running
                self.channel.send({"event": "kill"})

        while result.exit_status is None or open_fds:
            now = time.monotonic()
            if result.exit_status is None and not killed:
                if now >= unit_deadline:
                    kill(f"the whole unit took longer than {limits.unit_seconds:.0f} s")
                elif now >= deadline:
                    kill(
                        f"a call took longer than {limits.call_seconds:.0f} s"
                        if running
                        else f"the import took longer than {limits.import_seconds:.0f} s"
                    )
            if result.exit_status is not None and now > exit_deadline:
                break  # a process outside any PID namespace still holds a pipe: stop listening
            watched = list(open_fds) + ([self.channel.sock] if result.exit_status is None else [])
            wait = max(0.0, min(deadline, unit_deadline) - now) if not killed else 0.5
            if result.exit_status is not None:
                wait = max(0.0, exit_deadline - now)
            ready, _, _ = select.select(watched, [], [], wait)
            for fd in ready:
                if fd is self.channel.sock:
                    try:
                        self.channel.fill()
                    except (EOFError, OSError):
                        raise TemplateFailed("the worker template died during a unit") from None
                    for document, _ in self.channel.frames:
                        if document.get("event") == "exited":
                            result.exit_status = int(document["status"])
                            exit_deadline = time.monotonic() + 2.0
                    self.channel.frames = [f for f in self.channel.frames if f[0].get("event") != "exited"]
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    open_fds.discard(fd)
                    os.close(fd)
                elif fd == output_r:
                    room = limits.output_bytes - len(kept)
                    kept += data[: max(room, 0)]
                    result.output_dropped += max(len(data) - max(room, 0), 0)
                else:
                    try:
                        frames = reader.feed(data)
                    except wire.WireError as error:
                        kill(f"the worker sent malformed data ({error})")
                        open_fds.discard(fd)
                        os.close(fd)
                        continue
                    for document, blob in frames:
                        deadline, running = self._event(result, document, blob, running, kill)
        for fd in open_fds:
            os.close(fd)
        result.output = kept.decode(errors="replace")
        if result.problem is None and not _finished(result, request):
            result.problem, result.problem_case = _crash_message(result.exit_status, running), running
        return result

    def _event(self, result: Attempt, document, blob: bytes, running, kill):
        """Takes one event from the worker; returns the next deadline and the running case."""
        now = time.monotonic()
        event = document.get("event") if isinstance(document, dict) else None
        if event == "sandbox":
            result.off = {str(k): str(v) for k, v in dict(document.get("off") or {}).items()}
        elif event == "imported":
            result.imports[str(document.get("function"))] = document
            result.importing = None
        elif event == "importing":
            result.importing = str(document.get("function"))
            return now + self.limits.import_seconds, None
        elif event == "start":
            return now + self.limits.call_seconds, str(document.get("case"))
        elif event == "result":
            try:
                arrays = wire.blob_to_arrays(blob)
                outcome = _decode_outcome(document.get("outcome"), arrays)
            except wire.WireError as error:
                outcome = {"status": "error", "error": {"type": "MalformedResult", "message": str(error)}}
            result.outcomes[str(document.get("case"))] = outcome
            return now + self.limits.call_seconds, None
        return now + (self.limits.import_seconds if result.importing else self.limits.call_seconds), running

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


def _decode_outcome(outcome, arrays: dict) -> dict:
    if not isinstance(outcome, dict) or outcome.get("status") not in ("ok", "error"):
        raise wire.WireError("malformed outcome")
    decoded = dict(outcome)
    for key in ("value", "calls", "args"):
        if key in outcome:
            decoded[key] = wire.decode(outcome[key], arrays)
    if outcome["status"] == "error" and not isinstance(outcome.get("error"), dict):
        raise wire.WireError("malformed error report")
    return decoded


def _finished(result: Attempt, request: dict) -> bool:
    for task in request["functions"]:
        imported = result.imports.get(task["function"])
        if imported is None:
            return False
        if "error" not in imported and not all(case["id"] in result.outcomes for case in task["cases"]):
            return False
    return True


def run_submission(template: Template, request: dict, source: str, tensors: dict | None = None) -> RawResults:
    """Runs every function of `request` for one submission, in as many attempts as it takes.

    A crash or timeout during a call fails that call, skips the rest of that function's cases, and
    a fresh worker carries on with the next function. One during the import fails every function
    that has not run yet: the import is the same for each, so trying again would end the same way.
    """
    raw = RawResults()
    tasks = list(request["functions"])
    started = time.monotonic()
    budget = request.get("seconds", template.limits.unit_seconds)
    while tasks:
        left = budget - (time.monotonic() - started)
        if left <= 0:
            for task in tasks:
                raw.problems[task["function"]] = (
                    f"the submission used up its {budget:.0f} s before this function"
                )
            break
        attempt = template.run(dict(request, functions=tasks, seconds=left), source, tensors)
        raw.attempts += 1
        raw.off.update(attempt.off)
        raw.imports.update(attempt.imports)
        raw.outcomes.update(attempt.outcomes)
        if len(raw.output) < template.limits.output_bytes:
            raw.output += attempt.output[: template.limits.output_bytes - len(raw.output)]
        raw.output_dropped += attempt.output_dropped
        if attempt.problem is None:
            break
        stopped = _stopped_at(attempt, tasks)
        index = next(i for i, task in enumerate(tasks) if task["function"] == stopped)
        if attempt.importing is not None and attempt.problem_case is None:  # the import itself failed
            for task in tasks[index:]:
                raw.problems[task["function"]] = attempt.problem + " (while importing the submission)"
            break
        raw.problems[stopped] = attempt.problem
        raw.problem_cases[stopped] = attempt.problem_case
        tasks = tasks[index + 1 :]
    raw.seconds = time.monotonic() - started
    return raw


def _stopped_at(attempt: Attempt, tasks: list[dict]) -> str:
    """The function that was running when an attempt stopped early."""
    for task in tasks:
        if attempt.problem_case in {case["id"] for case in task["cases"]}:
            return task["function"]
    if attempt.importing:
        return attempt.importing
    for task in tasks:  # the first function that did not finish
        imported = attempt.imports.get(task["function"])
        if imported is None or (
            "error" not in imported and any(case["id"] not in attempt.outcomes for case in task["cases"])
        ):
            return task["function"]
    return tasks[-1]["function"]


def _crash_message(status: int | None, running: str | None) -> str:
    where = "during a call" if running else "outside any call (at import, or between calls)"
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
