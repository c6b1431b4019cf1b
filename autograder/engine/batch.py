"""Grading a class: every submission in parallel, each result written as soon as it is known.

A result file is written atomically, and it records everything it was graded with (the submission's
digest, the pack's digest, the inputs, the grader's version, the limits and the functions), so a batch
stopped at any moment (Ctrl-C, or even SIGKILL) loses nothing already graded: run again, and only the
submissions without a current result are graded (`force` regrades all); a result graded with anything
else is graded again, and the run says why.

Two submissions with the same student id (a folder named after a classmate, say) are both graded,
apart, under ids of their own (`alice~1`, `alice~2`), and the run says so: one student's files never
stop the class. The gradebook and the log
are rebuilt at the end of every run, an interrupted one included, from the results present.

Where the submissions are graded is a pool: by default the local one (a grading thread per worker
template on this machine); or one the caller hands in (`Pool`), such as a Dask cluster's
(`integrations/cluster.py`), which the engine does not know of.
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from autograder.engine import secret as secrets
from autograder.engine.grader import Grader, graded_with, judge_on_one_blas_thread
from autograder.engine.pack import Pack
from autograder.engine.runner import Limits
from autograder.engine.submission import Submission, find, load
from autograder.output import analytics, reporters
from autograder.output.results import Result
from autograder.output.text import ci_safe

LOG = "grading.log"
GRADEBOOK = "gradebook.csv"
TEST_GRADEBOOK = "tests.csv"

Finish = Callable[[Submission, Result, object], None]  # writes one result (the object: its grader)
Failed = Callable[[Submission, BaseException], None]  # logs a fault of the grader
Advance = Callable[[str, "Result | None"], None]  # moves the progress bar on by one student


class Pool(Protocol):
    """Grades `todo` somewhere other than this machine's templates, calling `finish` (or `failed`),
    then `advance` and `on_result`, for each submission as its result arrives."""

    def __call__(
        self,
        todo: list[Submission],
        pack: Pack,
        *,
        secret: str | None,
        functions: list[str] | None,
        limits: Limits | None,
        require_isolation: bool,
        html_dir: Path | None,
        finish: Finish,
        failed: Failed,
        advance: Advance,
        on_result: Callable[[Result], None] | None,
    ) -> None: ...


@dataclass
class Batch:
    results: list[Result]  # every submission's, whether graded now or before
    graded: int  # how many were graded in this run
    skipped: int  # how many already had a current result
    not_graded: list[str] = field(default_factory=list)  # students the grader failed (its fault, logged)
    interrupted: bool = False
    inputs: str = ""  # which inputs: "public" or "secret:<digest>"
    regraded: dict[str, str] = field(default_factory=dict)  # student -> why an earlier result was not kept
    duplicates: list[str] = field(default_factory=list)  # what was said of students with two submissions
    why_not_graded: dict[str, str] = field(default_factory=dict)  # student -> the reason, in a line


def current(path: Path, submission: Submission, expected: dict | None = None) -> Result | None:
    """The result already on disk for this exact submission, graded with `expected` (see
    `grader.graded_with`), if any."""
    return _earlier(path, submission, expected or {})[0]


def _earlier(path: Path, submission: Submission, expected: dict) -> tuple[Result | None, str]:
    """The earlier result if it is current; else None and why not ("" where there is none)."""
    if not path.exists():
        return None, ""
    try:
        result = Result.read(path)
    except (OSError, ValueError, KeyError, TypeError):
        return None, "its earlier result cannot be read"
    if result.submission_digest != submission.digest:
        return None, "the submission changed"
    had = result.graded_with
    for key, what in (
        ("inputs", "on other inputs"),
        ("pack", "with another version of the exercise"),
        ("grader", "by another version of the grader"),
        ("limits", "with other limits"),
        ("functions", "on other functions"),
    ):
        if key in expected and had.get(key) != expected[key]:
            if key == "inputs":
                return None, f"graded on other inputs ({had.get('inputs') or 'unknown'}, now {expected[key]})"
            return None, f"graded {what}"
    return result, ""


def grade_class(paths: list[Path], results_dir: Path, pack: Pack, **options) -> Batch:
    """Grades the submissions found in `paths` (see `submission.find`); options as `grade_submissions`."""
    return grade_submissions([load(p, prefer=pack.name) for p in find(paths)], results_dir, pack, **options)


def grade_submissions(
    submissions: list[Submission],
    results_dir: Path,
    pack: Pack,
    *,
    secret: str | None = None,
    workers: int = 2,
    force: bool = False,
    functions: list[str] | None = None,
    require_isolation: bool = True,
    progress: bool = True,
    html_dir: Path | None = None,
    limits: Limits | None = None,
    pool: Pool | None = None,
    on_result=None,
) -> Batch:
    judge_on_one_blas_thread()  # the workers have the cores
    results_dir.mkdir(parents=True, exist_ok=True)
    duplicates = _apart(submissions)
    inputs = secrets.label(secret)
    expected = graded_with(pack, inputs, limits or Limits(), functions)
    done: dict[str, Result] = {}
    regraded: dict[str, str] = {}
    todo = []
    for submission in submissions:
        previous, why = (
            (None, "")
            if force
            else _earlier(results_dir / f"{submission.student}.json", submission, expected)
        )
        if previous and html_dir and not (html_dir / f"{submission.student}.html").exists():
            previous, why = None, "its feedback page is missing"
        if previous:
            done[submission.student] = previous
        else:
            todo.append(submission)
            if why:
                regraded[submission.student] = why
    log = open(results_dir / LOG, "a")
    write_log = _logger(log)
    write_log(
        f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}: {len(todo)} to grade, {len(done)} already graded; "
        f"inputs: {inputs}\n"
    )
    for student, why in regraded.items():
        write_log(f"{student}: graded again: {why}\n")
    for line in duplicates:
        write_log(line + "\n")
    not_graded: list[str] = []
    why_not: dict[str, str] = {}
    interrupted = False
    lock = threading.Lock()

    def finish(submission: Submission, result: Result, grader) -> None:
        """Writes one result: its page, then its JSON (atomically), then its log line."""
        if html_dir:
            from autograder.output.html import write_html

            write_html(result, grader, html_dir / f"{submission.student}.html")
        result.raw = None  # the raw values are not kept past the report
        result.write(results_dir / f"{submission.student}.json")
        with lock:
            write_log(_log_line(result))
            done[submission.student] = result

    def failed(submission: Submission, error: BaseException) -> None:
        with lock:
            write_log(f"{submission.student}: NOT GRADED, grader error: {error!r}\n")
            not_graded.append(submission.student)
            why_not[submission.student] = "grader error: " + (str(error).splitlines() or [repr(error)])[0]

    grader = None
    try:
        with _interruptible(), _progress(progress, len(todo)) as advance:
            if todo and pool:
                pool(
                    todo,
                    pack,
                    secret=secret,
                    functions=functions,
                    limits=limits,
                    require_isolation=require_isolation,
                    html_dir=html_dir,
                    finish=finish,
                    failed=failed,
                    advance=advance,
                    on_result=on_result,
                )
            elif todo:
                grader = Grader(
                    pack,
                    secret=secret,
                    workers=min(workers, len(todo)),
                    functions=functions,
                    require_isolation=require_isolation,
                    limits=limits,
                )
                _local_pool(grader, todo, finish, failed, advance, on_result)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if grader is not None:
            grader.close()
        log.close()
        results = [done[s.student] for s in submissions if s.student in done]
        reporters.write_gradebook(results, results_dir / GRADEBOOK)
        reporters.write_test_gradebook(results, results_dir / TEST_GRADEBOOK)
        if html_dir and results:
            from autograder.output.html import write_index

            write_index(results, html_dir)
        analytics.write_after_batch(results_dir, results, html_dir, submissions, pack.names, pack.exercise)
    return Batch(
        results,
        graded=sum(1 for s in todo if s.student in done),
        skipped=len(submissions) - len(todo),
        not_graded=not_graded,
        interrupted=interrupted,
        inputs=inputs,
        regraded=regraded,
        duplicates=duplicates,
        why_not_graded=why_not,
    )


def _local_pool(grader: Grader, todo: list[Submission], finish, failed, advance, on_result) -> None:
    """A grading thread per worker template; Ctrl-C stops at once (the templates are closed, which
    ends the units running in them) and what is done is kept."""
    free: queue.Queue[int] = queue.Queue()
    for index in range(len(grader.templates)):
        free.put(index)
    stopping = threading.Event()

    def grade(submission: Submission) -> Result | None:
        if stopping.is_set():
            return None
        index = free.get()
        try:
            result = grader.grade(submission, index)
        finally:
            free.put(index)
        finish(submission, result, grader)
        return result

    pool = ThreadPoolExecutor(len(grader.templates))
    futures = {pool.submit(grade, s): s for s in todo}
    try:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                submission = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # a fault of the grader: logged, not written as a score
                    failed(submission, error)
                    advance(submission.student, None)
                    continue
                if result is not None:
                    advance(submission.student, result)
                    if on_result:
                        on_result(result)
    except KeyboardInterrupt:
        stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        grader.close()  # ends the units under way; their submissions are graded on the next run
        raise
    pool.shutdown(wait=True)


class _interruptible:
    """SIGTERM stops a batch as Ctrl-C does (in the main thread only, where signals are handled)."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _apart(submissions: list[Submission]) -> list[str]:
    """Gives each of several submissions with one student id an id of its own (`alice~1`, `alice~2`,
    in the order found, none of them the plain id: which is whose is for the instructor to say), and
    returns a line for each such id."""
    by_id: dict[str, list[Submission]] = {}
    for submission in submissions:
        by_id.setdefault(submission.student, []).append(submission)
    taken = set(by_id)
    said = []
    for student, same in by_id.items():
        if len(same) < 2:
            continue
        names = []
        for number, submission in enumerate(same, 1):
            new = f"{student}~{number}"
            while new in taken:
                new += "~"
            taken.add(new)
            submission.student = new
            names.append(f"{submission.path} as {new}")
        said.append(
            f"{student}: {len(same)} submissions with this id, graded apart ({'; '.join(names)}); "
            "check which is the student's"
        )
    return said


def _logger(log):
    def write(text: str) -> None:
        log.write(ci_safe(text))
        log.flush()

    return write


def _log_line(result: Result) -> str:
    notes = [] if result.status == "graded" else [result.status]
    if result.reason():
        notes.append(result.reason())
    if result.protections_off:
        notes.append("protections off: " + ", ".join(result.protections_off))
    return (
        f"{result.student}: {result.score:g}/{result.max_score:g} in {result.seconds:.2f} s"
        + ("; " + "; ".join(notes) if notes else "")
        + "\n"
    )


class _progress:
    """A progress bar with an ETA on a terminal (rich), nothing otherwise."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total = enabled and total > 0, total

    def __enter__(self):
        if not self.enabled:
            return lambda student, result: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
        )
        self.bar.start()
        task = self.bar.add_task("", total=self.total)

        def advance(student: str, result: Result | None) -> None:
            from autograder.output.text import terminal

            score = f"{result.score:g}" if result else "not graded"
            self.bar.update(task, advance=1, description=terminal(f"{student}: {score}"))

        return advance

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.stop()
