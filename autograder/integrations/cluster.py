"""Grading on a Dask cluster: `autograder grade CLASS --results-dir DIR --scheduler tcp://HOST:8786`.

This process is the client. It obtains the reference's outputs once (the cache, or one run here),
then registers a worker plugin that carries them to every Dask worker as plain data (the JSON
document and safetensors bytes that `reference.dumps` makes), with the exercise's name and settings.
On each worker, now and on any that joins later, the plugin starts a `Grader` once: a warm sandboxed
template per worker thread, the same sandbox as on one machine, refused (with the reason) where it
cannot isolate unless --allow-unsandboxed. Each submission is then one task, whose bytes go with
it; the worker grades it and sends back plain data only: `Result.to_gradescope()`'s dict (and, for
the HTML pages, the raw values the report shows, encoded as the reference is). Nothing that came
out of a student's sandbox is pickled: the client rebuilds each `Result` from that data and writes
it through batch.py's `finish`, as the local pool does (atomically, so a rerun resumes).

A worker that dies mid-batch loses nothing: the scheduler gives its tasks (those under way and
those waiting there) to the other workers, and a task whose result was lost with a worker is run
again. The client writes each student's result once, the first that arrives. At the end, or on
Ctrl-C, the plugin is removed, which closes the templates and ends the units still running.

The workers must run the same autograder and exercise as the client (the plugin compares a
fingerprint of the code and inputs before starting anything), and need the exercise's files
(its model, for instance) where this machine has them.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib.util
import queue
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from autograder.engine import reference
from autograder.engine.batch import Pool
from autograder.engine.files import PACKAGE
from autograder.engine.pack import Inputs, Pack
from autograder.engine.runner import Limits
from autograder.engine.submission import Submission
from autograder.output.results import Result

CONNECT_SECONDS = 30  # to reach the scheduler
CLOSE_SECONDS = 10  # to remove the plugin (closing the templates) and disconnect, at the end or on Ctrl-C


class WorkerRefused(RuntimeError):
    """A Dask worker could not start the grader (isolation unavailable, another version, ...)."""


@dataclass
class ClientView:
    """What batch.py's `finish` needs of a grader (the HTML page's sections), on the client."""

    pack: Pack
    reference: reference.Reference
    inputs: Inputs
    functions: list[str]


def dask_pool(scheduler: str) -> Pool:
    """The pool `batch.grade_submissions` hands a class to: the cluster whose scheduler is at `scheduler`."""
    return functools.partial(grade_on_cluster, scheduler)


def grade_on_cluster(
    scheduler: str,
    todo: list[Submission],
    pack: Pack,
    *,
    secret: str | None,
    functions: list[str] | None,
    limits: Limits | None,
    require_isolation: bool,
    html_dir: Path | None,
    finish,
    failed,
    advance,
    on_result,
) -> None:
    """Grades `todo` on the cluster whose scheduler is at `scheduler`; see batch.py for the callbacks."""
    from distributed import Client, as_completed

    limits = limits or Limits()
    inputs = pack.inputs(secret)
    view = client_view(pack, inputs, secret, functions, limits)
    document, blob = reference.dumps(view.reference)
    name = f"autograder-{uuid.uuid4().hex[:12]}"  # one batch's plugin: batches may share a cluster
    plugin = GraderPlugin(
        exercise=pack.name,
        fingerprint=fingerprint(pack, inputs),
        secret=secret,
        functions=functions,
        limits=limits,
        require_isolation=require_isolation,
        reference_document=document,
        reference_blob=blob,
    )
    client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
    futures: dict = {}
    try:
        client.register_plugin(plugin, name=name)
        refusals = {w: p for w, p in client.run(_problem, name, on_error="return").items() if p}
        if refusals:
            raise WorkerRefused(_refusal(refusals))
        if not client.nthreads():
            print(
                f"no Dask worker has joined {scheduler} yet; waiting for one (`dask worker {scheduler}`)",
                file=sys.stderr,
            )
        for index, submission in enumerate(todo):
            future = client.submit(
                grade_task, name, _plain(submission), html_dir is not None, key=f"{name}-{index}", pure=False
            )
            futures[future.key] = (future, submission)
        written: set[str] = set()
        pending = [f for f, _ in futures.values()]
        for future, value in as_completed(pending, loop=client.loop, with_results=True, raise_errors=False):
            _, submission = futures.pop(future.key)
            status = future.status
            future.release()  # the worker may drop its copy
            if submission.student in written:  # the first result that arrives is the one written
                continue
            if status != "finished":
                error = value[1] if isinstance(value, tuple) else value
                if isinstance(error, WorkerRefused):
                    raise WorkerRefused(str(error))
                failed(submission, error)  # a fault of the grader (or KilledWorker): logged, not scored
                written.add(submission.student)
                advance(submission.student, None)
                continue
            try:
                result = rebuild(value, submission)
            except (ValueError, KeyError, TypeError) as error:
                failed(submission, error)
                written.add(submission.student)
                advance(submission.student, None)
                continue
            finish(submission, result, view)
            written.add(submission.student)
            advance(submission.student, result)
            if on_result:
                on_result(result)
    except BaseException:  # Ctrl-C, or a worker's refusal: no more submissions go out
        _quietly(
            client.sync, client._cancel, [f for f, _ in futures.values()], callback_timeout=CLOSE_SECONDS
        )
        raise
    finally:
        _quietly(client.sync, client._unregister_worker_plugin, name, callback_timeout=CLOSE_SECONDS)
        _quietly(client.close, timeout=CLOSE_SECONDS)


def client_view(
    pack: Pack, inputs: Inputs, secret: str | None, functions: list[str] | None, limits: Limits
) -> ClientView:
    """The reference's outputs on `inputs`, and the inputs as the graders judge them: from the cache
    if they are there, else by one run of the reference here (the instructor's own code, so a
    machine that cannot isolate, a login node say, may run it), which caches them."""
    from autograder.engine.grader import Grader

    expected = reference.cached(pack, inputs, list(pack.readable), public=secret is None)
    if expected is not None:
        screened = pack.screen(inputs, expected) if pack.screen else inputs
        if all(any(test.selects(case) for case in screened.of(test.function)) for test in pack.tests):
            return ClientView(pack, expected, screened, functions or pack.names)
    # Not cached, or the first draw leaves a test without inputs: the grader draws again as it
    # would locally (the workers, handed this reference, find the same draw).
    with Grader(pack, secret=secret, workers=1, limits=limits, require_isolation=False) as grader:
        return ClientView(pack, grader.reference, grader.inputs, functions or pack.names)


def fingerprint(pack: Pack, inputs: Inputs) -> str:
    """Changes with the autograder's code, the pack's, its inputs and the files its fixtures read:
    a worker whose fingerprint differs from the client's would grade differently."""
    h = hashlib.sha256(inputs.digest.encode())
    folders = [PACKAGE] + ([] if pack.package.is_relative_to(PACKAGE) else [pack.package])
    spec = importlib.util.find_spec(pack.fixtures)
    files = [p for folder in folders for p in sorted(folder.rglob("*.py"))]
    files += [Path(spec.origin)] if spec and spec.origin else []
    for path in pack.readable:
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for path in files:
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.exists() else b"missing")
    return h.hexdigest()[:24]


def rebuild(value: dict, submission: Submission) -> Result:
    """The Result a worker sent as plain data, checked against the submission it was sent."""
    result = Result.from_gradescope(value["result"], submission.student)
    if result.student != submission.student or result.submission_digest != submission.digest:
        raise ValueError(f"a worker sent back the result of another submission ({result.student})")
    result.seconds = float(value.get("seconds", result.seconds))
    if value.get("raw"):
        document, blob = value["raw"]
        result.raw = reference.loads(document, blob).outcomes
    return result


# --- on the workers ------------------------------------------------------------------------------


class GraderPlugin(WorkerPlugin):
    """Starts a Grader once per Dask worker, with one template per worker thread, on the reference
    the client sent. Its settings travel pickled (plain data from the client); the grader is not."""

    def __init__(
        self,
        *,
        exercise: str,
        fingerprint: str,
        secret: str | None,
        functions: list[str] | None,
        limits: Limits,
        require_isolation: bool,
        reference_document: bytes,
        reference_blob: bytes,
    ):
        self.exercise, self.fingerprint, self.secret = exercise, fingerprint, secret
        self.functions, self.limits, self.require_isolation = functions, limits, require_isolation
        self.reference_document, self.reference_blob = reference_document, reference_blob
        self.grader = None
        self.problem = ""

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("grader", "free", "lock", "removed")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, grader=None)

    async def setup(self, worker) -> None:
        self.lock, self.removed = threading.Lock(), False
        # In a thread: starting the templates takes seconds, and the worker's event loop must go on.
        await asyncio.get_running_loop().run_in_executor(
            None, self._start, worker.address, worker.state.nthreads
        )

    def _start(self, address: str, threads: int) -> None:
        from autograder.engine import pack as packs
        from autograder.engine.grader import Grader, judge_on_one_blas_thread

        judge_on_one_blas_thread()  # this process judges what the templates' workers run
        try:
            pack = packs.get(self.exercise)
            if fingerprint(pack, pack.inputs(self.secret)) != self.fingerprint:
                raise WorkerRefused(
                    "this worker's autograder or exercise differs from the client's (code, inputs or "
                    "model files): install the same version on every worker, and restart the workers"
                )
            grader = Grader(
                pack,
                secret=self.secret,
                workers=max(1, threads),
                functions=self.functions,
                limits=self.limits,
                require_isolation=self.require_isolation,
                expected=reference.loads(self.reference_document, self.reference_blob),
            )
        except Exception as error:  # said to the client, which refuses to grade on this cluster
            self.problem = f"Dask worker {address}: {str(error) or repr(error)}"
            return
        self.free: queue.Queue[int] = queue.Queue()
        for index in range(len(grader.templates)):
            self.free.put(index)
        with self.lock:
            if self.removed:  # the batch ended (Ctrl-C) while the templates started
                grader.close()
            else:
                self.grader = grader

    async def teardown(self, worker) -> None:
        with self.lock:
            self.removed = True
        if self.grader is not None:  # closing the templates ends the units running in them
            await asyncio.get_running_loop().run_in_executor(None, self.grader.close)

    def grade(self, submission: dict, report: bool) -> dict:
        if self.problem:
            raise WorkerRefused(self.problem)
        if self.grader is None or self.grader.closed:
            raise RuntimeError("the grader on this worker is closed (the batch is ending)")
        index = self.free.get()
        try:
            result = self.grader.grade(Submission(**dict(submission, path=Path(submission["path"]))), index)
        finally:
            self.free.put(index)
        value = {"result": result.to_gradescope(), "seconds": result.seconds}
        if report and result.raw:
            value["raw"] = reference.dumps(reference.Reference(result.raw))
        return value


def grade_task(name: str, submission: dict, report: bool) -> dict:
    """One submission, graded on the worker this task runs on, by the batch's plugin."""
    from distributed import get_worker

    plugin = get_worker().plugins.get(name)
    if plugin is None:
        raise RuntimeError(f"the grader's plugin {name} is not on this worker (the batch has ended)")
    return plugin.grade(submission, report)


def _problem(name: str, dask_worker) -> str:
    """Why the batch's plugin could not start the grader on this worker ("" if it did)."""
    plugin = dask_worker.plugins.get(name)
    return "the grader's plugin is missing" if plugin is None else plugin.problem


# --- helpers -------------------------------------------------------------------------------------


def _plain(submission: Submission) -> dict:
    return {
        "student": submission.student,
        "path": str(submission.path),
        "data": submission.data,
        "format": submission.format,
        "error": submission.error,
    }


def _refusal(refusals: dict) -> str:
    lines = []
    for worker, problem in sorted(refusals.items()):
        if isinstance(problem, BaseException):
            problem = f"Dask worker {worker} could not be asked: {problem!r}"
        lines.append(problem)
    return "refusing to grade on this cluster:\n" + "\n".join(lines)


def _quietly(call, *args, **kwargs) -> None:
    """For the end of a batch: a scheduler gone or slow must not hide what happened before."""
    try:
        call(*args, **kwargs)
    except Exception:
        pass
