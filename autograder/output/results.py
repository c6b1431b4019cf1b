"""Results of grading one submission, and their Gradescope `results.json` form."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.output.atomic import write_atomically

# Each test's message when nothing of the file could be read (the reason is the first problem).
NOT_READ = "Not graded: the file could not be read (see the problem at the top)."

HINT = "Likely mistake: "  # how the judge names a mistake in a failed test's message
UNRUN = ("There is no", "the worker", "a call took")  # a function that could not be called


def _fingerprints(value) -> dict[str, list[str]]:
    """Fingerprints as read back: only short strings, only as many as are ever written."""
    if not isinstance(value, dict):
        return {}
    return {
        str(f)[:200]: [str(h)[:16] for h in hashes[:64]]
        for f, hashes in list(value.items())[:100]
        if isinstance(hashes, list)
    }


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class
    name: str  # "<function>: <what is checked>"
    function: str
    score: float
    max_score: float
    output: str = ""  # for a failed test: what is wrong, on which input, and a hint
    details: str = ""  # on inputs drawn from a secret: the expected values, shown after the due date

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score

    def to_gradescope(self, number: int) -> dict:
        return {
            "name": self.name,
            "number": str(number),
            "score": self.score,
            "max_score": self.max_score,
            "status": "passed" if self.passed else "failed",
            "output": self.output,
            "tags": [self.function],
            "visibility": "visible",
        }


@dataclass
class Result:
    student: str
    tests: list[TestResult]
    output: str = ""  # what the submission printed
    seconds: float = 0.0
    protections_off: dict[str, str] = field(default_factory=dict)
    error: str = ""  # set when the submission could not be read at all
    submission_digest: str = ""  # sha256 of what was graded, so a rerun knows whether it is current
    status: str = (
        "graded"  # graded, imported with problems, not imported, time limit, crashed, invalid output
    )
    problems: list[str] = field(
        default_factory=list
    )  # of the top-level code, in the student's cells and lines
    notes: list[str] = field(default_factory=list)  # magics that did nothing, and the like
    exercise: str = ""
    inputs: str = ""  # which inputs it was graded on: "public", or "secret:<digest>" (engine/secret.py)
    graded_with: dict = field(default_factory=dict)  # all a result depends on, so a rerun knows it is current
    # {function: a short hash of what it returned on each input} (similarity.py)
    fingerprints: dict[str, list[str]] = field(default_factory=dict)
    raw: object = field(default=None, repr=False, compare=False)  # raw values for the report, then dropped
    # Seconds per phase of grading it (see engine.runner.RawResults.phases, and "judge"); not written.
    phases: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    @property
    def score(self) -> float:
        return round(sum(test.score for test in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(test.max_score for test in self.tests), 6)

    def by_function(self) -> dict[str, tuple[float, float]]:
        """{function: (score, max_score)}, in the order of the tests."""
        totals: dict[str, list[float]] = {}
        for test in self.tests:
            total = totals.setdefault(test.function, [0.0, 0.0])
            total[0] += test.score
            total[1] += test.max_score
        return {f: (round(s, 6), round(m, 6)) for f, (s, m) in totals.items()}

    def unreadable(self) -> str:
        """Why nothing of the submission could be read (not a notebook, not a regular file...), or ""."""
        if self.error:
            return self.error
        if self.problems and self.tests and all(t.output == NOT_READ for t in self.tests):
            return self.problems[0]
        return ""

    def reason(self) -> str:
        """Why the score is what it is, in a line, when the file did not simply run."""
        if self.problems and self.status != "graded":
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            return self.problems[0] + more
        for test in self.tests:
            if not test.passed and test.output.startswith(
                ("Not graded", "There is no", "the worker", "a call took")
            ):
                return test.output.splitlines()[0]
        return ""

    def header(self) -> str:
        """What the student reads before the tests: the top-level problems, once, and notes."""
        lines = []
        if self.problems:
            lines.append("Problems in the file's top-level code (each was skipped; the rest ran):")
            lines += [f"  {problem}" for problem in self.problems]
        if self.notes:
            lines.append("Notes: " + "; ".join(self.notes))
        return "\n".join(lines)

    def to_gradescope(self) -> dict:
        tests = [test.to_gradescope(i + 1) for i, test in enumerate(self.tests)]
        for test in self.tests:  # the expected values of secret inputs, once the due date has passed
            if test.details and not test.passed:
                tests.append(
                    {
                        "name": f"{test.name} (details)",
                        "number": str(len(tests) + 1),
                        "score": 0,
                        "max_score": 0,
                        "output": test.details,
                        "tags": [test.function],
                        "visibility": "after_due_date",
                    }
                )
        output = "\n\n".join(part for part in (self.header(), self.output) if part)
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.seconds, 3),
            "output": output,
            "output_format": "text",
            "visibility": "visible",
            "stdout_visibility": "visible",
            "extra_data": {
                "student": self.student,
                "exercise": self.exercise,
                "status": self.status,
                "problems": self.problems,
                "notes": self.notes,
                "printed": self.output,
                "protections_off": self.protections_off,
                "error": self.error,
                "submission_sha256": self.submission_digest,
                "inputs": self.inputs,
                "graded_with": self.graded_with,
                "fingerprints": self.fingerprints,
            },
            "tests": tests,
        }

    def write(self, path: Path) -> None:
        write_atomically(path, json.dumps(self.to_gradescope(), indent=2).encode())

    @classmethod
    def read(cls, path: Path) -> Result:
        """A result written by `write` (for gradebooks and resumed batches)."""
        return cls.from_gradescope(json.loads(Path(path).read_text()), Path(path).stem)

    @classmethod
    def from_gradescope(cls, document: dict, student: str = "") -> Result:
        """The inverse of `to_gradescope` (what a cluster's worker sends back)."""
        tests, details = [], {}
        for t in document["tests"]:
            if t.get("visibility") == "after_due_date" and t["name"].endswith(" (details)"):
                details[t["name"].removesuffix(" (details)")] = t.get("output", "")
                continue
            tests.append(
                TestResult(
                    t["name"],
                    (t.get("tags") or [t["name"].split(":")[0]])[0],
                    float(t["score"]),
                    float(t["max_score"]),
                    t.get("output", ""),
                )
            )
        for test in tests:
            test.details = details.get(test.name, "")
        extra = document.get("extra_data") or {}
        return cls(
            extra.get("student", student),
            tests,
            extra.get("printed", document.get("output", "")),
            float(document.get("execution_time", 0.0)),
            extra.get("protections_off") or {},
            extra.get("error", ""),
            extra.get("submission_sha256", ""),
            status=extra.get("status", "graded"),
            problems=list(extra.get("problems") or []),
            notes=list(extra.get("notes") or []),
            exercise=extra.get("exercise", ""),
            inputs=extra.get("inputs", ""),
            graded_with=dict(extra.get("graded_with") or {}),
            fingerprints=_fingerprints(extra.get("fingerprints")),
        )

    def mistakes(self) -> dict[str, str]:
        """{function: its mistake}, for each function that failed: the one the judge named, else the
        reason it could not be called, else its first failed test (a file that did not run: none)."""
        named: dict[str, str] = {}
        for test in self.tests:
            if test.passed or test.function in named:
                continue
            hint = next((line for line in test.output.splitlines() if line.startswith(HINT)), "")
            first = test.output.split("\n", 1)[0]
            if hint:
                named[test.function] = hint.removeprefix(HINT).rstrip(".")
            elif first.startswith("Not graded"):
                continue  # the file did not run: its status says why
            elif first.startswith(UNRUN):
                named[test.function] = first
            else:
                named[test.function] = "fails: " + test.name.removeprefix(f"{test.function}: ")
        return named

    def summary(self) -> dict:
        return {
            "student": self.student,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "inputs": self.inputs,
            "failed": [t.name for t in self.tests if not t.passed],
        }
