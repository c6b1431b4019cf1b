"""Results of grading one submission, and their Gradescope `results.json` form."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.paths import write_atomically


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class
    name: str  # "<function>: <what is checked>"
    function: str
    score: float
    max_score: float
    output: str = ""  # for a failed test: what was expected, what came back, on which input, and a hint

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
    output: str = ""  # what the submission printed, and notes about the run
    seconds: float = 0.0
    protections_off: dict[str, str] = field(default_factory=dict)
    error: str = ""  # set when the submission could not be loaded at all
    submission_digest: str = ""  # sha256 of what was graded, so a rerun knows whether it is current
    raw: object = field(default=None, repr=False, compare=False)  # the worker's raw values, for reports

    @property
    def score(self) -> float:
        return round(sum(test.score for test in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(test.max_score for test in self.tests), 6)

    def to_gradescope(self) -> dict:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.seconds, 3),
            "output": self.output,
            "output_format": "text",
            "visibility": "visible",
            "stdout_visibility": "visible",
            "extra_data": {
                "student": self.student,
                "protections_off": self.protections_off,
                "error": self.error,
                "submission_sha256": self.submission_digest,
            },
            "tests": [test.to_gradescope(i + 1) for i, test in enumerate(self.tests)],
        }

    def write(self, path: Path) -> None:
        write_atomically(path, json.dumps(self.to_gradescope(), indent=2).encode())

    @classmethod
    def read(cls, path: Path) -> Result:
        """A result written by `write` (for gradebooks and resumed batches)."""
        document = json.loads(Path(path).read_text())
        tests = [
            TestResult(
                t["name"],
                (t.get("tags") or [t["name"].split(":")[0]])[0],
                float(t["score"]),
                float(t["max_score"]),
                t.get("output", ""),
            )
            for t in document["tests"]
        ]
        extra = document.get("extra_data") or {}
        return cls(
            extra.get("student", Path(path).stem),
            tests,
            document.get("output", ""),
            float(document.get("execution_time", 0.0)),
            extra.get("protections_off") or {},
            extra.get("error", ""),
            extra.get("submission_sha256", ""),
        )

    def summary(self) -> dict:
        return {"student": self.student, "score": self.score, "max_score": self.max_score} | {
            "failed": [t.name for t in self.tests if not t.passed]
        }
