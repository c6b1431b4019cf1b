"""The circuits pack's argument kinds and driver, on top of the TransformerLens fixtures.

- `factored`: a `FactoredMatrix` of two tensors of the catalog (top_1_acc's argument);
- `full_cache`: the whole ActivationCache of a run (no batch dimension), which decompose_qk_input
  reads (`embed`, `pos_embed`, layer 0's `result`); the shared fixtures keep only patterns;
- the driver `model_if_asked`: calls the function with its arguments, and with the notebook's
  `model` too where the student's version takes one more parameter (ARENA 3.0's
  `decompose_q(decomposed_qk_input, ind_head_index, model)`), so that both courses' signatures are
  graded as what they are.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch as t
from transformer_lens import ActivationCache, FactoredMatrix

from autograder.engine.fixtures import driver, kind
from autograder.transformer_lens import fixtures


class Fixtures(fixtures.Fixtures):
    def __init__(self, catalog: dict, tensors: dict[str, t.Tensor]):
        super().__init__(catalog, tensors)
        self.full_caches = {}
        for name, spec in catalog.get("full_caches", {}).items():
            tokens = self.tensors[spec["tokens"]].to(t.int64)
            _, cache = self.models[spec["model"]].run_with_cache(tokens, remove_batch_dim=True)
            self.full_caches[name] = (spec["model"], {k: v.clone() for k, v in cache.cache_dict.items()})

    @kind("factored")
    def factored(self, spec: dict) -> FactoredMatrix:
        return FactoredMatrix(self.tensors[spec["A"]].clone(), self.tensors[spec["B"]].clone())

    @kind("full_cache")
    def full_cache(self, spec: dict) -> ActivationCache:
        model, cache = self.full_caches[spec["name"]]
        return ActivationCache({k: v.clone() for k, v in cache.items()}, self.models[model], False)

    @driver("model_if_asked")
    def model_if_asked(self, function, args: list, case: dict, namespace: dict) -> Any:
        try:
            parameters = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):
            return function(*args)
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        rest = [p for p in parameters if p.kind in positional][len(args) :]
        rest += [p for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
        asked = [p for p in rest if p.default is inspect.Parameter.empty or p.name == "model"]
        if len(asked) == 1 and (asked[0].name == "model" or asked[0].default is inspect.Parameter.empty):
            # By name: `model=None` after other defaulted parameters (`layer=1, model=None`) is not the
            # next position. A positional-only one only where it is the next.
            if asked[0].kind is not inspect.Parameter.POSITIONAL_ONLY:
                return function(*args, **{asked[0].name: namespace.get("model")})
            if asked[0] is rest[0]:
                return function(*args, namespace.get("model"))
        return function(*args)
