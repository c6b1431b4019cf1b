"""Fixtures for the composition exercise, built inside the worker's template: heads' circuits as
factored or dense matrices, patterns of runs with a head ablated, and two drivers.

It lives here, beside the TransformerLens fixtures, and not in the pack's folder: importing the pack's
package would bring its checks and mistakes (the reference with knobs) into the worker.

Argument kinds (besides those of `fixtures.Fixtures`):
- "circuit": a head's or a layer's circuit, {"model", "circuit": "OV" | "QK", "layer": int | None,
  "head": int | None, "transpose": bool, "dense": bool}: a `FactoredMatrix` (OV: W_V, W_O; QK: W_Q,
  W_K transposed), indexed by layer and head where given, or its product as a tensor (`dense`);
- "factored": a `FactoredMatrix` of two tensors of the inputs, {"A": ref, "B": ref};
- "ablated_pattern": layer `read`'s attention pattern [n_heads, seq, seq] on the tokens of a run with
  head `head` of layer `layer` zero-ablated (its value vectors), computed once here.
Drivers: "repeat" (a function of no argument, called `times` times: the values as a float64 tensor,
for a function that is random by design) and "leading" (called on the first `count` arguments only:
the others are recorded by the reference run for the hints, never passed).
"""

from __future__ import annotations

from typing import Any

import torch as t
from transformer_lens import FactoredMatrix

from autograder.engine.fixtures import driver, kind
from autograder.transformer_lens import fixtures


class Fixtures(fixtures.Fixtures):
    def __init__(self, catalog: dict, tensors: dict[str, t.Tensor]):
        super().__init__(catalog, tensors)
        self.ablated = {key: self._ablated(spec) for key, spec in catalog.get("ablations", {}).items()}

    def _ablated(self, spec: dict) -> t.Tensor:
        model = self.models[spec["model"]]
        tokens = self.tensors[spec["tokens"]].to(t.int64)
        found: list[t.Tensor] = []

        def ablate(v: t.Tensor, hook) -> t.Tensor:
            v = v.clone()
            v[:, :, spec["head"]] = 0.0
            return v

        def keep(pattern: t.Tensor, hook) -> None:
            found.append(pattern[0].clone())

        hooks = [(f"blocks.{spec['read']}.attn.hook_pattern", keep)]
        if spec.get("head") is not None:
            hooks.insert(0, (f"blocks.{spec['layer']}.attn.hook_v", ablate))
        model.run_with_hooks(tokens, return_type=None, fwd_hooks=hooks)
        return found[0]

    @kind("circuit")
    def circuit(self, spec: dict) -> Any:
        model = self.models[spec["model"]]
        if spec["circuit"] == "OV":
            matrix = FactoredMatrix(model.W_V.detach().clone(), model.W_O.detach().clone())
        else:
            matrix = FactoredMatrix(model.W_Q.detach().clone(), model.W_K.detach().clone().transpose(-1, -2))
        index = tuple(i for i in (spec.get("layer"), spec.get("head")) if i is not None)
        if index:
            matrix = matrix[index]
        if spec.get("transpose"):
            matrix = matrix.T
        return matrix.AB.clone() if spec.get("dense") else matrix

    @kind("factored")
    def factored(self, spec: dict) -> FactoredMatrix:
        return FactoredMatrix(self.tensors[spec["A"]].clone(), self.tensors[spec["B"]].clone())

    @kind("ablated_pattern")
    def ablated_pattern(self, spec: dict) -> t.Tensor:
        return self.ablated[spec["name"]].clone()

    @driver("repeat")
    def repeat(self, function, args: list, case: dict, namespace: dict) -> Any:
        values = [function(*args) for _ in range(case["driver"]["times"])]
        try:
            return t.tensor([float(v) for v in values], dtype=t.float64)
        except (TypeError, ValueError, RuntimeError):
            return values[0]  # not a number: the first answer, for the check to describe

    @driver("leading")
    def leading(self, function, args: list, case: dict, namespace: dict) -> Any:
        return function(*args[: case["driver"]["count"]])
