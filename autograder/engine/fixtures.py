"""Fixtures: what a call's arguments are made of, inside the worker. A pack names a subclass.

The judge describes every argument as plain data, an argument spec `{"kind": ..., ...}`; the
worker's `Fixtures` turns each spec into a fresh value, by the kind's name. This base knows plain
values and tensors and the "call" driver; `autograder/transformer_lens/fixtures.py` adds models,
caches and the "hook" driver. Fixtures hold inputs only: no expected value, no reference code.

A pack adds its own argument kinds and drivers in a module of its own, without editing this one or
another pack's: a subclass (of this class, or of the TransformerLens one) whose methods are marked
`@kind("name")` (spec -> a fresh value) or `@driver("name")`, named by the pack's `fixtures`
("mypack.fixtures", or "mypack.fixtures:ClassName").
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch as t


def kind(name: str) -> Callable:
    """Marks a method of a `Fixtures` subclass as what builds the argument kind `name`:
    `(self, spec) -> a fresh value`, for the specs `{"kind": name, ...}` of the pack's cases."""

    def mark(method: Callable) -> Callable:
        method.fixture_kind = name
        return method

    return mark


def driver(name: str) -> Callable:
    """Marks a method of a `Fixtures` subclass as the driver `name`: how a case whose `driver` is
    `{"name": name, ...}` calls the function, `(self, function, args, case, namespace) -> value`."""

    def mark(method: Callable) -> Callable:
        method.fixture_driver = name
        return method

    return mark


class Fixtures:
    # torch's grad mode as each run of a submission starts, as in the students' notebooks: Python's
    # default here; a subclass whose course turns gradients off in its setup cell says False.
    grad_enabled: bool = True

    def __init__(self, catalog: dict, tensors: dict[str, t.Tensor]):
        self.catalog, self.tensors = catalog, tensors
        # Argument kinds by name: spec -> a fresh value.
        self.kinds: dict[str, Callable[[dict], Any]] = {"value": self.value, "tensor": self.tensor}
        # Drivers by name: how a case calls the function; (function, args, case, namespace) -> value.
        self.drivers: dict[str, Callable] = {"call": self.call}
        for cls in reversed(type(self).__mro__):  # a subclass's marked methods, the nearest last
            for attribute, member in vars(cls).items():
                if hasattr(member, "fixture_kind"):
                    self.kinds[member.fixture_kind] = getattr(self, attribute)
                if hasattr(member, "fixture_driver"):
                    self.drivers[member.fixture_driver] = getattr(self, attribute)

    def build(self, spec: dict) -> Any:
        kind = spec.get("kind", "value")
        if kind not in self.kinds:
            raise ValueError(f"unknown argument kind {kind!r}")
        return self.kinds[kind](spec)

    def value(self, spec: dict) -> Any:
        return copy.deepcopy(spec.get("value"))

    def tensor(self, spec: dict) -> t.Tensor:
        tensor = self.tensors[spec["ref"]].clone()
        return tensor.to(getattr(t, spec["dtype"])) if spec.get("dtype") else tensor

    def call(self, function: Callable, args: list, case: dict, namespace: dict) -> Any:
        return function(*args)

    def drive(self, function: Callable, args: list, case: dict, namespace: dict) -> Any:
        driver = (case.get("driver") or {}).get("name", "call")
        if driver not in self.drivers:
            raise ValueError(f"unknown driver {driver!r}")
        return self.drivers[driver](function, args, case, namespace)

    def restore(self) -> None:
        """Puts back anything a call changed that the next call shares (a model's weights, say)."""

    def watched(self) -> list[Any]:
        """Modules and classes that functions share and could patch (`t.randint = ...`,
        `t.Tensor.diagonal = ...`). Where one function's calls change an attribute of one of them,
        the functions after it are judged in a fresh worker (see worker.Unit). A subclass adds the
        libraries its exercises use."""
        return [t, t.Tensor, t.nn, t.nn.Module, t.nn.functional, t.linalg, t.fft, t.random]

    def key(self, value: Any) -> Any | None:
        """A plain-data name for a value a stand-in was called with (a model's catalog name), or None."""
        return None

    def encode(self, value: Any, encoder) -> dict | None:
        """A return value of a kind the engine does not know, as a document (tensors through
        `encoder.tensor(value, "tensor")`); None to let the engine describe it."""
        return None

    def rebuild(self, document: dict, to_torch: Callable[[Any], Any]) -> Any | None:
        """The inverse of `encode`, for a stand-in's recorded result: a document this class encoded,
        as a fresh value (its parts through `to_torch`); None for a document it does not know."""
        return None

    def describe(self, spec: dict) -> Any:
        """What reports may show of an argument (the tokens behind a cache, say); None for nothing."""
        return None

    def shared(self, value: Any) -> bool:
        """Whether a value is a shared fixture (a model) rather than a per-call input worth recording."""
        return False
