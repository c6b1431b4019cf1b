"""Grading a class: every submission in parallel, each result written as soon as it is known.

A result file is written atomically, and it records the hash of the submission it grades, so a batch
killed at any moment (even with SIGKILL) loses nothing already graded: run again, and only the
submissions without a current result are graded (`force` regrades all). The gradebook and the log
are rebuilt at the end of every run from the result files present.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from autograder import reporters
from autograder.grader import Grader
from autograder.results import Result
from autograder.runner import Limits
from autograder.submission import Submission, find, load

LOG = "grading.log"
GRADEBOOK = "gradebook.csv"


@dataclass
class Batch:
    results: list[Result]  # every submission's, whether graded now or before
    graded: int  # how many were graded in this run
    skipped: int  # how many already had a current result


def digest(submission: Submission) -> str:
    return hashlib.sha256(submission.source.encode() or submission.error.encode()).hexdigest()


def current(path: Path, submission: Submission) -> Result | None:
    """The result already on disk for this exact submission, if any."""
    try:
        result = Result.read(path)
    except (OSError, ValueError, KeyError):
        return None
    return result if result.submission_digest == digest(submission) else None


def grade_class(paths: list[Path], results_dir: Path, **options) -> Batch:
    """Grades the submissions found in `paths` (see `submission.find`); options as `grade_submissions`."""
    return grade_submissions([load(p) for p in find(paths)], results_dir, **options)


def grade_submissions(
    submissions: list[Submission],
    results_dir: Path,
    *,
    workers: int = 2,
    force: bool = False,
    functions: list[str] | None = None,
    require_isolation: bool = True,
    progress: bool = True,
    html_dir: Path | None = None,
    limits: Limits | None = None,
    on_result=None,
) -> Batch:
    results_dir.mkdir(parents=True, exist_ok=True)
    _refuse_duplicates(submissions)
    done: dict[str, Result] = {}
    todo = []
    for submission in submissions:
        previous = None if force else current(results_dir / f"{submission.student}.json", submission)
        if previous and html_dir and not (html_dir / f"{submission.student}.html").exists():
            previous = None  # its feedback page is missing: grade again to make it
        if previous:
            done[submission.student] = previous
        else:
            todo.append(submission)
    log = open(results_dir / LOG, "a")
    log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}: {len(todo)} to grade, {len(done)} already graded\n")
    log.flush()
    if todo:
        with Grader(
            workers=min(workers, len(todo)),
            functions=functions,
            require_isolation=require_isolation,
            limits=limits,
        ) as grader:
            free: queue.Queue[int] = queue.Queue()
            for index in range(len(grader.templates)):
                free.put(index)
            lock = threading.Lock()

            def grade(submission: Submission) -> Result:
                index = free.get()
                try:
                    result = grader.grade(submission, index)
                finally:
                    free.put(index)
                result.submission_digest = digest(submission)
                if html_dir:
                    from autograder.html_report import write_html

                    write_html(result, result.raw, grader.reference, html_dir / f"{submission.student}.html")
                result.write(results_dir / f"{submission.student}.json")
                with lock:
                    log.write(_log_line(submission, result))
                    log.flush()
                return result

            with ThreadPoolExecutor(len(grader.templates)) as pool, _progress(progress, len(todo)) as advance:
                futures = {pool.submit(grade, s): s for s in todo}
                for future in as_completed(futures):
                    submission = futures[future]
                    try:
                        result = future.result()
                    except Exception as error:  # a fault of the grader: logged, not written as a score
                        log.write(f"{submission.student}: NOT GRADED, grader error: {error!r}\n")
                        log.flush()
                        advance(submission.student, None)
                        continue
                    done[submission.student] = result
                    advance(submission.student, result)
                    if on_result:
                        on_result(result)
    log.close()
    results = [done[s.student] for s in submissions if s.student in done]
    reporters.write_gradebook(results, results_dir / GRADEBOOK)
    return Batch(results, graded=len(todo), skipped=len(submissions) - len(todo))


def _refuse_duplicates(submissions: list[Submission]) -> None:
    seen: dict[str, Path] = {}
    for submission in submissions:
        if submission.student in seen:
            raise ValueError(
                f"two submissions for student {submission.student!r}: {seen[submission.student]} and "
                f"{submission.path}; keep one file per student (the id is the file stem)"
            )
        seen[submission.student] = submission.path


def _log_line(submission: Submission, result: Result) -> str:
    notes = []
    if result.error:
        notes.append(f"could not be loaded: {result.error}")
    crashes = {t.function for t in result.tests if "the worker" in t.output or "took longer" in t.output}
    if crashes:
        notes.append("crashed or timed out in " + ", ".join(sorted(crashes)))
    if result.protections_off:
        notes.append("protections off: " + ", ".join(result.protections_off))
    return (
        f"{submission.student}: {result.score:g}/{result.max_score:g} in {result.seconds:.2f} s"
        + ("; " + "; ".join(notes) if notes else "")
        + "\n"
    )


class _progress:
    """A progress bar with an ETA on a terminal (rich), nothing otherwise."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total = enabled, total

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
            score = f"{result.score:g}" if result else "not graded"
            self.bar.update(task, advance=1, description=f"{student}: {score}")

        return advance

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.stop()
