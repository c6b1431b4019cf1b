"""Command line: `python -m autograder {demo,grade,check,nbgrader} ...` (see README.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder import cases, paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="the seed's report on a model, then grade the solutions and the stubs"
    )
    demo.add_argument(
        "--model", default="default", help="default (embedded, the default) or arena (downloaded)"
    )

    grade = commands.add_parser("grade", help="grade submissions: .py or .ipynb files, or folders of them")
    grade.add_argument("submissions", nargs="+", type=Path)
    where = grade.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--results-dir", type=Path, help="write DIR/<student>.json, gradebook.csv and grading.log"
    )
    where.add_argument("--results", type=Path, help="write the one submission's Gradescope results.json here")
    grade.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="parallel workers (default: cores)"
    )
    grade.add_argument("--force", action="store_true", help="regrade submissions that already have a result")
    grade.add_argument("--junit", type=Path, help="also write JUnit XML here")
    grade.add_argument(
        "--html", type=Path, metavar="DIR", help="also write DIR/<student>.html feedback pages"
    )
    grade.add_argument(
        "--fail-under",
        type=float,
        metavar="SCORE",
        help="exit with status 1 if any submission scores below SCORE",
    )
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    _common(grade)

    check = commands.add_parser("check", help="check your own work (default: exercises/induction_heads.py)")
    check.add_argument("file", nargs="?", type=Path, default=paths.EXERCISE)
    _common(check)

    course = commands.add_parser(
        "nbgrader", help="autograde an nbgrader course's submissions in the sandbox, into its gradebook"
    )
    course.add_argument(
        "course_dir", type=Path, metavar="COURSE_DIR", help="the folder of nbgrader_config.py"
    )
    course.add_argument("assignment", metavar="ASSIGNMENT")
    course.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="parallel workers (default: cores)"
    )
    course.add_argument(
        "--force", action="store_true", help="regrade and rewrite submissions already autograded"
    )
    _limits_options(course)

    args = parser.parse_args(argv)
    if args.command == "demo":
        from autograder.report import demo as run_demo

        return run_demo(args.model)
    try:
        if args.command == "nbgrader":
            return _nbgrader(args)
        return _grade(args) if args.command == "grade" else _check(args)
    except (ValueError, RuntimeError) as error:  # bad input, or isolation unavailable: say so, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        action="append",
        choices=list(cases.EXERCISES),
        metavar="FUNCTION",
        help="grade only this function (repeatable)",
    )
    _limits_options(parser)


def _limits_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-unsandboxed",
        action="store_true",
        help="grade even where an isolation mechanism is unavailable (not on Linux, say)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="time limit of each call of a student's function (default 10)",
    )
    parser.add_argument(
        "--memory",
        type=float,
        default=4.0,
        metavar="GIB",
        help="memory a submission may use, in GiB (default 4)",
    )


def _limits(args):
    from autograder.runner import Limits

    if args.timeout <= 0 or args.memory <= 0:
        raise ValueError("--timeout and --memory must be positive")
    return Limits(call_seconds=args.timeout, memory_bytes=int(args.memory * (1 << 30)))


def _grade(args) -> int:
    from autograder import reporters
    from autograder.batch import grade_class
    from autograder.grader import Grader
    from autograder.submission import find, load

    missing = [p for p in args.submissions if not p.exists()]
    if missing:
        raise ValueError(f"no such file or folder: {', '.join(map(str, missing))}")
    if args.results:
        found = find(args.submissions)
        if len(found) != 1:
            raise ValueError(
                f"--results takes one submission, got {len(found)}: use --results-dir for a class"
            )
        with Grader(
            functions=args.only, require_isolation=not args.allow_unsandboxed, limits=_limits(args)
        ) as grader:
            result = grader.grade(load(found[0]))
            if args.html:
                from autograder.html_report import write_html

                write_html(result, result.raw, grader.reference, args.html / f"{result.student}.html")
        result.write(args.results)
        results = [result]
        print(f"{result.student}: {result.score:g}/{result.max_score:g} -> {args.results}")
    else:
        batch = grade_class(
            args.submissions,
            args.results_dir,
            workers=args.workers,
            force=args.force,
            functions=args.only,
            require_isolation=not args.allow_unsandboxed,
            limits=_limits(args),
            progress=not args.no_progress and sys.stderr.isatty(),
            html_dir=args.html,
            on_result=None if sys.stderr.isatty() and not args.no_progress else _print_line,
        )
        results = batch.results
        print(reporters.summary(results))
        print(
            f"Graded {batch.graded}, kept {batch.skipped} earlier results; "
            f"results, gradebook.csv and grading.log in {args.results_dir}"
        )
    if args.junit:
        reporters.write_junit(results, args.junit)
    if args.fail_under is not None and any(r.score < args.fail_under for r in results):
        below = [r.student for r in results if r.score < args.fail_under]
        print(f"below {args.fail_under:g}: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


def _print_line(result) -> None:
    print(f"{result.student}: {result.score:g}/{result.max_score:g}", flush=True)


def _nbgrader(args) -> int:
    from autograder import reporters
    from autograder.nbgrader_autograde import RESULTS, autograde

    outcome = autograde(
        args.course_dir,
        args.assignment,
        workers=args.workers,
        force=args.force,
        require_isolation=not args.allow_unsandboxed,
        limits=_limits(args),
        progress=sys.stderr.isatty(),
    )
    if outcome.recorded:
        print(reporters.summary(list(outcome.recorded.values())))
    for key, result in sorted(outcome.recorded.items()):
        print(
            f"{key}: {result.score:g}/{result.max_score:g}" + (f" ({result.error})" if result.error else "")
        )
    print(
        f"Recorded {len(outcome.recorded)} notebooks in the gradebook and autograded/; "
        f"the grader's results are in {args.course_dir / RESULTS / args.assignment}"
    )
    if outcome.skipped:
        print(f"Already autograded, left as they were (--force to redo): {', '.join(outcome.skipped)}")
    if outcome.failed:
        print(f"nbgrader could not process (see its log above): {', '.join(outcome.failed)}", file=sys.stderr)
        return 1
    return 0


def _check(args) -> int:
    from autograder import reporters
    from autograder.grader import Grader
    from autograder.submission import load

    if not args.file.exists():
        raise ValueError(f"no such file: {args.file}")
    with Grader(functions=args.only, require_isolation=False, limits=_limits(args)) as grader:
        result = grader.grade(load(args.file))
    reporters.print_result(result)
    return 0
