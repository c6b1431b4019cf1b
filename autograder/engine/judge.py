"""Turns what a submission returned into scored tests, by comparing it with the reference's answers.

Runs in the trusted process only, on plain data, within a time budget. Each test gets full points
or none; a failed test says what was expected, what came back, on which input, and names the likely
mistake when a hint recognises one. Problems of the file's top-level code are said once, at the
top, in the student's own cell and line numbers; a function that is missing, cannot run or crashed
fails its own tests, with the reason in one line, and no other function's.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field

from autograder.engine.contract import Answer
from autograder.engine.kit import same_answer, varies_like
from autograder.engine.pack import Failure, Inputs, Pack, Test
from autograder.engine.reference import Reference
from autograder.engine.runner import RawResults
from autograder.engine.wire import OWN
from autograder.output.results import NOT_READ, TestResult

SHOWN = 2  # failing inputs shown per test; the rest are counted
JUDGE_SECONDS = 30.0  # for one submission, all tests: far above what honest answers take

GRADED, PROBLEMS, NOT_IMPORTED = "graded", "imported with problems", "not imported"
TIME_LIMIT, CRASHED, INVALID = "time limit", "crashed", "invalid output"
STATUSES = (GRADED, PROBLEMS, NOT_IMPORTED, TIME_LIMIT, CRASHED, INVALID)


@dataclass
class Verdict:
    tests: list[TestResult]
    status: str
    problems: list[str] = field(default_factory=list)  # the top-level code's, in the student's terms
    notes: list[str] = field(default_factory=list)


def judge(
    raw: RawResults,
    reference: Reference,
    pack: Pack,
    inputs: Inputs,
    functions: list[str],
    seconds: float = JUDGE_SECONDS,
) -> Verdict:
    deadline = time.monotonic() + seconds
    problems = [_problem(p) for p in raw.program + raw.hung]
    fatal = raw.invalid or raw.unloadable
    if fatal:
        problems.insert(0, fatal)
    results = []
    for function in functions:
        problem = _fatal(raw) if fatal else function_problem(raw, pack, function)
        answers, errors = _collect(raw, reference, pack, inputs, function)
        hint = _hint(pack, function, answers, deadline)
        checked = _Checked(pack.tests_of(function), inputs, answers)
        for index, test in enumerate(pack.tests_of(function)):
            if problem:
                results.append(TestResult(test.title, function, 0.0, test.points, problem))
                continue
            if time.monotonic() > deadline:
                results.append(
                    TestResult(
                        test.title,
                        function,
                        0.0,
                        test.points,
                        f"not judged: judging this submission took longer than {seconds:g} s",
                    )
                )
                continue
            failures = _failures(test, checked, errors, verbose=index == 0)
            output, details = _output(failures, hint)
            results.append(
                TestResult(
                    test.title,
                    function,
                    0.0 if failures else test.points,
                    test.points,
                    output,
                    details=details,
                )
            )
    return Verdict(results, _status(raw, problems, functions), problems, list(raw.notes) + _own_answers(raw))


def _own_answers(raw: RawResults) -> list[str]:
    """A note where the student's own function answered calls the reference cannot: calls its
    recording does not cover, in a release (which has no reference code), or arguments the
    reference's own code does not take (a FactoredMatrix where it takes a tensor). There, a mistake
    in it can cost points twice."""
    counted: dict[str, int] = {}
    for outcome in raw.outcomes.values():
        for key, calls in (outcome.get("stand_in_calls") or {}).items():
            if key.endswith(OWN):
                counted[key[: -len(OWN)]] = counted.get(key[: -len(OWN)], 0) + calls
    return [
        f"{name} was called in ways the reference's answers do not cover (another hook point, other "
        f"arguments or other kinds of them; {calls} call(s)); your own {name} answered them, so a mistake "
        "in it can also cost points in the functions that call it."
        for name, calls in counted.items()
    ]


def missing_modules(raw: RawResults) -> list[str]:
    """The modules the file's top-level imports asked for and that are not installed here."""
    found = []
    for problem in raw.program:
        if problem["type"] == "ModuleNotFoundError":
            match = re.search(r"No module named '([^']+)'", problem["message"])
            if match and match.group(1) not in found:
                found.append(match.group(1))
    return found


def _status(raw: RawResults, problems: list[str], functions: list[str]) -> str:
    if raw.invalid:
        return INVALID
    defined = {name for imported in raw.imports.values() for name in imported.get("functions", {})}
    if raw.unloadable or (problems and not defined & set(functions)):
        return NOT_IMPORTED
    if "crashed" in raw.kinds:
        return CRASHED
    if "time limit" in raw.kinds:
        return TIME_LIMIT
    return PROBLEMS if problems else GRADED


def _fatal(raw: RawResults) -> str:
    if raw.invalid:
        return "Not graded: what the worker sent was rejected (see the problem at the top)."
    return NOT_READ


def _problem(problem: dict) -> str:
    message = f"{problem['type']}: {problem['message']}" if problem["message"] else problem["type"]
    module = re.search(r"No module named '([^']+)'", problem["message"] or "")
    if problem["type"] == "ModuleNotFoundError" and module:
        message = f"the module {module.group(1)} is not installed where your work is graded ({message})"
    skipped = f" ({problem['skipped']})" if problem.get("skipped") else ""
    return f"{problem['where']}: {message}{skipped}"


def function_problem(raw: RawResults, pack: Pack, function: str) -> str | None:
    """Why none of `function`'s cases could run, in one line, or None."""
    imported = raw.imports.get(function)
    if imported is None:
        return raw.problems.get(function, "the submission did not report back") + "."
    defined = imported.get("functions") or {}
    contract = pack.function(function).signature()
    if function not in defined:
        if function in raw.missing:
            return (
                f"{function} is missing: the code that defines it ({raw.missing[function]}) could not run "
                "(see the problems at the top)."
            )
        return (
            f"There is no function named {function} in your file. "
            f"Keep the name and signature of the stub: {contract}."
        )
    if defined[function] is None:
        return f"{function} is not a function with a signature. Expected {contract}."
    return None


def _collect(raw: RawResults, reference: Reference, pack: Pack, inputs: Inputs, function: str):
    """(answers: case id -> (case, value, reference outcome, outcome), errors: case id -> message)."""
    answers, errors = {}, {}
    for case in inputs.of(function):
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
            hint = _error_hint(pack, function, error, missing_modules(raw))
            errors[case.id] = (message + hint, error.get("traceback", ""))
        else:
            answers[case.id] = (case, outcome["value"], Answer.of(reference.outcomes[case.id]), outcome)
    return answers, errors


# Python's words for a call that does not fit a function's signature (and the stand-ins' own).
CALL_MISFIT = re.compile(
    r"(\w+)\(\) (?:takes |missing \d+ required |got an unexpected keyword |got multiple values |"
    r"got some positional-only |was called with arguments that do not fit)"
)


def _error_hint(pack: Pack, function: str, error: dict, modules: list[str] | None = None) -> str:
    kind, message = error.get("type", ""), str(error.get("message", ""))
    contract = pack.function(function)
    module = re.search(r"No module named '([^']+)'", message)
    if kind == "ModuleNotFoundError" and module:
        return f" (the module {module.group(1)} is not installed where your work is graded)"
    if kind == "NameError" and error.get("name") and modules:
        name = error["name"]
        named = [m for m in modules if name in (m, m.split(".")[0], m.split(".")[-1])]
        if named:
            return (
                f" (the module {named[0]} is not installed where your work is graded, "
                f"so {name!r} was never imported)"
            )
        return (
            f" ({name!r} is not defined: perhaps the import that gives it failed, since the module"
            f"{'s' if len(modules) > 1 else ''} {', '.join(modules)} "
            f"{'are' if len(modules) > 1 else 'is'} not installed where your work is graded)"
        )
    if kind == "NotImplementedError":
        return " (not written yet: replace `raise NotImplementedError()` with your code)"
    called = CALL_MISFIT.match(message) if kind == "TypeError" else None
    about = next((f for f in pack.functions if called and called.group(1) in f.names), None)
    if about is not None:
        # A call of an exercise function that does not fit it (this one's, by the grader, or another's
        # by the student's code: "generate_repeated_tokens() got ..."): that function's contract.
        # Not a TypeError from inside (`t.stack` of floats), nor a misfit call of a helper of theirs.
        return f" (the contract is {about.signature()})"
    if kind == "NameError" and error.get("name"):
        given = [p.name for p in contract.params]
        return (
            f" ({error['name']!r} is neither defined in your file nor given: "
            f"while graded, {function} gets its "
            f"arguments ({', '.join(given)})"
            + (f" and the notebook globals {', '.join(contract.globals)}" if contract.globals else "")
            + "; use those instead)"
        )
    if kind == "SystemExit":
        return " (sys.exit() or exit() was called)"
    if pack.error_hint:
        hint = pack.error_hint(function, error)
        if hint:
            return f" ({hint})"
    return ""


class _Checked:
    """Each test's per-case verdicts on one function's answers, worked out once: a format test's
    evidence is the value tests' verdicts on the same inputs."""

    def __init__(self, tests: list[Test], inputs: Inputs, answers: dict):
        self.tests, self.inputs, self.answers = tests, inputs, answers
        self._verdicts: dict[int, dict] = {}

    @functools.cached_property
    def constant(self) -> bool:
        """One answer for every input, where the reference's answers differ and a value test failed
        on one of them: whatever it matches, it matches by coincidence (the seed's heads returned
        for any cache), so no test pays for it. A right answer passes every value test, so it can
        never be taken for one (answers equal up to a tolerance included)."""
        values = [(got, want.value) for _, got, want, _ in self.answers.values()]
        return (
            len(values) > 1
            and all(same_answer(got, values[0][0]) for got, _ in values)
            and not all(same_answer(want, values[0][1]) for _, want in values)
            and any(
                verdict is not None
                for test in self.tests
                if not test.format_only and test.per_case
                for verdict in self.verdicts(test).values()
            )
        )

    def selected(self, test: Test) -> list:
        return [case for case in self.inputs.of(test.function) if test.selects(case)]

    def verdicts(self, test: Test) -> dict:
        """case id -> what is wrong on it, or None; for the answered cases the test selects."""
        if id(test) not in self._verdicts:
            verdicts = {}
            for case in self.selected(test):
                if case.id in self.answers and test.per_case:
                    _, got, want, outcome = self.answers[case.id]
                    args = (case, got, want, outcome) if test.with_outcome else (case, got, want)
                    verdicts[case.id] = test.per_case(*args)
            self._verdicts[id(test)] = verdicts
        return self._verdicts[id(test)]

    def evidence(self, case_id: str) -> bool:
        """Whether the answer on this case is shown to be computed from its input: a value test of
        the function passed on it, its entries vary as the reference's do, or it differs from the
        answer on another input of the same shape where the reference's answers differ."""
        if self.constant:
            return False
        for test in self.tests:
            if not test.format_only and test.per_case and case_id in self.verdicts(test):
                if self.verdicts(test)[case_id] is None:
                    return True
        _, got, want, _ = self.answers[case_id]
        if varies_like(got, want.value):
            return True
        for other, (_, other_got, other_want, _) in self.answers.items():
            if other != case_id and _same_shape(want.value, other_want.value):
                if not same_answer(want.value, other_want.value) and not same_answer(got, other_got):
                    return True
        return False


NO_EVIDENCE = (
    "no value test passed on this input, and the answer does not change with the input as the "
    "reference's does: a format earns points only for an answer computed from the input"
)


CONSTANT = (
    "Right on these inputs, but with the same answer for every input, where the reference's answers "
    "differ: an answer earns points only when it is computed from its input"
)


def _same_shape(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):  # the same keys, each of the same shape
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_same_shape(a[key], b[key]) for key in a)
        )
    return getattr(a, "shape", None) == getattr(b, "shape", None)


def _failures(test: Test, checked: _Checked, errors: dict, verbose: bool) -> list[tuple[str, str]]:
    """(what the student sees now, the details) for each failing input of the test."""
    selected = checked.selected(test)
    failures = []
    for case in selected:
        if case.id in errors:
            message, trace = errors[case.id]
            text = f"On {case.about}: {message}" + (f"\n{trace}" if verbose and trace else "")
            failures.append((text, ""))
    answered = [checked.answers[case.id] for case in selected if case.id in checked.answers]
    if test.per_case:
        verdicts = checked.verdicts(test)
        for case, _, _, _ in answered:
            problem = verdicts[case.id]
            if problem:
                failures.append(_said(f"On {case.about}: ", problem))
            elif test.format_only and not checked.evidence(case.id):
                failures.append(_said(f"On {case.about}: ", NO_EVIDENCE))
    if test.across:
        problem = test.across([(case, got, want) for case, got, want, _ in answered])
        if problem:
            failures.append(_said("", problem, capitalise=True))
    if answered and checked.constant and not failures:
        failures.append((CONSTANT, ""))
    if not selected and not failures:
        failures.append(("no input of this test could be run", ""))
    return failures


def _said(prefix: str, problem: str | Failure, capitalise: bool = False) -> tuple[str, str]:
    summary, details = (problem.summary, problem.details) if isinstance(problem, Failure) else (problem, "")
    if capitalise:
        summary = summary[:1].upper() + summary[1:]
        details = details[:1].upper() + details[1:]
    return prefix + summary, (prefix + details if details else "")


def _hint(pack: Pack, function: str, answers: dict, deadline: float) -> str | None:
    if function not in pack.hints or time.monotonic() > deadline:
        return None
    return pack.hints[function]([(case, got, want) for case, got, want, _ in answers.values()])


def _output(failures: list[tuple[str, str]], hint: str | None) -> tuple[str, str]:
    """The test's message (at most SHOWN inputs, then a count, then the hint) and its details."""
    if not failures:
        return "", ""
    lines = [summary for summary, _ in failures[:SHOWN]]
    if len(failures) > SHOWN:
        more = len(failures) - SHOWN
        lines.append(f"(and {more} more input{'s' if more > 1 else ''})")
    if hint:
        lines.append(f"Likely mistake: {hint}.")
    details = [d for _, d in failures if d]
    return "\n".join(lines), "\n".join(details[:10])
