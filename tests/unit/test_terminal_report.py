"""The student's view in a terminal or a notebook (`reporters.print_result`), from a plain Result."""

from __future__ import annotations

import io

from rich.console import Console

from autograder.output.reporters import print_result
from autograder.output.results import Result, TestResult

STUB = "(not written yet: replace `raise NotImplementedError()` with your code)"


def shown(result: Result, **options) -> str:
    buffer = io.StringIO()
    print_result(result, Console(file=buffer, width=200, color_system=None), **options)
    return buffer.getvalue()


def stubs(functions: list[str]) -> Result:
    tests = [
        TestResult(
            f"{f}: returns the right value", f, 0.0, 10.0, f"On input {i}: raised NotImplementedError {STUB}"
        )
        for i, f in enumerate(functions)
    ]
    return Result("student", tests)


def test_a_note_every_function_shares_is_said_once():
    text = shown(stubs(["f", "g", "h"]))
    assert text.lower().count("not written yet") == 1
    assert "Not written yet: replace `raise NotImplementedError()` with your code." in text
    assert all(f"On input {i}: raised NotImplementedError" in text for i in range(3))  # each still says what


def test_a_note_only_one_function_has_stays_on_its_line():
    result = stubs(["f"])
    result.tests.append(
        TestResult("g: shape", "g", 0.0, 10.0, "On input 1: wrong shape (the contract is g(x, y))")
    )
    text = shown(result)
    assert text.count("not written yet") == 1 and "(not written yet" in text  # one function: kept in place
    assert "wrong shape (the contract is g(x, y))" in text


def test_the_way_to_see_every_test_is_the_one_the_reader_can_use():
    assert "-v shows every test" in shown(stubs(["f"]))
    in_a_notebook = shown(stubs(["f"]), verbose_how="check(..., verbose=True)")
    assert "check(..., verbose=True) shows every test" in in_a_notebook and "-v shows" not in in_a_notebook


def test_verbose_shows_every_test_and_every_message():
    result = stubs(["f", "g"])
    text = shown(result, verbose=True)
    assert "f: returns the right value" in text and "g: returns the right value" in text
    assert text.count("not written yet") == 2 and "shows every test" not in text
