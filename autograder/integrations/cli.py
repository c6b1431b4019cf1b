"""Command line: `python -m autograder COMMAND ...` (also installed as `autograder`); see README.md.

Exit status: 0 done (and every test passed, for `check`); 1 tests failed or a score was below
`--fail-under`; 2 bad arguments or input, with a one-line error; 3 some submission could not be
graded (a fault of the grader: see grading.log); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

OK, FAILED, USAGE, NOT_GRADED, INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(ValueError):
    """Bad arguments or input: said in one line, exit status 2."""


def main(argv: list[str] | None = None) -> int:
    from autograder.integrations import config

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = config.load(args.config)
        for key, value in settings.items():  # the course's settings, where no flag was given
            if getattr(args, key, None) is None and key in vars(args):
                setattr(args, key, Path(value) if key in config.PATHS else value)
        _defaults(args)
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except (UsageError, config.ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE
    except (ValueError, RuntimeError, OSError) as error:  # bad input, or isolation unavailable: no traceback
        print(f"error: {error}", file=sys.stderr)
        return USAGE


def _parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("induction-grader")
    except PackageNotFoundError:
        release = "unknown"
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"autograder {release}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="the course's settings (default: ./autograder.toml)")
    common.add_argument(
        "-q", "--quiet", action="store_true", help="print only what matters (errors, the score)"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="every test and every message in full")
    common.add_argument(
        "--exercise", metavar="NAME", help="the exercise (pack) to grade with; see `exercises`"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="the exercise's report on a model, then grade the reference and the stubs",
    )
    demo.add_argument("--model", default="default", help="default (embedded) or arena (downloaded)")

    check = commands.add_parser(
        "check", parents=[common], help="check your own work: a .py file or a notebook"
    )
    check.add_argument("file", nargs="?", type=Path, help="default: exercises/NAME.py or NAME.py here")
    check.add_argument(
        "--only", action="append", metavar="FUNCTION", help="check only this function (repeatable)"
    )
    check.add_argument(
        "--summary", type=Path, metavar="FILE", help="also append a Markdown summary here (CI)"
    )
    _limits(check)

    grade = commands.add_parser(
        "grade", parents=[common], help="grade submissions: files, or folders of them"
    )
    grade.add_argument("submissions", nargs="+", type=Path)
    grade.add_argument(
        "--results-dir", type=Path, help="write DIR/<student>.json, gradebook.csv and grading.log"
    )
    grade.add_argument("--results", type=Path, help="write one submission's Gradescope results.json here")
    grade.add_argument("--workers", type=int, help="parallel workers (default: the number of cores)")
    grade.add_argument("--force", action="store_true", help="regrade submissions that already have a result")
    grade.add_argument("--junit", type=Path, help="also write JUnit XML here")
    grade.add_argument(
        "--html", type=Path, metavar="DIR", help="also write DIR/<student>.html and DIR/index.html"
    )
    grade.add_argument(
        "--fail-under", type=float, metavar="SCORE", help="exit with status 1 if any score is below SCORE"
    )
    grade.add_argument("--secret", help="draw the graded inputs from this secret (also $AUTOGRADER_SECRET)")
    grade.add_argument("--secret-file", type=Path, help="the secret, read from a file")
    grade.add_argument(
        "--scheduler", metavar="ADDRESS", help="grade on this Dask scheduler (tcp://host:8786)"
    )
    grade.add_argument(
        "--summary", type=Path, metavar="FILE", help="also append a Markdown summary here (CI)"
    )
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument(
        "--only", action="append", metavar="FUNCTION", help="grade only this function (repeatable)"
    )
    _limits(grade)

    course = commands.add_parser(
        "nbgrader", parents=[common], help="autograde an nbgrader course's submissions in the sandbox"
    )
    course.add_argument(
        "course_dir", type=Path, metavar="COURSE_DIR", help="the folder of nbgrader_config.py"
    )
    course.add_argument("assignment", metavar="ASSIGNMENT")
    course.add_argument("--workers", type=int, help="parallel workers (default: the number of cores)")
    course.add_argument("--force", action="store_true", help="regrade submissions already autograded")
    course.add_argument("--secret", help="draw the graded inputs from this secret")
    course.add_argument("--secret-file", type=Path, help="the secret, read from a file")
    _limits(course)

    commands.add_parser("exercises", parents=[common], help="list the installed exercises")
    build = commands.add_parser(
        "build", parents=[common], help="write an exercise's student files from its source"
    )
    build.add_argument("--all", action="store_true", help="every installed exercise")

    release = commands.add_parser("release", parents=[common], help="write the folder students receive")
    release.add_argument("out", type=Path, metavar="DIR")

    bundle = commands.add_parser("gradescope-zip", parents=[common], help="write a Gradescope autograder zip")
    bundle.add_argument("out", type=Path, metavar="OUT.zip")
    bundle.add_argument("--secret", help="the secret the graded inputs are drawn from")
    bundle.add_argument("--secret-file", type=Path, help="the secret, read from a file")

    _class_parser(commands, common)

    new = commands.add_parser(
        "new-exercise", parents=[common], help="write a new exercise pack, as a package"
    )
    new.add_argument("name", metavar="NAME")
    new.add_argument("out", type=Path, metavar="DIR")
    return parser


def _limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-unsandboxed",
        action="store_true",
        default=None,
        help="grade even where some isolation mechanism is unavailable (it says which)",
    )
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="time limit of each call (default 10)"
    )
    parser.add_argument("--memory", type=float, metavar="GIB", help="memory a submission may use (default 4)")


def _defaults(args) -> None:
    """Checks the arguments before any work starts: each problem in one line."""
    if getattr(args, "workers", None) is None and hasattr(args, "workers"):
        args.workers = os.cpu_count() or 1
    if getattr(args, "workers", 1) is not None and getattr(args, "workers", 1) < 1:
        raise UsageError(f"--workers {args.workers}: give at least 1")
    for name, default in (("timeout", 10.0), ("memory", 4.0)):
        if hasattr(args, name):
            value = getattr(args, name)
            if value is None:
                setattr(args, name, default)
            elif value <= 0:
                raise UsageError(f"--{name} {value:g}: give a positive number")
    if getattr(args, "fail_under", None) is not None and args.fail_under < 0:
        raise UsageError(f"--fail-under {args.fail_under:g}: give a score between 0 and the maximum")
    if getattr(args, "quiet", False) and getattr(args, "verbose", False):
        raise UsageError("-q and -v cannot be given together")


def limits(args):
    from autograder.engine.runner import Limits

    return Limits(call_seconds=args.timeout, memory_bytes=int(args.memory * (1 << 30)))


def pack_of(args, path: Path | None = None):
    from autograder.engine import pack

    try:
        return pack.get(args.exercise) if args.exercise else pack.for_file(path)
    except pack.UnknownExercise as error:
        raise UsageError(str(error)) from None


def secret_of(args) -> str | None:
    """--secret, else --secret-file's contents, else $AUTOGRADER_SECRET; None for the public inputs."""
    if getattr(args, "secret", None) and getattr(args, "secret_file", None):
        raise UsageError("give --secret or --secret-file, not both")
    if getattr(args, "secret", None):
        return args.secret
    path = getattr(args, "secret_file", None)
    if path:
        try:
            secret = Path(path).read_text().strip()
        except OSError as error:
            raise UsageError(f"cannot read the secret file {path}: {error.strerror}") from None
        if not secret:
            raise UsageError(f"the secret file {path} is empty")
        return secret
    return os.environ.get("AUTOGRADER_SECRET") or None


def _functions(args, pack) -> list[str] | None:
    unknown = [f for f in args.only or [] if f not in pack.names]
    if unknown:
        raise UsageError(
            f"--only {unknown[0]}: {pack.name} has no such function; "
            f"its functions are {', '.join(pack.names)}"
        )
    return args.only


def _console(args):
    from rich.console import Console

    plain = bool(os.environ.get("NO_COLOR"))  # no colour, and no other style either
    return Console(highlight=False, color_system=None if plain else "auto", quiet=args.quiet)


# --- commands ------------------------------------------------------------------------------------


def _demo(args) -> int:
    import time

    from autograder.engine.grader import Grader
    from autograder.engine.submission import load

    pack = pack_of(args)
    if not pack.solution.exists():
        raise UsageError(
            f"the demo grades the reference solution, and {pack.solution.name} is not here (a release?)"
        )
    started = time.monotonic()
    if pack.demo:
        print("\n".join(pack.demo(pack, args.model)))
        print(f"({time.monotonic() - started:.1f} s)\n")
    started = time.monotonic()
    with Grader(pack, require_isolation=False) as grader:
        off = grader.protections_off
        isolation = "all on" if not off else "off: " + ", ".join(off)
        print(f"Grader ready in {time.monotonic() - started:.1f} s (isolation: {isolation})")
        for label, path in (
            ("reference solutions", pack.solution),
            ("untouched exercise stubs", pack.exercise),
        ):
            result = grader.grade(load(path, prefer=pack.name))
            shown = os.path.relpath(path)
            print(f"  {label:26} {shown}: {result.score:g}/{result.max_score:g} ({result.seconds:.2f} s)")
    return OK


def _check(args) -> int:
    from autograder.engine.grader import Grader
    from autograder.engine.submission import load
    from autograder.output import reporters

    path = args.file or _exercise_here(args)
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    pack = pack_of(args, path)
    submission = load(path, prefer=pack.name)
    with Grader(
        pack, functions=_functions(args, pack), require_isolation=False, limits=limits(args)
    ) as grader:
        result = grader.grade(submission)
    console = _console(args)
    if args.quiet:
        print(f"{result.student}: {result.score:g}/{result.max_score:g} ({result.status})")
    else:
        reporters.print_result(result, console, verbose=args.verbose)
    if args.summary:
        reporters.append_markdown([result], args.summary)
    return OK if result.score >= result.max_score else FAILED


def _exercise_here(args) -> Path:
    """The file `check` grades when given none: the exercise's file in exercises/ or here."""
    from autograder.engine import pack as packs

    names = [args.exercise] if args.exercise else list(packs.packs())
    for name in names:
        for candidate in (
            Path("exercises") / f"{name}.py",
            Path(f"{name}.py"),
            Path("exercises") / f"{name}.ipynb",
            Path(f"{name}.ipynb"),
        ):
            if candidate.exists():
                return candidate
    raise UsageError(
        f"no exercise file here ({', '.join(f'exercises/{n}.py' for n in names)}): give the file to check, "
        "e.g. `autograder check my_work.py`"
    )


def _grade(args) -> int:
    from autograder.integrations import grading

    return grading.grade(args)


def _nbgrader(args) -> int:
    from autograder.integrations import grading

    return grading.nbgrader(args)


def _exercises(args) -> int:
    from autograder.engine import pack as packs

    for pack in packs.packs().values():
        functions = ", ".join(pack.names)
        points = sum(t.points for t in pack.tests)
        print(f"{pack.name}: {pack.title} ({len(pack.functions)} functions, {points:g} points: {functions})")
    return OK


def _build(args) -> int:
    from autograder.authoring import build
    from autograder.engine import pack as packs

    for pack in packs.packs().values() if args.all else [pack_of(args)]:
        for path in build.write(pack):
            if not args.quiet:
                print(f"wrote {path}", file=sys.stderr)
    return OK


def _release(args) -> int:
    from autograder.integrations import release

    path = release.write(pack_of(args), args.out)
    print(f"wrote the students' folder {path}: give it to them as it is (no reference code is in it)")
    return OK


def _gradescope(args) -> int:
    from autograder.integrations import gradescope

    path = gradescope.write_zip(pack_of(args), args.out, secret_of(args))
    print(f'wrote {path}: upload it as the assignment\'s autograder (Gradescope, "Zip file upload")')
    return OK


def _new_exercise(args) -> int:
    from autograder.authoring import new_exercise

    path = new_exercise.write(args.name, args.out)
    print(
        f"wrote the pack {args.name} in {path}; next: pip install -e {path}, "
        f"then `autograder build --exercise {args.name}`"
    )
    return OK


def _class_parser(commands, common) -> None:
    command = commands.add_parser(
        "class",
        parents=[common],
        help="a graded class again: class.html, mistakes.csv, similarity; its Canvas gradebook",
    )
    command.add_argument("results_dir", type=Path, metavar="RESULTS", help="the folder `grade` wrote")
    command.add_argument(
        "--submissions", nargs="+", type=Path, metavar="PATH", help="the submissions, for similarity's text"
    )
    command.add_argument("--html", type=Path, metavar="DIR", help="where the students' pages are, for links")
    command.add_argument("--canvas", type=Path, metavar="ROSTER.csv", help="the gradebook CSV Canvas exports")
    command.add_argument("--assignment", metavar="NAME", help="the assignment's column in Canvas")
    command.add_argument(
        "--out", type=Path, metavar="FILE", help="the Canvas file (default RESULTS/canvas.csv)"
    )


def _class(args) -> int:
    """Rebuilds the class's analytics from its results folder (with the submissions: similarity's
    text too), and writes the Canvas gradebook from its roster. Exit 1 when a graded student is not
    on the roster (they are listed)."""
    from autograder.output import analytics, lms

    results = analytics.read_results(args.results_dir)
    if not results:
        raise UsageError(f"no results in {args.results_dir}: give the folder `grade --results-dir` wrote")
    if args.canvas and not args.assignment:
        raise UsageError("--canvas needs --assignment NAME: the assignment's column in Canvas")
    sources = stubs = None
    if args.submissions:
        from autograder.engine import pack as packs
        from autograder.engine.submission import find, load
        from autograder.output import similarity

        pack = pack_of(args) if args.exercise else packs.get(results[0].exercise or None)
        sources = {
            s.student: similarity.function_sources(similarity.python_text(s.data, s.format), pack.names)
            for s in (load(p, prefer=pack.name) for p in find(args.submissions))
            if s.data
        }
        stubs = {}
        if pack.exercise.exists():
            stubs = similarity.function_sources(pack.exercise.read_text(), pack.names)
    analytics.write_class(args.results_dir, results, html_dir=args.html, sources=sources, stubs=stubs)
    print(f"wrote {args.results_dir / analytics.PAGE} and {analytics.MISTAKES} for {len(results)} students")
    if not args.canvas:
        return OK
    try:
        done = lms.export(results, args.canvas, args.assignment, args.out or args.results_dir / "canvas.csv")
    except lms.RosterError as error:
        raise UsageError(str(error)) from None
    print(f"wrote {done.path}: {done.matched} scores; import it in Canvas (Grades > Import)")
    if done.missing:
        print(f"{len(done.missing)} on the roster have no result (left empty)", file=sys.stderr)
    if done.unmatched:
        print(
            f"{len(done.unmatched)} graded students are not on the roster, not exported: "
            + ", ".join(done.unmatched),
            file=sys.stderr,
        )
        return FAILED
    return OK


COMMANDS = {
    "class": _class,
    "demo": _demo,
    "check": _check,
    "grade": _grade,
    "nbgrader": _nbgrader,
    "exercises": _exercises,
    "build": _build,
    "release": _release,
    "gradescope-zip": _gradescope,
    "new-exercise": _new_exercise,
}
