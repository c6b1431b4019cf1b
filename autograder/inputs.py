"""Builds, inside the worker's template process, the models and caches that student functions get.

The judge describes every input as plain data (a catalog: model specs, texts, token tensors,
planted attention patterns); this module turns the catalog into `HookedTransformer`s and
`ActivationCache`s once, before any submission is loaded, and hands each call a fresh copy.
It holds no expected values and no reference code: inputs only.
"""

from __future__ import annotations

import copy

import numpy as np
import torch as t
from tokenizers import Tokenizer, pre_tokenizers
from tokenizers.models import WordLevel
from transformer_lens import ActivationCache, HookedTransformer, HookedTransformerConfig
from transformers import PreTrainedTokenizerFast

from autograder.models import load_model

# The family of the seed's model: attention only, shortformer positions, no LayerNorm.
FAMILY = dict(
    attn_only=True,
    normalization_type=None,
    positional_embedding_type="shortformer",
    use_attn_result=True,
    attention_dir="causal",
)


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
    """A model from its spec: {"source": "default"} or a randomly initialised model of another shape,
    {"source": "random", "n_layers", "n_heads", "d_model", "d_head", "d_vocab", "n_ctx", "bos",
    "eos", "pad", "seed", "tokens" (the tokenizer's size, on purpose not d_vocab)}."""
    if spec["source"] == "default":
        return load_model("default")
    if spec["source"] != "random":
        raise ValueError(f"unknown model source {spec['source']!r}")
    shape = {key: spec[key] for key in ("n_layers", "n_heads", "d_model", "d_head", "d_vocab", "n_ctx")}
    cfg = HookedTransformerConfig(**shape, **FAMILY, seed=spec["seed"], device="cpu")
    tokenizer = numbered_tokenizer(spec["tokens"], spec["bos"], spec["eos"], spec["pad"])
    model = HookedTransformer(cfg, tokenizer=tokenizer)
    # Random init gives near-uniform attention; sharpen it so that caches hold varied patterns.
    for name, param in model.named_parameters():
        if name.endswith(("W_Q", "W_K")):
            param.data *= 4.0
    return model.eval()


def fingerprint(model: HookedTransformer) -> tuple:
    """Changes whenever a parameter, buffer, hook or config value of the model does (the config is
    compared live: keep a deep copy of a fingerprint to compare later ones with)."""
    tensors = [*model.parameters(), *model.buffers()]
    hooks = sum(len(h._forward_hooks) + len(h._backward_hooks) for h in model.hook_dict.values())
    return tuple((x.data_ptr(), x._version) for x in tensors), hooks, vars(model.cfg)


def _str_tokens(model: HookedTransformer, tokens: t.Tensor) -> list[str]:
    """The tokens as strings where the tokenizer knows them, else as their ids."""
    vocab = {i: s for s, i in model.tokenizer.get_vocab().items()}
    return [vocab.get(int(i), str(int(i))) for i in tokens]


class Inputs:
    """The catalog, materialised: models by name and caches (batch dimension removed) by id."""

    def __init__(self, catalog: dict, tensors: dict[str, t.Tensor]):
        t.set_grad_enabled(False)
        self.specs = catalog["models"]
        self.models = {name: build_model(spec) for name, spec in self.specs.items()}
        self.fingerprints = {name: copy.deepcopy(fingerprint(model)) for name, model in self.models.items()}
        self.str_tokens: dict[str, list[str]] = {}  # the tokens behind each cache, for the judge's reports
        self.caches = {
            key: (spec["model"], self._patterns(key, spec, tensors))
            for key, spec in catalog["caches"].items()
        }

    def restore_models(self) -> None:
        """Rebuilds any model that a call changed (weights, hooks or config), so the next gets it whole."""
        for name, model in self.models.items():
            if fingerprint(model) != self.fingerprints[name]:
                with t.no_grad():
                    self.models[name] = build_model(self.specs[name])
                self.fingerprints[name] = copy.deepcopy(fingerprint(self.models[name]))

    def _patterns(self, key: str, spec: dict, tensors: dict[str, t.Tensor]) -> dict[str, t.Tensor]:
        model = self.models[spec["model"]]
        if spec["kind"] == "text":
            _, cache = model.run_with_cache(spec["text"], remove_batch_dim=True)
            self.str_tokens[key] = model.to_str_tokens(spec["text"])
        elif spec["kind"] == "repeated":
            # Random tokens repeated twice after BOS, drawn with numpy (not the exercise's torch recipe).
            draw = np.random.default_rng(spec["seed"]).integers(0, model.cfg.d_vocab, spec["seq_len"])
            tokens = t.tensor([[model.tokenizer.bos_token_id, *draw, *draw]], dtype=t.int64)
            _, cache = model.run_with_cache(tokens, remove_batch_dim=True)
            self.str_tokens[key] = _str_tokens(model, tokens[0])
        elif spec["kind"] == "patterns":
            patterns = {
                f"blocks.{layer}.attn.hook_pattern": tensors[ref]
                for layer, ref in enumerate(spec["patterns"])
            }
            cache = ActivationCache(patterns, model, has_batch_dim=False)
        else:
            raise ValueError(f"unknown cache kind {spec['kind']!r}")
        # Keep only what the detectors read: the patterns. Smaller copies, and nothing else to leak.
        return {k: v for k, v in cache.cache_dict.items() if k.endswith("attn.hook_pattern")}

    def fresh_cache(self, key: str) -> ActivationCache:
        """A copy of a cache that the call may modify without touching the next call's input."""
        model, patterns = self.caches[key]
        return ActivationCache({k: v.clone() for k, v in patterns.items()}, self.models[model], False)
