"""What the commands share: exit statuses, the one-line error, and flags read the same way everywhere.

Exit status: 0 done (and every test passed, for `check`); 1 tests failed or a score was below
`--fail-under`; 2 bad arguments or input, with a one-line error; 3 some submission could not be
graded (a fault of the grader: see grading.log); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

OK, FAILED, USAGE, NOT_GRADED, INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(ValueError):
    """Bad arguments or input: said in one line, exit status 2."""


def add_limits(parser: argparse.ArgumentParser) -> None:
    """The flags of every command that runs submissions: isolation, time and memory."""
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


def check_defaults(args: argparse.Namespace) -> None:
    """Fills in the defaults and checks the arguments before any work starts: each problem in one line."""
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


def limits(args: argparse.Namespace):
    """The `Limits` that --timeout and --memory give."""
    from autograder.engine.runner import Limits

    return Limits(call_seconds=args.timeout, memory_bytes=int(args.memory * (1 << 30)))


def pack_of(args: argparse.Namespace, path: Path | None = None):
    """The pack --exercise names, else the one `path` belongs to, else the only one installed."""
    from autograder.engine import pack

    try:
        return pack.get(args.exercise) if args.exercise else pack.for_file(path)
    except pack.UnknownExercise as error:
        raise UsageError(str(error)) from None


def secret_of(args: argparse.Namespace) -> str | None:
    """The course secret a graded run draws its inputs from: --secret, else --secret-file (or the
    settings' secret_file), else $AUTOGRADER_SECRET; None only with an explicit --public. Secure by
    default: no secret, an empty one or a weak one is an error (engine/secret.py states the rule)."""
    from autograder.engine import secret as secrets

    given = getattr(args, "secret", None)
    path = getattr(args, "secret_file", None)
    if getattr(args, "public", False):
        if given is not None:
            raise UsageError("give --public or --secret, not both")
        return None
    if given is not None and path:
        raise UsageError("give --secret or --secret-file, not both")
    try:
        if given is not None:
            return secrets.check(given, "--secret")
        if path:
            try:
                text = Path(path).read_text()
            except (OSError, UnicodeDecodeError) as error:
                why = getattr(error, "strerror", None) or "not text"
                raise UsageError(f"cannot read the secret file {path}: {why}") from None
            return secrets.check(text, f"the secret file {path}")
        if "AUTOGRADER_SECRET" in os.environ:
            return secrets.check(os.environ["AUTOGRADER_SECRET"], "$AUTOGRADER_SECRET")
    except secrets.WeakSecret as error:
        raise UsageError(str(error)) from None
    raise UsageError(
        "a graded run needs the course secret: write one with `autograder secret FILE` and name it "
        "(secret_file in autograder.toml, --secret-file FILE or $AUTOGRADER_SECRET); "
        "or pass --public to grade on the public inputs, which every student can look up"
    )


def functions_of(args: argparse.Namespace, pack) -> list[str] | None:
    """The functions --only names (None: all), each one the pack has."""
    unknown = [f for f in args.only or [] if f not in pack.names]
    if unknown:
        raise UsageError(
            f"--only {unknown[0]}: {pack.name} has no such function; "
            f"its functions are {', '.join(pack.names)}"
        )
    return args.only
