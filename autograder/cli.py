"""Command line: `python -m autograder {demo,grade,check} ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import cases, paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo",
        help="the seed's report on the default model, then grade the solutions and the untouched stubs",
    )
    demo.add_argument("--model", default="default", help="default (embedded) or arena (downloaded)")

    grade = commands.add_parser("grade", help="grade submissions (.py, .ipynb, or folders of them)")
    grade.add_argument("submissions", nargs="+", type=Path)
    where = grade.add_mutually_exclusive_group(required=True)
    where.add_argument("--results-dir", type=Path, help="write DIR/<student>.json for each submission")
    where.add_argument("--results", type=Path, help="write one submission's results to FILE")
    _common(grade)

    check = commands.add_parser("check", help="check your own work")
    check.add_argument("file", nargs="?", type=Path, default=paths.EXERCISE)
    _common(check)

    args = parser.parse_args(argv)
    if args.command == "demo":
        from autograder.report import demo as run_demo

        return run_demo(args.model)
    if args.command == "grade":
        return _grade(args)
    return _check(args)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        action="append",
        choices=list(cases.EXERCISES),
        metavar="FUNCTION",
        help="grade only this function (repeatable)",
    )
    parser.add_argument("--workers", type=int, default=1, help="parallel workers (default 1)")
    parser.add_argument(
        "--allow-unsandboxed",
        action="store_true",
        help="grade even where some isolation mechanism is unavailable",
    )


def _grade(args) -> int:
    from autograder.grader import Grader
    from autograder.submission import find, load

    found = find(args.submissions)
    if args.results and len(found) != 1:
        print(f"--results takes one submission, got {len(found)}: use --results-dir", file=sys.stderr)
        return 2
    with Grader(workers=1, functions=args.only, require_isolation=not args.allow_unsandboxed) as grader:
        for path in found:
            result = grader.grade(load(path))
            target = args.results or args.results_dir / f"{result.student}.json"
            result.write(target)
            print(f"{result.student}: {result.score:g}/{result.max_score:g} -> {target}")
    return 0


def _check(args) -> int:
    from autograder.grader import Grader
    from autograder.submission import load

    with Grader(functions=args.only, require_isolation=False) as grader:
        result = grader.grade(load(args.file))
    for test in result.tests:
        mark = "PASS" if test.passed else "FAIL"
        print(f"{mark} {test.score:g}/{test.max_score:g}  {test.name}")
        if not test.passed:
            print("     " + test.output.replace("\n", "\n     "))
    print(f"\nScore: {result.score:g}/{result.max_score:g}")
    return 0
