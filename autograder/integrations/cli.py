"""Command line: `python -m autograder COMMAND ...` (also installed as `autograder`); see README.md.

Each command is a pair of small functions: one declares its flags, one runs it and returns the exit
status (see `arguments.py`: 0 done, 1 tests failed, 2 bad input, 3 not graded, 130 interrupted).
A new command is one more pair and one line in COMMANDS.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder.integrations.arguments import (
    FAILED,
    INTERRUPTED,
    NOT_GRADED,
    OK,
    USAGE,
    UsageError,
    add_limits,
    check_defaults,
    functions_of,
    limits,
    pack_of,
    secret_of,
)

# The exit statuses are this module's public names too (`cli.NOT_GRADED`).
__all__ = ["COMMANDS", "FAILED", "INTERRUPTED", "NOT_GRADED", "OK", "USAGE", "UsageError", "main", "parser"]


@dataclass(frozen=True)
class Command:
    help: str
    flags: Callable[[argparse.ArgumentParser], None]  # adds the command's own flags
    run: Callable[[argparse.Namespace], int]  # the exit status


def main(argv: list[str] | None = None) -> int:
    """The command line, with every line it prints made safe for a CI's log (`output.text.ci_safe`):
    no student's id, file name or message can start a workflow command."""
    from autograder.output.text import CiSafeStream

    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = CiSafeStream(sys.stdout), CiSafeStream(sys.stderr)
    try:
        return _main(argv)
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = saved


def _main(argv: list[str] | None) -> int:
    from autograder.integrations import config

    args = parser().parse_args(argv)
    try:
        settings = config.load(args.config)
        for key, value in settings.items():  # the course's settings, where no flag was given
            if getattr(args, key, None) is None and key in vars(args):
                setattr(args, key, Path(value) if key in config.PATHS else value)
        check_defaults(args)
        return COMMANDS[args.command].run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except (UsageError, config.ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE
    except (ValueError, RuntimeError, OSError) as error:  # bad input, or isolation unavailable: no traceback
        print(f"error: {error}", file=sys.stderr)
        return USAGE


def parser() -> argparse.ArgumentParser:
    """The command line: the flags every command takes, then each command's own."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("induction-grader")
    except PackageNotFoundError:
        release = "unknown"
    top = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n\n")[0])
    top.add_argument("--version", action="version", version=f"autograder {release}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="the course's settings (default: ./autograder.toml)")
    common.add_argument(
        "-q", "--quiet", action="store_true", help="print only what matters (errors, the score)"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="every test and every message in full")
    common.add_argument(
        "--exercise", metavar="NAME", help="the exercise (pack) to grade with; see `exercises`"
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.flags(commands.add_parser(name, parents=[common], help=command.help))
    return top


def _console(args):
    from rich.console import Console

    plain = bool(os.environ.get("NO_COLOR"))  # no colour, and no other style either
    return Console(highlight=False, color_system=None if plain else "auto", quiet=args.quiet)


def _no_flags(parser: argparse.ArgumentParser) -> None:
    """A command with only the common flags."""


# --- commands ------------------------------------------------------------------------------------


def _demo_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="default", help="default (embedded) or arena (downloaded)")


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


def _check_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", type=Path, help="default: exercises/NAME.py or NAME.py here")
    parser.add_argument(
        "--only", action="append", metavar="FUNCTION", help="check only this function (repeatable)"
    )
    parser.add_argument(
        "--summary", type=Path, metavar="FILE", help="also append a Markdown summary here (CI)"
    )
    add_limits(parser)


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
        pack, functions=functions_of(args, pack), require_isolation=False, limits=limits(args)
    ) as grader:
        result = grader.grade(submission)
    unreadable = result.unreadable()
    if unreadable:  # bad input, as a missing file is: not work that is merely wrong
        raise UsageError(f"{unreadable}; check a .py file, or a notebook that Jupyter opens")
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


def _grade_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", nargs="+", type=Path)
    parser.add_argument(
        "--results-dir", type=Path, help="write DIR/<student>.json, gradebook.csv and grading.log"
    )
    parser.add_argument("--results", type=Path, help="write one submission's Gradescope results.json here")
    parser.add_argument("--workers", type=int, help="parallel workers (default: the number of cores)")
    parser.add_argument("--force", action="store_true", help="regrade submissions that already have a result")
    parser.add_argument("--junit", type=Path, help="also write JUnit XML here")
    parser.add_argument(
        "--html", type=Path, metavar="DIR", help="also write DIR/<student>.html and DIR/index.html"
    )
    parser.add_argument(
        "--fail-under", type=float, metavar="SCORE", help="exit with status 1 if any score is below SCORE"
    )
    parser.add_argument("--secret", help="draw the graded inputs from this secret (also $AUTOGRADER_SECRET)")
    parser.add_argument("--secret-file", type=Path, help="the secret, read from a file")
    parser.add_argument(
        "--public", action="store_true", help="grade on the public inputs (students hold their answers)"
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="grade on this Dask scheduler (tcp://host:8786)"
    )
    parser.add_argument(
        "--summary", type=Path, metavar="FILE", help="also append a Markdown summary here (CI)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--only", action="append", metavar="FUNCTION", help="grade only this function (repeatable)"
    )
    add_limits(parser)


def _grade(args) -> int:
    from autograder.integrations import grading

    return grading.grade(args)


def _nbgrader_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "course_dir", type=Path, metavar="COURSE_DIR", help="the folder of nbgrader_config.py"
    )
    parser.add_argument("assignment", metavar="ASSIGNMENT")
    parser.add_argument("--workers", type=int, help="parallel workers (default: the number of cores)")
    parser.add_argument("--force", action="store_true", help="regrade submissions already autograded")
    parser.add_argument("--secret", help="draw the graded inputs from this secret")
    parser.add_argument("--secret-file", type=Path, help="the secret, read from a file")
    parser.add_argument(
        "--public", action="store_true", help="grade on the public inputs (students hold their answers)"
    )
    add_limits(parser)


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


def _build_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="every installed exercise")


def _build(args) -> int:
    from autograder.authoring import build
    from autograder.engine import pack as packs

    for pack in packs.packs().values() if args.all else [pack_of(args)]:
        for path in build.write(pack):
            if not args.quiet:
                print(f"wrote {path}", file=sys.stderr)
    return OK


def _release_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="DIR")


def _release(args) -> int:
    from autograder.integrations import release

    path = release.write(pack_of(args), args.out)
    print(f"wrote the students' folder {path}: give it to them as it is (no reference code is in it)")
    return OK


def _gradescope_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT.zip")
    parser.add_argument("--secret", help="the secret the graded inputs are drawn from")
    parser.add_argument("--secret-file", type=Path, help="the secret, read from a file")


def _gradescope(args) -> int:
    from autograder.integrations import gradescope

    path = gradescope.write_zip(pack_of(args), args.out, secret_of(args))
    print(f'wrote {path}: upload it as the assignment\'s autograder (Gradescope, "Zip file upload")')
    return OK


def _secret_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE")


def _secret(args) -> int:
    from autograder.engine import secret as secrets

    if args.file.exists():
        raise UsageError(f"{args.file} exists: a new secret would change every graded input; give a new file")
    if not args.file.parent.is_dir():
        raise UsageError(f"{args.file}: the folder {args.file.parent} does not exist")
    descriptor = os.open(args.file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.new() + "\n")
    print(
        f"wrote a new secret to {args.file} (readable by you alone); name it in autograder.toml "
        f'(secret_file = "{args.file}") or in CI as AUTOGRADER_SECRET, and keep it out of every '
        "repository students can see"
    )
    return OK


def _new_exercise_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("out", type=Path, metavar="DIR")


def _new_exercise(args) -> int:
    from autograder.authoring import new_exercise

    path = new_exercise.write(args.name, args.out)
    print(
        f"wrote the pack {args.name} in {path}; next: pip install -e {path}, "
        f"then `autograder build --exercise {args.name}`"
    )
    return OK


def _class_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results_dir", type=Path, metavar="RESULTS", help="the folder `grade` wrote")
    parser.add_argument(
        "--submissions", nargs="+", type=Path, metavar="PATH", help="the submissions, for similarity's text"
    )
    parser.add_argument("--html", type=Path, metavar="DIR", help="where the students' pages are, for links")
    parser.add_argument("--canvas", type=Path, metavar="ROSTER.csv", help="the gradebook CSV Canvas exports")
    parser.add_argument("--assignment", metavar="NAME", help="the assignment's column in Canvas")
    parser.add_argument(
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


COMMANDS: dict[str, Command] = {
    "demo": Command(
        "the exercise's report on a model, then grade the reference and the stubs", _demo_flags, _demo
    ),
    "check": Command("check your own work: a .py file or a notebook", _check_flags, _check),
    "grade": Command("grade submissions: files, or folders of them", _grade_flags, _grade),
    "nbgrader": Command(
        "autograde an nbgrader course's submissions in the sandbox", _nbgrader_flags, _nbgrader
    ),
    "exercises": Command("list the installed exercises", _no_flags, _exercises),
    "build": Command("write an exercise's student files from its source", _build_flags, _build),
    "release": Command("write the folder students receive", _release_flags, _release),
    "gradescope-zip": Command("write a Gradescope autograder zip", _gradescope_flags, _gradescope),
    "secret": Command("write a new strong course secret to FILE (for secret_file)", _secret_flags, _secret),
    "class": Command(
        "a graded class again: class.html, mistakes.csv, similarity; its Canvas gradebook",
        _class_flags,
        _class,
    ),
    "new-exercise": Command("write a new exercise pack, as a package", _new_exercise_flags, _new_exercise),
}
