"""The pack author's kit: the words checks are written in, shared by every pack.

A check gets a case, what the submission returned (`got`, plain data) and the reference's answer
(`want`, a `contract.Answer`), and returns what is wrong in a sentence, or None. This module holds
what every pack needs for that:

- selectors for `Test.selects`: `every`, `group`, `extra_is`, `extra_is_not`;
- descriptions: `what` (what came back, in words), `fmt` (an array, short), `expected_got`;
- secrecy: `say` (all of a message on a public input; on one drawn from a secret, the summary now
  and the details after the due date);
- tensors: `floats`, `close`, `shape_problem`, `allclose_problem` ("3 of 12 scores differ ...");
- numbers: `number` (a float however it came: `.item()`, a numpy float, a 0-d tensor), `number_problem`;
- factored matrices: `factored` (a `wire.Factored`, or a plain matrix taken as its product),
  `factored_problem` (compared by product, shape and transpose, never by factoring);
- head lists: `heads` ("layer.head" labels, validated), `order`, `show_labels`, `compare_labels`;
- evidence: `same_answer` and `varies_like`, which the judge uses to pay a `format_only` test only
  for answers that change with their input as the reference's do.

Messages on inputs drawn from a secret never carry a figure measured against the expected answer
(a gap, a position, a count of wrong entries): such a figure can be probed over many submissions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.engine.contract import Answer
from autograder.engine.pack import Case, Failure, Test, every
from autograder.engine.wire import Factored, Tensor, is_record

__all__ = [
    "Answer",
    "Case",
    "Factored",
    "Failure",
    "Test",
    "allclose_problem",
    "close",
    "compare_labels",
    "every",
    "expected_got",
    "extra_is",
    "extra_is_not",
    "factored",
    "factored_problem",
    "floats",
    "fmt",
    "group",
    "heads",
    "number",
    "number_problem",
    "order",
    "same_answer",
    "varies_like",
    "say",
    "shape_problem",
    "show_labels",
    "what",
]


# --- selectors ---------------------------------------------------------------------------------


def group(*groups: str) -> Callable[[Case], bool]:
    """Selects the cases of these groups (`Case.group`)."""
    return lambda case: case.group in groups


def extra_is(key: str, value: Any) -> Callable[[Case], bool]:
    """Selects the cases whose `extra[key]` is `value` (`extra_is("model", "default")`)."""
    return lambda case: case.extra.get(key) == value


def extra_is_not(key: str, value: Any) -> Callable[[Case], bool]:
    return lambda case: case.extra.get(key) != value


# --- descriptions ------------------------------------------------------------------------------


def what(value: Any) -> str:
    """What came back, in words: "a tensor of shape [2, 3] and dtype float32", "a list of 4 items"."""
    if isinstance(value, Tensor):
        return f"a {value.kind} of shape {list(value.shape)} and dtype {value.dtype}"
    if isinstance(value, Factored):
        return f"a FactoredMatrix of shape {list(value.shape)}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if is_record(value, "ActivationCache"):
        return "an ActivationCache"
    return f"{type(value).__name__ if not hasattr(value, 'cls') else value.cls} {str(value)[:60]!r}"


def fmt(values: Any, edgeitems: int = 4, precision: int | None = None) -> str:
    """An array on one line, its middle elided when long: "[1, 2, 3, ..., 8, 9, 10]"."""
    text = np.array2string(
        np.asarray(values), threshold=12, edgeitems=edgeitems, precision=precision, separator=", "
    )
    return " ".join(text.split())


def expected_got(expected: Any, got: Any) -> str:
    return f"expected {expected}, got {got}"


def say(case: Case, summary: str, details: str = "") -> str | Failure:
    """The message for a failed case: all of it on a public input; on a secret one, the summary now
    and the details (expected values included) after the due date."""
    if not case.secret:
        return summary + details
    return Failure(summary, summary + details)


# --- tensors -----------------------------------------------------------------------------------


def floats(got: Any) -> np.ndarray | None:
    """The values of a float tensor, as float64, or None."""
    if isinstance(got, Tensor) and got.dtype.startswith(("float", "bfloat")):
        return got.values.astype(np.float64)
    return None


def close(got: np.ndarray, want: np.ndarray, tolerance: dict) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, **tolerance))


def shape_problem(
    shape: tuple, expected: tuple, why: dict[tuple, str] | None = None, named: str = ""
) -> str | None:
    """ "shape [3, 4], expected [4, 3] (transposed ...)", naming the usual mistake from `why`
    (shape -> " (what it means)"); `named` spells the expected shape out ("= [seq - 1, ...]")."""
    if tuple(shape) == tuple(expected):
        return None
    return f"shape {list(shape)}, expected {list(expected)}{named}{(why or {}).get(tuple(shape), '')}"


def allclose_problem(
    case: Case,
    got: np.ndarray,
    want: np.ndarray,
    tolerance: dict,
    noun: str,
    label: Callable[[tuple], str] = lambda index: f"index {[int(i) for i in index]}",
    noticed: dict | None = None,
) -> str | Failure | None:
    """None when `got` is close to `want` (same shape); else how many of the `noun` differ (by more
    than the `noticed` tolerance, `tolerance` if None) and by how much at the worst entry, which
    `label` names. On a secret input, only that they differ: the count, the gap and the values
    follow after the due date."""
    if close(got, want, tolerance):
        return None
    if got.shape != want.shape:
        return f"{noun} of shape {list(got.shape)}, expected {list(want.shape)}"
    if np.isnan(got).any():
        return f"{int(np.isnan(got).sum())} of the {got.size} {noun} are NaN"
    gap = np.abs(got - want)
    worst = np.unravel_index(int(np.argmax(gap)), gap.shape)
    noticed = noticed or tolerance
    count = int((gap > noticed.get("atol", 1e-8) + noticed.get("rtol", 1e-5) * np.abs(want)).sum())
    measured = f"{count} of {want.size} {noun} differ from the reference's, by up to {gap[worst]:.3g}"
    details = f" (at {label(worst)}: got {got[worst]:.5g}, expected {want[worst]:.5g})"
    if want.size <= 16:  # the whole answer, where it is short enough to read
        details += f"; got {fmt(got, 3, 4)}, expected {fmt(want, 3, 4)}"
    if not case.secret:
        return measured + details
    return Failure(f"the {noun} differ from the reference's", measured + details)


# --- numbers -----------------------------------------------------------------------------------


def number(got: Any) -> float | None:
    """A returned number as a float, however it was returned: a python float or int, `.item()`, a
    numpy float (the worker sends it as the number it holds), or a tensor of one element (0-d, or
    [1]); None for anything else (a bool, a string, a tensor of more elements)."""
    if isinstance(got, bool):
        return None
    if isinstance(got, (int, float)):
        return float(got)
    if isinstance(got, Tensor) and got.values.size == 1 and got.values.dtype.kind in "iuf":
        return float(got.values.reshape(()))
    return None


def number_problem(
    case: Case,
    got: Any,
    expected: float,
    tolerance: dict,
    noun: str,
    why: Callable[[float], str] | None = None,
) -> str | Failure | None:
    """None when `got` is a number close to `expected` (`atol`, `rtol` as numpy's); else what is
    wrong: not a number, NaN, or "the top-1 accuracy is 0.42, expected 0.55" (on a secret input, the
    expected value after the due date). `why(value)` may name the mistake the value points to ("" if
    none)."""
    value = number(got)
    if value is None:
        return f"returned {what(got)}, expected the {noun} as a number (a float, or a tensor's .item())"
    if np.isnan(value):
        return f"the {noun} is NaN"
    if abs(value - expected) <= tolerance.get("atol", 1e-8) + tolerance.get("rtol", 1e-5) * abs(expected):
        return None
    named = why(value) if why is not None else ""
    return say(
        case,
        f"the {noun} is {value:.6g}{named}" + ("; not the reference's" if case.secret else ""),
        f"; expected {expected:.6g}",
    )


# --- factored matrices ---------------------------------------------------------------------------

ROWS_SAMPLED = 64  # rows of a product compared entry by entry; the whole product is compared by norm


class _Product(Factored):
    """A plain matrix taken as a factored one (A its values, B the identity), computed as itself."""

    __slots__ = ()

    @property
    def AB(self):  # noqa: N802
        return self.A.astype(np.float64)

    def rows(self, index):
        return self.A[..., index, :].astype(np.float64)

    def probe(self, vector):
        return np.einsum("...ij,j->...i", self.A.astype(np.float64), vector)

    @property
    def T(self) -> Factored:  # noqa: N802
        transposed = self.A.swapaxes(-1, -2)
        return _Product(transposed, np.eye(transposed.shape[-1], dtype=np.float32), self.dtype, self.device)


def factored(got: Any) -> Factored | None:
    """A returned matrix as a `Factored`: a FactoredMatrix as it came, or a plain float tensor of at
    least 2 dimensions taken as its own product (a student who returned `.AB` returned the same
    matrix); None for anything else."""
    if isinstance(got, Factored):
        return got
    values = floats(got)
    if values is not None and values.ndim >= 2:
        eye = np.broadcast_to(np.eye(values.shape[-1], dtype=np.float32), (values.shape[-1],) * 2)
        return _Product(values, eye, got.dtype, got.device)
    return None


def _gap(x: Factored, y: Factored) -> tuple[float, float]:
    """‖x − y‖_F and ‖y‖_F of two products of the same shape, from the factors: (A₁B₁ − A₂B₂) =
    [A₁, −A₂] [B₁; B₂], whose squared norm is Σ (LᵀL) ∘ (RRᵀ). Cheap for thin factors; the product is
    formed only where the factors are not thinner than it."""
    shape = np.broadcast_shapes(x.shape, y.shape)
    if x.mdim + y.mdim >= min(shape[-2], shape[-1]):
        reference = y.AB
        difference = x.AB - reference
        return float(np.linalg.norm(difference.ravel())), float(np.linalg.norm(reference.ravel()))
    batch = shape[:-2]
    xa, xb = (np.broadcast_to(f.astype(np.float64), (*batch, *f.shape[-2:])) for f in (x.A, x.B))
    ya, yb = (np.broadcast_to(f.astype(np.float64), (*batch, *f.shape[-2:])) for f in (y.A, y.B))
    left = np.concatenate([xa, -ya], axis=-1)
    right = np.concatenate([xb, yb], axis=-2)
    return float(np.sqrt(max(_gram(left, right), 0.0))), float(np.sqrt(max(_gram(ya, yb), 0.0)))


def _gram(a: np.ndarray, b: np.ndarray) -> float:
    """‖a b‖²_F as Σ (aᵀa) ∘ (b bᵀ): small matrices of the inner dimension. matmul, not einsum: ten
    times faster for a vocabulary-long factor (einsum does not use BLAS)."""
    return float(((a.swapaxes(-1, -2) @ a) * (b @ b.swapaxes(-1, -2))).sum())


def _sample(rows: int, count: int = ROWS_SAMPLED) -> list[int]:
    """Rows spread over the whole matrix, the first and last included (the same rows every time)."""
    return sorted({int(i) for i in np.linspace(0, rows - 1, min(rows, count))})


def _gap_bound(x: Factored, y: Factored) -> float | None:
    """An upper bound on ‖x − y‖_F where both are factored alike (factors of the same shapes), from
    the factors alone: A₁B₁ − A₂B₂ = (A₁ − A₂)B₁ + A₂(B₁ − B₂), so per matrix of a batch
    ‖·‖ ≤ ‖ΔA‖‖B₁‖ + ‖A₂‖‖ΔB‖. Most right answers are factored as the reference is, and then the
    bound (a few norms of thin factors) settles what the products' Gram matrices otherwise would.
    None where the factors differ in shape, or the answer is a plain matrix."""
    if isinstance(x, _Product) or isinstance(y, _Product) or x.A.shape != y.A.shape or x.B.shape != y.B.shape:
        return None
    xa, xb, ya, yb = (f.astype(np.float64) for f in (x.A, x.B, y.A, y.B))

    def norms(m: np.ndarray) -> np.ndarray:  # Frobenius norm of each matrix of a batch
        return np.sqrt(np.einsum("...ij,...ij->...", m, m))

    each = norms(xa - ya) * norms(xb) + norms(ya) * norms(xb - yb)
    return float(np.sqrt(np.sum(np.square(each))))


def _norm(y: Factored) -> float:
    """‖y‖_F from its factors: Σ (AᵀA) ∘ (BBᵀ), cheap for thin factors."""
    if y.mdim >= min(y.ldim, y.rdim):  # a plain matrix too (its factor B is the identity)
        return float(np.linalg.norm(y.AB.ravel()))
    a, b = (np.broadcast_to(f.astype(np.float64), (*y.shape[:-2], *f.shape[-2:])) for f in (y.A, y.B))
    return float(np.sqrt(max(_gram(a, b), 0.0)))


def _same_product(got: Factored, want: Factored, tolerance: dict) -> bool:
    if got.shape != want.shape:
        return False
    rows = _sample(want.ldim)
    if not np.allclose(got.rows(rows), want.rows(rows), **tolerance):
        return False
    # The whole product, by its norm: as tight as the entries' tolerance over all of them.
    allowed = tolerance.get("rtol", 1e-5) * _norm(want) + tolerance.get("atol", 1e-8) * np.sqrt(
        np.prod(want.shape)
    )
    bound = _gap_bound(got, want)
    if bound is not None and bound <= allowed:
        return True
    return _gap(got, want)[0] <= allowed


def factored_problem(
    case: Case, got: Any, want: Factored, tolerance: dict, noun: str = "matrix", products: bool = True
) -> str | Failure | None:
    """None when `got` means the same matrix as `want`: the same shape and product (entries within
    `tolerance` on a sample of rows, and the whole product within it by norm), however it is factored.
    Else what is wrong, naming a transposed answer ("the transpose of the expected matrix"). With
    `products`, a plain tensor holding the product counts as the matrix itself."""
    matrix = factored(got) if products else (got if isinstance(got, Factored) else None)
    if matrix is None:
        return f"returned {what(got)}, expected the {noun} as a FactoredMatrix of shape {list(want.shape)}"
    if _same_product(matrix, want, tolerance):
        return None
    transposed = matrix.T
    if transposed.shape == want.shape and _same_product(transposed, want, tolerance):
        shapes = (
            f": shape {list(matrix.shape)}, expected {list(want.shape)}"
            if transposed.shape != matrix.shape
            else ""
        )
        return f"the {noun} is the transpose of the expected one (rows and columns swapped{shapes})"
    if matrix.shape != want.shape:
        return f"the {noun} has shape {list(matrix.shape)}, expected {list(want.shape)}"
    if not np.isfinite(matrix.rows(_sample(matrix.ldim))).all():
        return f"the {noun} holds NaN or infinite entries"
    gap, size = _gap(matrix, want)
    measured = f"the {noun} differs from the reference's (relative gap {gap / max(size, 1e-30):.3g} by norm)"
    rows = _sample(want.ldim, 2)
    begins, expected = fmt(matrix.rows(rows)[..., :4], 3, 4), fmt(want.rows(rows)[..., :4], 3, 4)
    details = f"; its first rows begin {begins}, expected {expected}"
    if not case.secret:
        return measured + details
    return Failure(f"the {noun} differs from the reference's", measured + details)


# --- head lists --------------------------------------------------------------------------------

LABEL = re.compile(r"(\d{1,4})\.(\d{1,4})")


def heads(got: Any, shape: tuple[int, int]) -> set[str] | str:
    """The submission's answer as a set of "layer.head" labels of a model of `shape` (layers,
    heads), or what is wrong with it (in time linear in its length, capped by the number of heads)."""
    if not isinstance(got, (list, tuple)):
        return f'returned {what(got)}, expected a list of "layer.head" strings'
    if len(got) > shape[0] * shape[1]:
        return f"{len(got)} labels, more than this model's {shape[0] * shape[1]} heads"
    labels = []
    for item in got:
        if not isinstance(item, str):
            return f'the list holds {what(item)}; each item must be a string such as "1.4"'
        match = LABEL.fullmatch(item)
        if not match:
            return f'{item[:40]!r} is not of the form "layer.head" (e.g. "1.4")'
        layer, head = int(match[1]), int(match[2])
        if layer >= shape[0] or head >= shape[1] or item != f"{layer}.{head}":
            return f"{item!r} is not a head of this model ({shape[0]} layers of {shape[1]} heads)"
        labels.append(item)
    twice = [label for label, count in Counter(labels).items() if count > 1]
    if twice:
        return f"{sorted(twice)[0]!r} is listed twice"
    return set(labels)


def order(labels) -> list[str]:
    """ "layer.head" labels by layer, then head ("1.10" after "1.9")."""
    return sorted(labels, key=lambda x: tuple(int(p) for p in x.split(".")))


def show_labels(labels) -> str:
    if not labels:
        return "[] (no heads)"
    ordered = order(labels)
    if len(ordered) > 8:
        return "[" + ", ".join(ordered[:8]) + f", ... ({len(ordered)} heads)]"
    return "[" + ", ".join(ordered) + "]"


def compare_labels(expected: set[str], found: set[str]) -> str | None:
    """None when the sets agree; else "expected [0.1, 1.4], got [1.4]"."""
    if found == expected:
        return None
    return expected_got(show_labels(expected), show_labels(found))


# --- evidence ----------------------------------------------------------------------------------


def same_answer(a: Any, b: Any) -> bool:
    """Whether two answers are the same, values and shapes: tensors by their values, lists, tuples
    and dicts item by item, anything else by equality."""
    if a is b:  # the same answer object (an answer compared with itself): no product to form
        return True
    if isinstance(a, Factored) or isinstance(b, Factored):  # by what they mean: shape and product
        if not (isinstance(a, Factored) and isinstance(b, Factored) and a.shape == b.shape):
            return False
        # The products times two fixed random vectors: equal products give equal probes, and two
        # different products almost surely do not; the products themselves are never formed.
        probes = np.random.default_rng(0).standard_normal((2, a.rdim))
        return all(np.allclose(a.probe(v), b.probe(v), rtol=1e-9, atol=0, equal_nan=True) for v in probes)
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return (
            isinstance(a, Tensor)
            and isinstance(b, Tensor)
            and a.shape == b.shape
            and bool(np.array_equal(a.values, b.values, equal_nan=a.values.dtype.kind in "fc"))
        )
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_answer(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):  # {"Q": tensor, ...}: item by item, as lists are
        return a.keys() == b.keys() and all(same_answer(a[key], b[key]) for key in a)
    try:
        return bool(a == b)
    except Exception:  # a record without equality: never taken for evidence of a difference
        return True


def varies_like(got: Any, want: Any) -> bool:
    """Whether a tensor's entries vary as the reference's do (a correlation of at least 0.5 either
    way, a flipped sign included): an answer computed from the input, even a wrong one. A constant,
    or a tensor made from the input's shape alone (zeros, `z * 0`, a filled row), does not."""
    got_values, want_values = floats(got), floats(want)
    if got_values is None or want_values is None or got_values.shape != want_values.shape:
        return False
    a, b = got_values.ravel(), want_values.ravel()
    if a.size < 2 or not (np.isfinite(a).all() and np.isfinite(b).all()) or a.std() == 0 or b.std() == 0:
        return False
    return abs(float(np.corrcoef(a, b)[0, 1])) >= 0.5
