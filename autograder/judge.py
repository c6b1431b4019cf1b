"""Turns what a submission returned into scored tests, by comparing it with the reference's answers.

Runs in the trusted process only, on plain data. Each test gets full points or none; a failed test
says what was expected, what came back, on which input, and names the likely mistake when a hint
recognises one. A function that is missing, cannot be imported or crashed fails its own tests,
with the reason, and no other function's.
"""

from __future__ import annotations

from autograder import cases, checks
from autograder.reference import Reference, cases_of
from autograder.results import TestResult
from autograder.runner import RawResults

SHOWN = 2  # failing inputs shown per test; the rest are counted


def judge(raw: RawResults, reference: Reference, functions: list[str]) -> list[TestResult]:
    results = []
    for function in functions:
        problem = function_problem(raw, function)
        answers, errors = _collect(raw, reference, function)
        hint = _hint(function, answers, errors)
        for index, test in enumerate(checks.tests_of(function)):
            if problem:
                results.append(TestResult(test.title, function, 0.0, test.points, problem))
                continue
            failures = _failures(test, answers, errors, verbose=index == 0)
            output = _output(failures, hint)
            results.append(
                TestResult(test.title, function, 0.0 if failures else test.points, test.points, output)
            )
    return results


def function_problem(raw: RawResults, function: str) -> str | None:
    """Why none of `function`'s cases could run, or None."""
    imported = raw.imports.get(function)
    if imported is None:
        return raw.problems.get(function, "the submission did not report back") + "."
    if "error" in imported:
        error = imported["error"]
        return (
            f"Your file could not be imported: {error['type']}: {error['message']}\n{error['traceback']}"
            "\nEvery function is graded after the import, so fix this first."
        )
    defined = imported.get("functions") or {}
    if function not in defined:
        return (
            f"There is no function named {function} in your file. Keep the name and signature of the stub: "
            f"{_contract(function)}."
        )
    if defined[function] is None:
        return f"{function} is not a function with a signature. Expected {_contract(function)}."
    return None


def _contract(function: str) -> str:
    parameters = ", ".join(p[0] if len(p) == 1 else f"{p[0]}={p[1]!r}" for p in cases.EXERCISES[function])
    return f"def {function}({parameters})"


def _collect(raw: RawResults, reference: Reference, function: str):
    """(answers: case id -> (case, value, reference outcome), errors: case id -> message)."""
    answers, errors = {}, {}
    for case in cases_of(function):
        outcome = raw.outcomes.get(case.id)
        if outcome is None:
            if raw.problem_cases.get(function) == case.id:
                errors[case.id] = (f"{raw.problems[function]}", "")
            else:
                errors[case.id] = (
                    f"not run: {raw.problems.get(function, 'no result came back')} on an earlier input",
                    "",
                )
        elif outcome["status"] == "error":
            error = outcome["error"]
            message = f"raised {error.get('type')}: {error.get('message')}".rstrip(": ")
            errors[case.id] = (message + _error_hint(function, error), error.get("traceback", ""))
        else:
            answers[case.id] = (case, outcome["value"], reference.outcomes[case.id], outcome)
    return answers, errors


def _error_hint(function: str, error: dict) -> str:
    kind, message = error.get("type", ""), str(error.get("message", ""))
    if kind == "NotImplementedError":
        return " (not written yet: replace `raise NotImplementedError()` with your code)"
    if kind == "TypeError" and ("argument" in message or "positional" in message):
        return f" (the contract is {_contract(function)})"
    if kind == "IndexError" and function in cases.DETECTORS:
        return f" ({checks.FIXED_SHAPE_HINT})"
    if kind == "SystemExit":
        return " (sys.exit() or exit() was called)"
    return ""


def _failures(test: checks.Test, answers: dict, errors: dict, verbose: bool) -> list[str]:
    selected = [case for case in cases_of(test.function) if test.selects(case)]
    failures = []
    for case in selected:
        if case.id in errors:
            message, trace = errors[case.id]
            failures.append(f"On {case.about}: {message}" + (f"\n{trace}" if verbose and trace else ""))
    answered = [answers[case.id] for case in selected if case.id in answers]
    pairs = [(case, got, want) for case, got, want, _ in answered]
    if test.per_case:
        for case, got, want, outcome in answered:
            problem = (
                test.per_case(case, got, want, outcome)
                if test.with_outcome
                else test.per_case(case, got, want)
            )
            if problem:
                failures.append(f"On {case.about}: {problem}")
    if test.across:
        problem = test.across(pairs)
        if problem:
            failures.append(problem[0].upper() + problem[1:])
    return failures


def _hint(function: str, answers: dict, errors: dict) -> str | None:
    if function not in checks.HINTS:
        return None
    return checks.HINTS[function]([(case, got, want) for case, got, want, _ in answers.values()])


def _output(failures: list[str], hint: str | None) -> str:
    if not failures:
        return ""
    lines = failures[:SHOWN]
    if len(failures) > SHOWN:
        more = len(failures) - SHOWN
        lines.append(f"(and {more} more input{'s' if more > 1 else ''})")
    if hint:
        lines.append(f"Likely mistake: {hint}.")
    return "\n".join(lines)
