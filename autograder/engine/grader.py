"""Grades submissions of one exercise pack: the one way a submission flows through the project.

    load (submission.py) -> run in a sandboxed worker (runner.py, zygote.py, worker.py, program.py)
    -> raw outputs as plain data (wire.py) -> judged against the reference (judge.py, the pack's
    checks) -> a Result (output/results.py) -> written by reporters (output/)

A `Grader` starts its worker templates once (imports, models, inputs: a few seconds) and runs the
reference once (or loads it from the cache); grading a submission after that costs a fraction of a
second.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from autograder.engine import aliases, reference, sandbox
from autograder.engine import pack as packs
from autograder.engine import secret as secrets
from autograder.engine.files import PACKAGE, ROOT, cache_dir
from autograder.engine.judge import NOT_IMPORTED, judge
from autograder.engine.pack import Pack
from autograder.engine.runner import Limits, Template, TemplateFailed, run_submission
from autograder.engine.submission import Submission
from autograder.output import similarity
from autograder.output.results import NOT_READ, Result, TestResult

REPORT_BYTES = 8 << 20  # raw values kept per submission for its report


@functools.cache
def grader_version() -> str:
    """The installed release and a digest of the grader's own code (the packs have digests of their own)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("induction-grader")
    except PackageNotFoundError:
        release = "unknown"
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        if "packs" not in path.relative_to(PACKAGE).parts:
            h.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes())
    return f"{release}+{h.hexdigest()[:12]}"


def graded_with(pack: Pack, inputs: str, limits: Limits, functions: list[str] | None) -> dict:
    """Everything a result depends on besides the submission: a result is current only where this is
    the same (and the submission's digest too); anything else is graded again."""
    return {
        "pack": pack.digest,
        "inputs": inputs,
        "grader": grader_version(),
        "limits": dataclasses.asdict(limits),
        "functions": sorted(functions or pack.names),
    }


class IsolationUnavailable(RuntimeError):
    """Some protection could not be switched on, and grading was not allowed without it."""


def hidden_paths() -> list[Path]:
    """What the worker must never read, even where it lies among what it may read (the packages,
    say, when the project is installed among them): the project's code and checks, its solutions,
    tests and nbgrader sources, every pack's folder and solution, the cache of reference outputs.
    The rest of the repository is out of reach anyway: what the worker reads is an allow-list."""
    hidden = [
        PACKAGE,
        cache_dir(),
        *(ROOT / name for name in ("solutions", "tests", "nbgrader", "benchmarks")),
    ]
    for pack in packs.packs().values():
        hidden += [pack.package, pack.solution]
    return hidden


@functools.cache
def judge_on_one_blas_thread() -> None:
    """Makes numpy's matrix products run on one thread, for the whole process: for a process that
    judges a class (a batch, a cluster's worker), whose workers have the cores. OpenBLAS's own
    threads competed with them and spun while waiting, which doubled the judge's CPU time (circuits:
    0.10 s per submission, 0.05 s on one thread, 2 workers). Not done by `Grader` itself, which
    also runs in a student's notebook (`check()`), whose own numpy it leaves alone."""
    threadpool_limits(1, user_api="blas")


class Grader:
    def __init__(
        self,
        pack: Pack | None = None,
        *,
        secret: str | None = None,
        workers: int = 1,
        functions: list[str] | None = None,
        limits: Limits | None = None,
        require_isolation: bool = True,
        log_dir: Path | None = None,
        expected: reference.Reference | None = None,
    ):
        """`expected`: the reference's outputs, when they come from elsewhere (a cluster's client
        sends them to its workers); by default they are loaded from the cache or run here."""
        self.pack = pack or packs.get()
        self.functions = functions or self.pack.names
        self.workers = workers
        unknown = set(self.functions) - set(self.pack.names)
        if unknown:
            raise ValueError(
                f"no function named {', '.join(sorted(unknown))} in the {self.pack.name} exercise; "
                f"its functions are {', '.join(self.pack.names)}"
            )
        self.secret = secret
        self.limits, self.log_dir = limits or Limits(), log_dir
        self.inputs_label = secrets.label(secret)
        self.graded_with = graded_with(self.pack, self.inputs_label, self.limits, self.functions)
        self.workdir = Path(tempfile.mkdtemp(prefix="autograder-"))
        os.chmod(self.workdir, 0o700)
        self.templates: list[Template] = []
        self.closed = False
        try:
            self._prepare(expected, require_isolation)
        except BaseException:
            self.close()
            raise

    def _prepare(self, expected: reference.Reference | None, require_isolation: bool) -> None:
        """Starts the templates on the inputs and runs (or loads) the reference. A secret's draw
        whose screen leaves a test without inputs is drawn again (at most `pack.redraws` times, the
        same way for everyone: a course's graders all land on the same draw); if none fits, grading
        is refused before anyone is graded."""
        draws = self.pack.redraws + 1 if self.secret is not None else 1
        unfit: list[str] = []
        for attempt in range(draws):
            inputs = self.pack.inputs(self.secret) if attempt == 0 else self.pack.inputs(self.secret, attempt)
            if expected is not None and not all(case.id in expected.outcomes for case in inputs.cases):
                continue  # the reference's outputs sent are for another of the draws
            self.inputs = inputs
            if not self.templates:
                self._start_templates(require_isolation)
            self.reference = expected or reference.load_or_run(
                self.templates[0], self.pack, inputs, list(self.pack.readable), public=self.secret is None
            )
            if self.pack.screen:
                self.inputs = self.pack.screen(inputs, self.reference)
            unfit = self._without_inputs()
            if not unfit:
                break
            for template in self.templates:  # the next draw's models and activations are others
                template.close()
            self.templates = []
        else:
            if not unfit:
                raise ValueError(
                    f"the reference's outputs sent do not fit any draw of {self.pack.name}'s inputs"
                )
            raise packs.InputsUnfit(
                f"no draw from this secret gives the test {unfit[0]!r} of {self.pack.name} inputs that pass "
                f"its screen ({draws} draws tried): choose another secret"
                if self.secret is not None
                else f"the public inputs of {self.pack.name} leave the test {unfit[0]!r} without inputs"
            )
        self.request, self.request_tensors = self.reference.request(self.pack, self.inputs, self.functions)

    def _without_inputs(self) -> list[str]:
        """The titles of the tests graded here that select none of the inputs."""
        return [
            test.title
            for test in self.pack.tests
            if test.function in self.functions
            and not any(test.selects(case) for case in self.inputs.of(test.function))
        ]

    def _start_templates(self, require_isolation: bool) -> None:
        self.settings = {
            # Every mechanism is always tried; `require_isolation` says whether all of them must hold.
            "sandbox": True,
            "fixtures": self.pack.fixtures,
            "preload": list(self.pack.preload),
            "catalog": self.inputs.catalog,
            "readable": [str(p) for p in self.pack.readable],
            "hidden": [str(p) for p in hidden_paths()],
        }
        self.templates = [self._start(i) for i in range(self.workers)]
        for template in self.templates:
            template.ready()
        self.protections_off = self._protections_off()
        if self.protections_off and require_isolation:
            raise IsolationUnavailable(
                "refusing to grade without isolation; these protections are off:\n"
                + "\n".join(f"  {name}: {why}" for name, why in self.protections_off.items())
                + "\nRun on Linux with user namespaces and Landlock, or pass --allow-unsandboxed."
            )

    def _start(self, index: int) -> Template:
        log = self.log_dir / f"worker-{index}.log" if self.log_dir else None
        return Template(self.settings, self.inputs.tensors, limits=self.limits, workdir=self.workdir, log=log)

    def _protections_off(self) -> dict[str, str]:
        off = dict(self.templates[0].off)
        probe = self.templates[0].run({"mode": "student", "functions": []}, b"")  # a worker that runs nothing
        if probe.problem:
            raise TemplateFailed(f"a worker could not start: {probe.problem}\n{self.templates[0].log_tail()}")
        off.update(probe.off)  # what each worker could switch on for itself: namespaces, Landlock, limits
        return {name: why for name, why in off.items() if name in sandbox.PROTECTIONS}

    def grade(self, submission: Submission, worker: int = 0) -> Result:
        """Grades one submission on the given worker template (one grading thread per template)."""
        result = self._grade(submission, worker)
        result.inputs = self.inputs_label
        result.graded_with = dict(self.graded_with, submission=submission.digest)
        return result

    def _grade(self, submission: Submission, worker: int) -> Result:
        started = time.monotonic()
        if submission.error:
            tests = [
                TestResult(
                    t.title,
                    t.function,
                    0.0,
                    t.points,
                    NOT_READ,
                )
                for f in self.functions
                for t in self.pack.tests_of(f)
            ]
            return Result(
                submission.student,
                tests,
                status=NOT_IMPORTED,
                problems=[submission.error],
                error=submission.error,
                submission_digest=submission.digest,
                exercise=self.pack.name,
            )
        renamed = aliases.found(self.pack, self.functions, submission.data)
        request = dict(
            aliases.request_for(self.request, renamed),
            filename=submission.filename,
            format=submission.format,
            statement_seconds=self.limits.statement_seconds,
        )
        for attempt in range(2):
            try:
                raw = run_submission(self.templates[worker], request, submission.data, self.request_tensors)
                break
            except TemplateFailed:
                if attempt or self.closed:  # closed: stopping (Ctrl-C), not a template to restart
                    raise
                self.templates[worker].close()
                self.templates[worker] = self._start(worker).ready()
                if self.closed:  # closed while it started
                    self.templates[worker].close()
                    raise
        aliases.file_under_own_names(raw, renamed)
        judging = time.monotonic()
        verdict = judge(raw, self.reference, self.pack, self.inputs, self.functions)
        phases = dict(raw.phases, judge=time.monotonic() - judging)
        verdict.notes += aliases.notes(renamed)
        cases = {f: [case.id for case in self.inputs.of(f)] for f in self.functions}
        output = raw.output
        if raw.output_dropped:
            output += f"\n[... {raw.output_dropped} more bytes of output were dropped]"
        return Result(
            submission.student,
            verdict.tests,
            output,
            time.monotonic() - started,
            {**raw.off, **self.protections_off},
            status=verdict.status,
            problems=verdict.problems,
            notes=verdict.notes,
            submission_digest=submission.digest,
            exercise=self.pack.name,
            fingerprints=similarity.fingerprints(raw.outcomes, cases),
            raw=_for_report(raw, self.pack.report_cases),
            phases=phases,
        )

    def close(self) -> None:
        self.closed = True
        for template in self.templates:
            template.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _for_report(raw, cases: tuple[str, ...]) -> dict:
    """The raw outcomes the pack's report shows, no more (and none above REPORT_BYTES in all): the
    rest is dropped as soon as the submission is judged."""
    kept, size = {}, 0
    for case in cases:
        outcome = raw.outcomes.get(case)
        if outcome is None:
            continue
        size += _size(outcome.get("value"))
        if size > REPORT_BYTES:
            break
        kept[case] = outcome
    return kept


def _size(value) -> int:
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    if isinstance(getattr(value, "nbytes", None), int):  # a wire.Factored: its two factors
        return int(value.nbytes)
    values = getattr(value, "values", None)
    if values is not None and hasattr(values, "nbytes"):
        return int(values.nbytes)
    if isinstance(getattr(value, "fields", None), dict):
        return sum(_size(v) for v in value.fields.values())
    return 64
