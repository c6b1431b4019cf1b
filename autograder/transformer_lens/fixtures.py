"""Fixtures for exercises on TransformerLens, built inside the worker's template: models, caches,
activations, and the "hook" driver.

The judge describes every input as plain data (a catalog: model specs, texts, token tensors,
planted attention patterns, activations to cache); this module turns it into `HookedTransformer`s
and `ActivationCache`s once, before any submission is loaded, and hands each call a fresh copy.
It holds no expected values and no reference code: inputs only. The catalog's form is made on the
judge's side by `specs.py`.
"""

from __future__ import annotations

import copy
import functools
import inspect
from typing import Any

import numpy as np
import torch as t
from tokenizers import Tokenizer, pre_tokenizers
from tokenizers.models import WordLevel
from transformer_lens import ActivationCache, FactoredMatrix, HookedTransformer, HookedTransformerConfig
from transformer_lens.hook_points import HookPoint
from transformers import PreTrainedTokenizerFast

from autograder.engine import fixtures
from autograder.engine.worker import opaque
from autograder.transformer_lens.models import load_default_model
from autograder.transformer_lens.specs import FAMILY, HEAD_WEIGHTS


def numbered_tokenizer(size: int, bos: int, eos: int, pad: int) -> PreTrainedTokenizerFast:
    """A word-level tokenizer whose tokens are "<t0>" ... "<t{size-1}>", with chosen special ids.

    Test models get a BOS id other than the default model's, so that a hard-coded BOS is caught.
    """
    vocab = {f"<t{i}>": i for i in range(size)}
    core = Tokenizer(WordLevel(vocab, unk_token=f"<t{pad}>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=f"<t{bos}>",
        eos_token=f"<t{eos}>",
        pad_token=f"<t{pad}>",
        unk_token=f"<t{pad}>",
        add_bos_token=True,
    )
    # transformer_lens looks the tokenizer up by this name unless add_bos_token is set; name it anyway.
    tokenizer.init_kwargs["name_or_path"] = f"numbered-{size}"
    return tokenizer


def build_model(spec: dict) -> HookedTransformer:
    """A model from its spec: {"source": "default"} (optionally with a "permutation" of each layer's
    heads, which relabels them and leaves the function unchanged), or a randomly initialised model of
    another shape, {"source": "random", "n_layers", "n_heads", "d_model", "d_head", "d_vocab",
    "n_ctx", "bos", "eos", "pad", "seed", "tokens" (the tokenizer's size, on purpose not d_vocab)}."""
    if spec["source"] == "default":
        model = load_default_model()
        if spec.get("permutation"):
            permute_heads(model, spec["permutation"])
        return model
    if spec["source"] != "random":
        raise ValueError(f"unknown model source {spec['source']!r}")
    shape = {key: spec[key] for key in ("n_layers", "n_heads", "d_model", "d_head", "d_vocab", "n_ctx")}
    cfg = HookedTransformerConfig(**shape, **FAMILY, seed=spec["seed"], device="cpu")
    tokenizer = numbered_tokenizer(spec["tokens"], spec["bos"], spec["eos"], spec["pad"])
    model = HookedTransformer(cfg, tokenizer=tokenizer)
    # Random init gives near-uniform attention; sharpen it so that caches hold varied patterns.
    for name, param in model.named_parameters():
        if name.endswith(("W_Q", "W_K")):
            param.data *= spec.get("sharpen", 4.0)
    return model.eval()


@t.no_grad()
def permute_heads(model: HookedTransformer, orders: list[list[int]]) -> None:
    """New head h of layer l is old head orders[l][h]: the model computes the same function."""
    for layer, order in enumerate(orders):
        attention = model.blocks[layer].attn
        for name in HEAD_WEIGHTS:
            weight = getattr(attention, name)
            weight.copy_(weight[list(order)].clone())


def fingerprint(model: HookedTransformer) -> tuple:
    """Changes whenever a module, parameter, buffer, hook or config value of the model does (the
    config is compared live: keep a deep copy of a fingerprint to compare later ones with). One walk
    over the modules: it runs after every function of every submission."""
    entries = []
    for module in model.modules():
        entries.append(id(module))
        entries += [
            (x.data_ptr(), x._version) if x is not None else None for x in module._parameters.values()
        ]
        entries += [(x.data_ptr(), x._version) if x is not None else None for x in module._buffers.values()]
        entries.append(
            len(module._forward_hooks) + len(module._forward_pre_hooks) + len(module._backward_hooks)
        )
    return tuple(entries), vars(model.cfg)


def with_arguments(function, kwargs: dict):
    """`function` with the hook's extra arguments bound, by the contract's names where the student's
    function has them (or takes **kwargs); else after the activation and the hook point, in order
    (their own name for `head_index_to_ablate`, say)."""
    if not kwargs:
        return function
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return functools.partial(function, **kwargs)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    if takes_any or all(name in parameters for name in kwargs):
        return functools.partial(function, **kwargs)
    values = list(kwargs.values())
    return lambda activation, hook: function(activation, hook, *values)


def str_tokens(model: HookedTransformer, tokens: t.Tensor) -> list[str]:
    """The tokens as strings where the tokenizer knows them, else as their ids."""
    vocab = {i: s for s, i in model.tokenizer.get_vocab().items()}
    return [vocab.get(int(i), str(int(i))) for i in tokens]


def encode_factored(value: FactoredMatrix, encoder) -> dict:
    """A FactoredMatrix as its two factors (`wire.Factored` on the judge's side), never its product:
    a vocabulary-sized product would be d_vocab² numbers, its factors are d_vocab × d_head each. Each
    factor is capped as any returned tensor is; one too large (or factors that do not multiply, set
    by hand) sends the whole value back as an object, described."""
    A, B = value.A, value.B
    if not (isinstance(A, t.Tensor) and isinstance(B, t.Tensor)) or A.ndim < 2 or B.ndim < 2:
        return opaque(value, "a FactoredMatrix whose factors are not matrices")
    if A.shape[-1] != B.shape[-2]:
        return opaque(
            value, f"a FactoredMatrix whose factors {list(A.shape)} and {list(B.shape)} do not multiply"
        )
    if not (A.is_floating_point() and B.is_floating_point()):
        A, B = A.float(), B.float()
    factors = [encoder.tensor(factor, "tensor") for factor in (A, B)]
    if any(factor["type"] != "tensor" for factor in factors):
        return opaque(
            value, f"a FactoredMatrix of shape {list(value.shape)} with factors too large to return"
        )
    return {"type": "factored", "A": factors[0], "B": factors[1]}


class Fixtures(fixtures.Fixtures):
    """The catalog, materialised: models by name, caches (batch dimension removed) and activations
    by id. Argument kinds: model, config, device, cache, activation, weight, zeros, hook_point (a
    model's HookPoint by name, for calling a hook function directly) and the base's value and tensor;
    drivers: call and hook."""

    # The course's setup cell (the seed notebook's too) runs `t.set_grad_enabled(False)`: a file of
    # functions without it is run as the notebook ran them (`.numpy()` on a weight's product works).
    grad_enabled = False

    def __init__(self, catalog: dict, tensors: dict[str, t.Tensor]):
        super().__init__(catalog, tensors)
        t.set_grad_enabled(False)
        self.specs = catalog["models"]
        self.models = {name: build_model(spec) for name, spec in self.specs.items()}
        self.fingerprints = {name: copy.deepcopy(fingerprint(model)) for name, model in self.models.items()}
        self.str_tokens: dict[str, list[str]] = {}  # the tokens behind each cache, for the judge's reports
        self.caches = {key: self._patterns(key, spec) for key, spec in catalog.get("caches", {}).items()}
        self.activations = {
            key: self._activations(spec) for key, spec in catalog.get("activations", {}).items()
        }
        self.kinds.update(
            model=lambda spec: self.models[spec["name"]],
            config=lambda spec: self.models[spec["name"]].cfg,
            device=lambda spec: t.device(self.models[spec["name"]].cfg.device),
            cache=self.cache,
            activation=lambda spec: self.activations[spec["name"]][spec["key"]].clone(),
            weight=lambda spec: getattr(self.models[spec["model"]], spec["name"]).detach().clone(),
            seq_len=lambda spec: (next(iter(self.caches[spec["cache"]][1].values())).shape[-1] - 1) // 2,
            zeros=lambda spec: t.zeros(spec["shape"], dtype=getattr(t, spec.get("dtype", "float32"))),
            hook_point=lambda spec: self.models[spec["model"]].hook_dict[spec["name"]],
        )
        self.drivers["hook"] = self.run_with_hooks
        self.drivers["hook_call"] = self.call_hook

    def watched(self) -> list[Any]:
        import einops
        import transformer_lens
        import transformer_lens.utils

        return super().watched() + [
            np,
            np.random,
            einops,
            transformer_lens,
            transformer_lens.utils,
            HookedTransformer,
            ActivationCache,
            FactoredMatrix,
            HookPoint,
            HookedTransformerConfig,
        ]

    def restore(self) -> None:
        """Rebuilds any model that a call changed (weights, hooks or config), so the next gets it whole."""
        for name, model in self.models.items():
            if fingerprint(model) != self.fingerprints[name]:
                with t.no_grad():
                    self.models[name] = build_model(self.specs[name])
                self.fingerprints[name] = copy.deepcopy(fingerprint(self.models[name]))

    def _patterns(self, key: str, spec: dict) -> tuple[str, dict[str, t.Tensor]]:
        model = self.models[spec["model"]]
        if spec["kind"] == "text":
            _, cache = model.run_with_cache(spec["text"], remove_batch_dim=True)
            self.str_tokens[key] = model.to_str_tokens(spec["text"])
        elif spec["kind"] == "repeated":
            # Random tokens repeated twice after BOS, drawn with numpy (not the exercise's torch recipe).
            draw = np.random.default_rng(spec["seed"]).integers(0, model.cfg.d_vocab, spec["seq_len"])
            tokens = t.tensor([[model.tokenizer.bos_token_id, *draw, *draw]], dtype=t.int64)
            _, cache = model.run_with_cache(tokens, remove_batch_dim=True)
            self.str_tokens[key] = str_tokens(model, tokens[0])
        elif spec["kind"] == "tokens":
            tokens = self.tensors[spec["tokens"]].to(t.int64)
            _, cache = model.run_with_cache(tokens, remove_batch_dim=True)
            self.str_tokens[key] = str_tokens(model, tokens[0])
        elif spec["kind"] == "patterns":
            patterns = {
                f"blocks.{layer}.attn.hook_pattern": self.tensors[ref]
                for layer, ref in enumerate(spec["patterns"])
            }
            cache = ActivationCache(patterns, model, has_batch_dim=False)
        else:
            raise ValueError(f"unknown cache kind {spec['kind']!r}")
        # Keep only what the detectors read: the patterns. Smaller copies, and nothing else to leak.
        return spec["model"], {k: v for k, v in cache.cache_dict.items() if k.endswith("attn.hook_pattern")}

    def _activations(self, spec: dict) -> dict[str, t.Tensor]:
        """The named activations of one run (batch dimension removed), e.g. for logit attribution."""
        tokens = self.tensors[spec["tokens"]].to(t.int64)
        _, cache = self.models[spec["model"]].run_with_cache(tokens, remove_batch_dim=True)
        return {name: cache[name].clone() for name in spec["names"]}

    def cache(self, spec: dict) -> ActivationCache:
        """A copy of a cache that the call may modify without touching the next call's input."""
        model, patterns = self.caches[spec["name"]]
        return ActivationCache({k: v.clone() for k, v in patterns.items()}, self.models[model], False)

    def run_with_hooks(self, function, args: list, case: dict, namespace: dict) -> Any:
        """The "hook" driver: runs a model on tokens with the student's function as a forward hook on
        the hook points named, then returns what the case asks for: a global the hook wrote into
        ("global:NAME"), the logits, or the loss."""
        driver = case["driver"]
        model = self.models[driver["model"]]
        tokens = self.tensors[driver["tokens"]].to(t.int64)
        hook = with_arguments(function, driver.get("kwargs") or {})
        names = driver["hooks"]
        chosen = (
            (lambda name: name.endswith(names[1:])) if isinstance(names, str) and names[0] == "*" else names
        )
        hooks = [(chosen, hook)] if callable(chosen) else [(name, hook) for name in chosen]
        returns = driver.get("returns", "logits")
        output = model.run_with_hooks(
            tokens, return_type="loss" if returns == "loss" else "logits", fwd_hooks=hooks
        )
        if returns.startswith("global:"):
            return namespace.get(returns.split(":", 1)[1])
        return output

    def call_hook(self, function, args: list, case: dict, namespace: dict) -> Any:
        """The "hook_call" driver: calls a hook function directly on (activation, hook point, ...) and
        returns what TransformerLens would go on with: what it returned, or, when it returned None,
        its activation as the call left it (a hook may change it in place). The arguments after the
        hook point are the driver's `names` (its extra parameters), passed as `with_arguments` passes
        them: by name where the student's hook has those names (keyword-only ones too, as for
        `functools.partial(hook, head_index_to_ablate=...)`), else in order."""
        tensor, names = args[0], (case.get("driver") or {}).get("names") or []
        extra = dict(zip(names, args[2:], strict=False))
        result = with_arguments(function, extra)(*args[:2], *args[2 + len(extra) :])
        return tensor if result is None else result

    def key(self, value: Any) -> Any | None:
        for name, model in self.models.items():
            if value is model:
                return {"model": name}
            if value is model.cfg:
                return {"config": name}
        if isinstance(value, HookPoint):
            return {"hook": str(value.name)}
        if isinstance(value, FactoredMatrix):  # by its factors' values, as a tensor is keyed
            import hashlib

            digest = hashlib.sha1()
            for factor in (value.A, value.B):
                digest.update(t.Tensor.as_subclass(factor.detach(), t.Tensor).float().cpu().numpy().tobytes())
            return {"factored": list(value.shape), "sha1": digest.hexdigest()[:16]}
        return None

    def shared(self, value: Any) -> bool:
        return isinstance(value, (t.nn.Module, HookedTransformerConfig))

    def encode(self, value: Any, encoder) -> dict | None:
        if isinstance(value, FactoredMatrix):
            return encode_factored(value, encoder)
        if not any(cls.__name__ == "ActivationCache" for cls in type(value).__mro__):
            return None
        items = dict(value.cache_dict)
        layers = sorted(
            (int(key.split(".")[1]), key)
            for key in items
            if str(key).startswith("blocks.")
            and str(key).endswith(".attn.hook_pattern")
            and str(key).split(".")[1].isdigit()
        )
        patterns = [encoder.tensor(items[key], "tensor") for _, key in layers[:64]]
        fields = {"has_batch_dim": bool(value.has_batch_dim), "patterns": {"type": "list", "items": patterns}}
        return {"type": "record", "class": "ActivationCache", "fields": fields}

    def rebuild(self, document: dict, to_torch) -> Any | None:
        if document.get("type") == "factored":
            return FactoredMatrix(to_torch(document["A"]), to_torch(document["B"]))
        return None

    def describe(self, spec: dict) -> Any:
        if spec.get("kind") == "cache":
            return {"str_tokens": self.str_tokens.get(spec["name"], [])}
        return None
