"""`grade` and `nbgrader`: the instructor's commands, from checked arguments to reports and exit status."""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.integrations.arguments import (
    FAILED,
    INTERRUPTED,
    NOT_GRADED,
    OK,
    UsageError,
    limits,
    pack_of,
    secret_of,
)


def _folder_for_output(path: Path | None, flag: str) -> None:
    if path is not None and path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path}: that is a file; give a folder (it is made if missing)")


def _file_for_output(path: Path | None, flag: str) -> None:
    if path is not None and path.is_dir():
        raise UsageError(f"{flag} {path}: that is a folder; give a file name")
    if path is not None and not path.parent.exists():
        raise UsageError(f"{flag} {path}: the folder {path.parent} does not exist")


def check_outputs(args) -> None:
    if args.results and args.results_dir:
        raise UsageError("give --results FILE (one submission) or --results-dir DIR (a class), not both")
    if not args.results and not args.results_dir:
        raise UsageError(
            "say where the results go: --results-dir DIR (a class) or --results FILE (one submission)"
        )
    _folder_for_output(args.results_dir, "--results-dir")
    _file_for_output(args.results, "--results")
    _folder_for_output(args.html, "--html")
    _file_for_output(args.junit, "--junit")


def grade(args) -> int:
    from autograder.engine.submission import find
    from autograder.output import reporters

    check_outputs(args)
    missing = [p for p in args.submissions if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(map(str, missing))}")
    found = find(args.submissions)
    if not found:
        raise UsageError(
            f"no submissions (.py, .ipynb or folders) in {', '.join(map(str, args.submissions))}"
        )
    pack = pack_of(args, found[0] if len(found) == 1 else None)
    top = sum(t.points for t in pack.tests)
    if args.fail_under is not None and args.fail_under > top:
        raise UsageError(
            f"--fail-under {args.fail_under:g}: give a score between 0 and {top:g}, {pack.name}'s maximum"
        )
    functions = args.only
    if functions:
        unknown = [f for f in functions if f not in pack.names]
        if unknown:
            raise UsageError(f"--only {unknown[0]}: {pack.name} has no such function")
    secret = secret_of(args)
    if args.results:
        return _grade_one(args, pack, found, secret)
    from autograder.engine.batch import grade_class

    progress = not args.no_progress and not args.quiet and sys.stderr.isatty()
    batch = grade_class(
        args.submissions,
        args.results_dir,
        pack,
        secret=secret,
        workers=args.workers,
        force=args.force,
        functions=functions,
        require_isolation=not args.allow_unsandboxed,
        limits=limits(args),
        progress=progress,
        html_dir=args.html,
        pool=_pool(args),
        on_result=None if progress or args.quiet else _print_line,
    )
    for line in batch.duplicates:  # said even with -q: the instructor must say which is whose
        print(f"warning: {line}", file=sys.stderr)
    if not args.quiet:
        print(reporters.summary(batch.results, batch.why_not_graded or len(batch.not_graded)))
        print(f"Inputs: {_inputs_in_words(batch.inputs)}")
        if batch.regraded:
            print(
                f"Graded again ({len(batch.regraded)}), their earlier results no longer current: "
                + "; ".join(f"{student} ({why})" for student, why in sorted(batch.regraded.items()))
            )
        print(
            f"Graded {batch.graded}, kept {batch.skipped} earlier results; "
            f"results, gradebook.csv and grading.log in {args.results_dir}"
            + (f"; pages in {args.html}/index.html" if args.html else "")
        )
    if args.junit:
        reporters.write_junit(batch.results, args.junit)
    if args.summary:
        reporters.append_markdown(batch.results, args.summary)
    if batch.interrupted:
        print(
            f"interrupted: {len(batch.results)} results kept; run the same command again to grade the rest",
            file=sys.stderr,
        )
        return INTERRUPTED
    if batch.not_graded:
        print(
            f"NOT GRADED (a fault of the grader, see grading.log): {', '.join(batch.not_graded)}",
            file=sys.stderr,
        )
        return NOT_GRADED
    return _fail_under(args, batch.results)


def _pool(args):
    """Where a class is graded: a Dask cluster with --scheduler, else this machine (None)."""
    scheduler = getattr(args, "scheduler", None)
    if not scheduler:
        return None
    from autograder.integrations.cluster import dask_pool

    return dask_pool(scheduler)


def _grade_one(args, pack, found: list[Path], secret: str | None) -> int:
    from autograder.engine.grader import Grader
    from autograder.engine.submission import load
    from autograder.output import reporters

    if len(found) != 1:
        raise UsageError(f"--results takes one submission, got {len(found)}: use --results-dir for a class")
    with Grader(
        pack,
        secret=secret,
        functions=args.only,
        require_isolation=not args.allow_unsandboxed,
        limits=limits(args),
    ) as grader:
        result = grader.grade(load(found[0], prefer=pack.name))
        result.write(args.results)  # first: a failure writing the page must not cost the results
        if args.html:
            from autograder.output.html import write_html, write_index

            write_html(result, grader, args.html / f"{result.student}.html")
            write_index([result], args.html)
    if args.junit:
        reporters.write_junit([result], args.junit)
    if args.summary:
        reporters.append_markdown([result], args.summary)
    if not args.quiet:
        print(f"{result.student}: {result.score:g}/{result.max_score:g} ({result.status}) -> {args.results}")
        print(f"Inputs: {_inputs_in_words(result.inputs)}")
    return _fail_under(args, [result])


def _inputs_in_words(label: str) -> str:
    if label == "public":
        return "public (--public: every student can look up their expected answers)"
    return f"drawn from the course secret ({label})"


def _fail_under(args, results) -> int:
    if args.fail_under is not None and any(r.score < args.fail_under for r in results):
        below = [r.student for r in results if r.score < args.fail_under]
        print(f"below {args.fail_under:g}: {', '.join(below)}", file=sys.stderr)
        return FAILED
    return OK


def _print_line(result) -> None:
    print(f"{result.student}: {result.score:g}/{result.max_score:g} ({result.status})", flush=True)


def nbgrader(args) -> int:
    from autograder.integrations.nbgrader import RESULTS, autograde
    from autograder.output import reporters

    secret = secret_of(args)
    outcome = autograde(
        args.course_dir,
        args.assignment,
        pack_of(args),
        secret=secret,
        workers=args.workers,
        force=args.force,
        require_isolation=not args.allow_unsandboxed,
        limits=limits(args),
        progress=sys.stderr.isatty() and not args.quiet,
        verbose=args.verbose,
    )
    if not args.quiet:
        if outcome.recorded:
            print(reporters.summary(list(outcome.recorded.values())))
        for key, result in sorted(outcome.recorded.items()):
            print(f"{key}: {result.score:g}/{result.max_score:g} ({result.status})")
        print(
            f"Recorded {len(outcome.recorded)} notebooks in the gradebook and autograded/; "
            f"the grader's results are in {args.course_dir / RESULTS / args.assignment}"
        )
        from autograder.engine.secret import label

        print(f"Inputs: {_inputs_in_words(label(secret))}")
        if outcome.skipped:
            print(f"Already autograded, left as they were (--force to redo): {', '.join(outcome.skipped)}")
    for key, reason in sorted(outcome.zeroed.items()):  # said even with -q
        print(f"recorded as zero: {key}: {reason}", file=sys.stderr)
    if outcome.failed:
        print(
            "NOT RECORDED (see the log above): "
            + "; ".join(f"{key} ({outcome.why_failed.get(key, 'unknown')})" for key in outcome.failed),
            file=sys.stderr,
        )
        return NOT_GRADED
    return OK
