"""The contract between the engine and an exercise pack: every callable a pack gives, in one place.

A pack is data (`pack.Pack`, `pack.Test`, and the `Case`s and `Inputs` below) and a few
callables. Each callable's signature is a Protocol below, with what it gets, what it returns and
when the engine calls it.
Everything a callable gets from a run is plain data: `wire.Tensor`, `wire.Record`, lists, numbers,
strings; never a live object of the student's. The shared vocabulary for writing checks is
`autograder.engine.kit`.

Where each callable runs:
- `InputsOf`, `Screen`, `Selects`, `PerCase`, `PerCaseWithOutcome`, `Across`, `Hint`, `ErrorHint`,
  `Report`, `Demo`: in the trusted process that judges, which never imports torch per submission.
- The pack's `Fixtures` class (`engine/fixtures.py`): inside the worker's template, once; it turns
  each argument spec into a value. A pack adds argument kinds and drivers there with `@kind` and
  `@driver`, in a module of its own.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

# --- the data a pack's callables get and give ----------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One call of one function. `args` and `globals` are argument specs (`{"kind": ..., ...}`) that
    the worker's fixtures turn into fresh values; `driver` says how to call (None: `f(*args)`)."""

    id: str
    function: str
    args: tuple[dict, ...]
    seed: int = 0
    about: str = ""  # the input in words, for feedback
    group: str = ""  # which tests look at it
    extra: dict = field(default_factory=dict)  # facts the checks use (model, seq_len, ...)
    globals: dict = field(default_factory=dict)
    driver: dict | None = None
    secret: bool = False  # drawn from a secret: feedback must not print its whole expected answer

    def request(self) -> dict:
        request = {"id": self.id, "args": list(self.args), "seed": self.seed, "globals": self.globals}
        return request | ({"driver": self.driver} if self.driver else {})


@dataclass(frozen=True)
class Failure:
    """What a check says is wrong on an input drawn from a secret: a summary that gives no expected
    answer away, and the details (shown after the due date). A check may also return a plain str."""

    summary: str
    details: str = ""


@dataclass
class Inputs:
    """What every submission is called on: plain data the worker builds its fixtures from, the
    tensors it refers to, and the cases."""

    catalog: dict
    tensors: dict  # name -> numpy array
    cases: tuple[Case, ...]

    def of(self, function: str) -> list[Case]:
        return [case for case in self.cases if case.function == function]

    @functools.cached_property
    def digest(self) -> str:
        import numpy as np

        h = hashlib.sha256(json.dumps(self.catalog, sort_keys=True).encode())
        h.update(json.dumps([c.request() | {"f": c.function} for c in self.cases], sort_keys=True).encode())
        for name in sorted(self.tensors):
            h.update(name.encode())
            h.update(np.ascontiguousarray(self.tensors[name]).tobytes())
        return h.hexdigest()


@dataclass(frozen=True)
class Answer:
    """The reference's answer on one case, as the checks see it.

    `value` is what the reference returned; `args` the per-call arguments it was called with, after
    the call (shared fixtures such as a model left out), so a check can explain an answer from its
    input; `inputs` what the fixtures say of each argument for reports (the tokens behind a cache)."""

    value: Any
    args: tuple = ()
    inputs: tuple = ()

    @classmethod
    def of(cls, outcome: dict) -> Answer:
        """The answer in a reference outcome as the worker sent it."""
        return cls(outcome.get("value"), tuple(outcome.get("args") or ()), tuple(outcome.get("inputs") or ()))


class InputsOf(Protocol):
    def __call__(self, secret: str | None) -> Inputs:
        """Every case a submission is called on: the public ones (`secret` None, what `check`
        uses), or a draw from the course's secret (`grade --secret`). Deterministic in `secret`.
        A pack with `redraws` also takes `attempt` (1, 2, ...): a new draw from the same secret,
        asked for when its screen left a test without inputs.
        Cases drawn from a secret say so (`Case.secret`): their feedback must not give the
        expected answer away."""


class Screen(Protocol):
    def __call__(self, inputs: Inputs, reference: Any) -> Inputs:
        """Drops drawn cases the reference's answers show unfit (a score too near a threshold),
        after the reference ran and before any submission is judged. `reference.outcomes` maps a
        case id to the worker's outcome document."""


class Selects(Protocol):
    def __call__(self, case: Case) -> bool:
        """Whether a test looks at this case (`kit.every`, `kit.group("shapes")`, ...)."""


class PerCase(Protocol):
    def __call__(self, case: Case, got: Any, want: Answer) -> str | Failure | None:
        """What is wrong with the answer `got` on one case, or None.

        Say it as a sentence the student can act on ("shape [3, 4], expected [4, 3]
        (transposed)"). On a case drawn from a secret (`case.secret`), say what is wrong without
        the expected answer and without a figure that measures the distance to it: return
        `kit.say(case, summary, details)` or a `Failure`; the details are shown after the due
        date. The judge prefixes "On <case.about>: "."""


class PerCaseWithOutcome(Protocol):
    def __call__(self, case: Case, got: Any, want: Answer, outcome: dict) -> str | Failure | None:
        """A `PerCase` that also reads the submission's whole outcome document (`Test.with_outcome`):
        `outcome["stand_in_calls"]` says which other exercise functions it called."""


class Across(Protocol):
    def __call__(self, answers: list[tuple[Case, Any, Answer]]) -> str | Failure | None:
        """What is wrong across every case of a test that came back, or None: an answer that does
        not change with the input where the reference's does, the same draw under two seeds."""


class Hint(Protocol):
    def __call__(self, answers: list[tuple[Case, Any, Answer]]) -> str | None:
        """The usual mistake that explains every answer of one function, in words ("the sign is
        flipped"), or None. Called once per function; shown under each failing test."""


class ErrorHint(Protocol):
    def __call__(self, function: str, error: dict) -> str | None:
        """A hint for an exception the student's function raised (`error["type"]`,
        `error["message"]`), or None. The engine already explains NotImplementedError, a wrong
        signature, a NameError and sys.exit()."""


class Report(Protocol):
    def __call__(self, result: Any, grader: Any) -> list[tuple[str, str]]:
        """The pack's sections of the HTML report, as (heading, HTML body), for one graded
        submission (`result.raw`: its raw values of `Pack.report_cases`; `grader.reference`:
        the reference's). Everything the student wrote must be escaped."""


class Demo(Protocol):
    def __call__(self, pack: Any, model: str) -> list[str]:  # pack: the `pack.Pack` itself
        """The lines `autograder demo` prints: the reference's answers on a model, for instructors."""
