"""The command line without running a command: each command's flags, and the arguments checked
before any work starts (one line each, exit status 2)."""

from __future__ import annotations

import argparse

import pytest

from autograder.integrations import cli
from autograder.integrations.arguments import UsageError, check_defaults, secret_of


def flags(command: str) -> set[str]:
    parser = cli.parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return {option for action in sub._actions for option in action.option_strings}


def test_every_command_is_in_the_table_with_its_own_flags():
    shipped = {"demo", "check", "grade", "nbgrader", "exercises", "build", "release", "gradescope-zip"}
    assert shipped | {"new-exercise"} <= set(cli.COMMANDS)
    common = {"-h", "--help", "--config", "-q", "--quiet", "-v", "--verbose", "--exercise"}
    assert flags("exercises") == common
    assert flags("demo") == common | {"--model"}
    assert {"--results-dir", "--scheduler", "--secret-file", "--fail-under", "--timeout"} <= flags("grade")
    assert "--scheduler" not in flags("check") and "--only" in flags("check")


def test_a_command_parses_to_its_runner():
    args = cli.parser().parse_args(["grade", "class/", "--results-dir", "out", "--workers", "3"])
    assert cli.COMMANDS[args.command].run is cli._grade and args.workers == 3


@pytest.mark.parametrize(
    "argv, words",
    [
        (["grade", "x", "--workers", "0"], "--workers 0: give at least 1"),
        (["check", "--timeout", "-1"], "--timeout -1: give a positive number"),
        (["grade", "x", "--fail-under", "-5"], "--fail-under -5: give a score between 0"),
        (["check", "-q", "-v"], "-q and -v cannot be given together"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(argv, words):
    args = cli.parser().parse_args(argv)
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        check_defaults(args)


def test_defaults_are_filled_in():
    args = cli.parser().parse_args(["check"])
    check_defaults(args)
    assert args.timeout == 10.0 and args.memory == 4.0


def test_the_secret_comes_from_one_place(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOGRADER_SECRET", raising=False)
    parse = cli.parser().parse_args
    strong = ["kT3-vQ9x_Lm2pR7wZc4N", "Hq8_rT2m-Vx5bN9cLz3K", "pW4n-Rk7xM2q_Tz9Lc5V"]
    with pytest.raises(UsageError, match="needs the course secret"):
        secret_of(parse(["grade", "x"]))
    assert secret_of(parse(["grade", "x", "--public"])) is None
    assert secret_of(parse(["grade", "x", "--secret", strong[0]])) == strong[0]
    (tmp_path / "secret").write_text(strong[1] + "\n")
    assert secret_of(parse(["grade", "x", "--secret-file", str(tmp_path / "secret")])) == strong[1]
    with pytest.raises(UsageError, match="not both"):
        secret_of(parse(["grade", "x", "--secret", strong[0], "--secret-file", str(tmp_path / "secret")]))
    with pytest.raises(UsageError, match="not both"):
        secret_of(parse(["grade", "x", "--secret", strong[0], "--public"]))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(UsageError, match="is empty"):
        secret_of(parse(["grade", "x", "--secret-file", str(tmp_path / "empty")]))
    with pytest.raises(UsageError, match="too weak"):
        secret_of(parse(["grade", "x", "--secret", "fall2026"]))
    monkeypatch.setenv("AUTOGRADER_SECRET", strong[2])
    assert secret_of(parse(["grade", "x"])) == strong[2]
    monkeypatch.setenv("AUTOGRADER_SECRET", "")
    with pytest.raises(UsageError, match="is empty"):
        secret_of(parse(["grade", "x"]))


def test_main_says_a_bad_argument_in_one_line_with_status_2(capsys):
    assert cli.main(["grade", "x", "--workers", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: --workers 0: give at least 1"
