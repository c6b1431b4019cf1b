"""Grades submissions: the one way a submission flows through the project.

    load (submission.py) -> run in a sandboxed worker (runner.py, zygote.py, worker.py)
    -> raw outputs as plain data -> judged against the reference (judge.py, checks.py)
    -> a Result (results.py) -> written by reporters (reporters.py)

A `Grader` starts its worker templates once (imports, models, inputs: a few seconds) and runs the
reference once (or loads it from the cache); grading a submission after that costs a fraction of a
second.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from autograder import cases, paths, reference, sandbox
from autograder.checks import tests_of
from autograder.judge import judge
from autograder.results import Result, TestResult
from autograder.runner import Limits, Template, TemplateFailed, run_submission
from autograder.submission import Submission

# What the worker must never read: the grader's own code and checks, the reference solutions, the
# tests and their submissions, and the cache of reference outputs. The default model is readable.
HIDDEN = [paths.PACKAGE, paths.ROOT / "solutions", paths.ROOT / "tests", paths.ROOT / "benchmarks"]
READABLE = [paths.PACKAGE / "data" / "default_model"]


class IsolationUnavailable(RuntimeError):
    """Some protection could not be switched on, and grading was not allowed without it."""


class Grader:
    def __init__(
        self,
        *,
        workers: int = 1,
        functions: list[str] | None = None,
        limits: Limits | None = None,
        sandboxed: bool = True,
        require_isolation: bool = True,
        log_dir: Path | None = None,
    ):
        self.functions = functions or list(cases.EXERCISES)
        unknown = set(self.functions) - set(cases.EXERCISES)
        if unknown:
            raise ValueError(
                f"no exercise function named {', '.join(sorted(unknown))}; "
                f"the functions are {', '.join(cases.EXERCISES)}"
            )
        self.limits, self.sandboxed, self.log_dir = limits or Limits(), sandboxed, log_dir
        self.catalog, self.tensors = cases.catalog()
        self.workdir = Path(tempfile.mkdtemp(prefix="induction-grader-"))
        os.chmod(self.workdir, 0o700)
        self.templates: list[Template] = []
        try:
            self.templates = [self._start(i) for i in range(workers)]
            for template in self.templates:
                template.ready()
            self.protections_off = self._protections_off()
            if self.protections_off and require_isolation:
                raise IsolationUnavailable(
                    "refusing to grade without isolation; these protections are off:\n"
                    + "\n".join(f"  {name}: {why}" for name, why in self.protections_off.items())
                    + "\nRun on Linux with user namespaces and Landlock, or pass --allow-unsandboxed."
                )
            self.reference = reference.load_or_run(self.templates[0], self.catalog, self.tensors)
            self.request, self.request_tensors = self.reference.request(self.functions)
        except BaseException:
            self.close()
            raise

    def _start(self, index: int) -> Template:
        log = self.log_dir / f"worker-{index}.log" if self.log_dir else None
        hidden = HIDDEN + [paths.cache_dir()]
        return Template(
            self.catalog,
            self.tensors,
            sandbox=self.sandboxed,
            limits=self.limits,
            hidden=hidden,
            readable=READABLE,
            workdir=self.workdir,
            log=log,
        )

    def _protections_off(self) -> dict[str, str]:
        if not self.sandboxed:
            return {name: "switched off" for name in sandbox.PROTECTIONS if name != "limits"}
        off = dict(self.templates[0].off)
        probe = self.templates[0].run({"mode": "student", "functions": []}, "")  # a worker that runs nothing
        if probe.problem:
            raise TemplateFailed(f"a worker could not start: {probe.problem}\n{self.templates[0].log_tail()}")
        off.update(probe.off)  # what each worker could switch on for itself: PID namespace, Landlock, limits
        return off

    def grade(self, submission: Submission, worker: int = 0) -> Result:
        """Grades one submission on the given worker template (one grading thread per template)."""
        started = time.monotonic()
        if submission.error:
            tests = [
                TestResult(
                    t.title,
                    t.function,
                    0.0,
                    t.points,
                    f"The submission could not be loaded: {submission.error}.",
                )
                for f in self.functions
                for t in tests_of(f)
            ]
            return Result(submission.student, tests, error=submission.error)
        request = dict(self.request, filename=submission.filename)
        for attempt in range(2):
            try:
                raw = run_submission(self.templates[worker], request, submission.source, self.request_tensors)
                break
            except TemplateFailed:
                if attempt:
                    raise
                self.templates[worker].close()
                self.templates[worker] = self._start(worker).ready()
        tests = judge(raw, self.reference, self.functions)
        output = raw.output
        if raw.output_dropped:
            output += f"\n[... {raw.output_dropped} more bytes of output were dropped]"
        off = {**raw.off, **self.protections_off}
        return Result(submission.student, tests, output, time.monotonic() - started, off, raw=raw)

    def close(self) -> None:
        for template in self.templates:
            template.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
