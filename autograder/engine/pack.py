"""An exercise pack: everything the engine grades, declared as data.

A pack names its functions (parameters, the notebook globals each may read, the other exercise
functions each calls), the inputs they are called on (fixtures and cases, public or drawn from a
secret), the tests with their points, the hints that name mistakes, and optionally sections of the
HTML report and a demo. The engine enumerates these and knows no exercise of its own.

The shipped packs live in `autograder/packs/`; a course ships its own as a Python package that
names its `Pack` in the entry-point group `autograder.packs` (`autograder new-exercise` writes one).
"""

from __future__ import annotations

import functools
import hashlib
import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from autograder.engine.contract import (
    Across,
    Demo,
    ErrorHint,
    Hint,
    InputsOf,
    PerCase,
    PerCaseWithOutcome,
    Report,
    Screen,
    Selects,
)

# Case, Failure and Inputs are declared in the contract (its callables get and give them) and named
# here too, beside the rest of a pack's data.
from autograder.engine.contract import Case as Case
from autograder.engine.contract import Failure as Failure
from autograder.engine.contract import Inputs as Inputs

ENTRY_POINTS = "autograder.packs"
DEFAULT = "induction_heads"
NO_DEFAULT = object()


@dataclass(frozen=True)
class Param:
    """A parameter of an exercise function: its name, what the grader passes, and its default."""

    name: str
    kind: str = "value"  # in words for the contract: "model", "cache", "int", "tensor", ...
    default: Any = NO_DEFAULT


@dataclass(frozen=True)
class Function:
    """An exercise function, as its stub declares it."""

    name: str
    params: tuple[Param, ...]
    globals: tuple[str, ...] = ()  # notebook globals the grader binds before each call
    stand_ins: tuple[str, ...] = ()  # exercise functions it calls: the reference's, while it is judged
    # Other names the course's notebooks give it (ARENA 3.0's head_zero_ablation_hook, say): a file
    # that defines it only under one of these is graded under that name.
    aliases: tuple[str, ...] = ()
    # Its answer may take other forms than the reference's that the tests accept alike (a float as a
    # 0-d tensor or a numpy float; scores reshaped): where a function that calls it is judged, its
    # stand-in answers in the form of the student's own function, whose callers are written for it.
    own_form: bool = False

    def signature(self) -> str:
        shown = (p.name if p.default is NO_DEFAULT else f"{p.name}={p.default!r}" for p in self.params)
        return f"def {self.name}({', '.join(shown)})"

    def parameters(self) -> list[list]:
        """[[name], [name, default], ...]: the form the worker binds stand-in calls with."""
        return [[p.name] if p.default is NO_DEFAULT else [p.name, p.default] for p in self.params]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def every(case: Case) -> bool:
    """Selects every case of the test's function."""
    return True


@dataclass(frozen=True, kw_only=True)
class Test:
    """What one function must get right, worth `points`, judged on the cases it `selects`.

    `per_case(case, got, want)` (with `with_outcome`: `(case, got, want, outcome)`) and
    `across(answers)` return what is wrong, or None; `got` is a plain value (`wire.Tensor`,
    `wire.Record`, lists, ...) and `want` the reference's `contract.Answer`. The signatures are
    in `contract.py`.

    A `format_only` test checks what an answer that knows nothing of its input can also have (a
    shape, a dtype, a row filled, a head zeroed). It pays only on evidence that the answer is
    computed from the input: on a case where a value test (one that is not `format_only`) of the
    same function passed, or where the answer varies as the reference's does (`kit.varies_like`,
    or answers that differ between inputs where the reference's do; see `judge.py`)."""

    __test__ = False  # not a pytest test class

    function: str
    name: str
    points: float
    selects: Selects = every
    per_case: PerCase | PerCaseWithOutcome | None = None
    across: Across | None = None
    with_outcome: bool = False
    format_only: bool = False

    @property
    def title(self) -> str:
        return f"{self.function}: {self.name}"


@dataclass(kw_only=True)
class Pack:
    """An exercise. See the module docstring; `autograder/packs/induction_heads` is the example,
    `docs/authoring.md` the guide, `contract.py` the callables' signatures."""

    # What it is: a name (the `--exercise` and the entry point's), a title, the functions to write.
    name: str
    title: str
    functions: tuple[Function, ...]

    # How it is graded: the tests with their points, the inputs, the mistakes named.
    tests: tuple[Test, ...]
    inputs: InputsOf  # public inputs (None), or drawn from a secret
    screen: Screen | None = None  # drops drawn cases the reference shows unfit
    hints: dict[str, Hint] = field(default_factory=dict)  # function -> names its usual mistake
    error_hint: ErrorHint | None = None  # explains an exception the student's function raised
    # How many times a secret's draw may be drawn again, when the screen leaves a test without
    # inputs: `inputs(secret, attempt)` is then a new draw, the same for every grader of the course.
    redraws: int = 0

    # Where its files are: the pack's folder, the single source, what the build writes.
    package: Path  # hidden from the worker; part of the pack's digest
    solution: Path  # the reference code between ### BEGIN/END SOLUTION
    exercise: Path  # the student's file (.py, and .ipynb beside it)
    nbgrader_source: Path | None = None  # the nbgrader source notebook, if the course uses nbgrader

    # What the worker needs: the module whose `Fixtures` builds the inputs, what its template
    # imports once for every submission, and files it may read besides Python (a model's weights).
    fixtures: str = "autograder.engine.fixtures"  # "module" or "module:Class"
    preload: tuple[str, ...] = ()
    readable: tuple[Path, ...] = ()

    # What it shows besides the tests: sections of the HTML report (and the cases whose raw
    # values they need), and the `autograder demo` lines.
    report: Report | None = None
    report_cases: tuple[str, ...] = ()
    demo: Demo | None = None

    def function(self, name: str) -> Function:
        for function in self.functions:
            if function.name == name:
                return function
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.functions]

    def tests_of(self, function: str) -> list[Test]:
        return [test for test in self.tests if test.function == function]

    def points_of(self, function: str) -> float:
        return sum(test.points for test in self.tests_of(function))

    @functools.cached_property
    def digest(self) -> str:
        """Changes with any file of the pack and with its reference solution."""
        h = hashlib.sha256(self.name.encode())
        for path in sorted(self.package.rglob("*.py")):
            h.update(str(path.relative_to(self.package)).encode())
            h.update(path.read_bytes())
        if self.solution.exists():
            h.update(self.solution.read_bytes())
        return h.hexdigest()


class InputsUnfit(ValueError):
    """No draw from a secret gave every test inputs that pass the pack's screen."""


class UnknownExercise(ValueError):
    """No installed pack has that name."""


@functools.cache
def packs() -> dict[str, Pack]:
    """Every exercise, by name: the packs shipped in `autograder/packs/`, and those other packages
    register in the entry-point group `autograder.packs`."""
    import importlib

    found = {}
    shipped = Path(__file__).resolve().parent.parent / "packs"
    for folder in sorted(shipped.iterdir()):
        if (folder / "__init__.py").exists():
            pack = importlib.import_module(f"autograder.packs.{folder.name}").PACK
            found[pack.name] = pack
    for entry in entry_points(group=ENTRY_POINTS):
        try:
            pack = entry.load()
        except Exception as error:  # one course's broken pack must not stop every other exercise
            print(
                f"warning: the exercise pack {entry.name} ({entry.value}) cannot be loaded: {error}",
                file=sys.stderr,
            )
            continue
        if not isinstance(pack, Pack):
            print(
                f"warning: the entry point {entry.name} = {entry.value} is not an autograder Pack",
                file=sys.stderr,
            )
            continue
        found.setdefault(pack.name, pack)
    return found


def get(name: str | None = None) -> Pack:
    name = name or DEFAULT
    available = packs()
    if name not in available:
        raise UnknownExercise(
            f"no exercise named {name!r}; installed: {', '.join(sorted(available))} "
            "(python -m autograder exercises lists them)"
        )
    return available[name]


def for_file(path: Path | None, fallback: str | None = None) -> Pack:
    """The pack a submission file is for: the one named by its stem, else `fallback`, else the default."""
    if path is not None and Path(path).stem in packs():
        return packs()[Path(path).stem]
    return get(fallback)
