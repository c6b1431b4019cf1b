"""Plain-data descriptions of TransformerLens inputs, made on the judge's side (numpy only).

A pack on TransformerLens describes its models, caches and arguments with these; the worker's
`fixtures.py` builds them. Facts about the models (shapes, vocabularies, BOS ids) are stated here
once, so the judge never loads a model.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

DEFAULT_MODEL_DIR = Path(__file__).parent / "data" / "default_model"

# The family of the seed's model: attention only, shortformer positions, no LayerNorm.
FAMILY = dict(
    attn_only=True,
    normalization_type=None,
    positional_embedding_type="shortformer",
    use_attn_result=True,
    attention_dir="causal",
)
HEAD_WEIGHTS = ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V")  # one slice per head
DEFAULT_BOS = 0  # the embedded tokenizer's <|endoftext|>


@functools.cache
def default_config() -> dict:
    return json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())


def facts(spec: dict) -> dict:
    """n_layers, n_heads, d_vocab and bos of a model spec (see fixtures.build_model)."""
    if spec["source"] == "default":
        config = default_config()
        return {
            "n_layers": config["n_layers"],
            "n_heads": config["n_heads"],
            "d_vocab": config["d_vocab"],
            "bos": DEFAULT_BOS,
        }
    return {key: spec[key] for key in ("n_layers", "n_heads", "d_vocab", "bos")}


def random_model(rng: np.random.Generator, *, layers=(1, 4), heads=(3, 16), seed: int | None = None) -> dict:
    """A random model of a drawn shape, with a tokenizer whose size is not d_vocab and a drawn BOS id."""
    d_vocab = int(rng.integers(60, 1500))
    tokens = int(d_vocab + rng.choice([-1, 1]) * rng.integers(5, 50))
    return dict(
        source="random",
        n_layers=int(rng.integers(layers[0], layers[1] + 1)),
        n_heads=int(rng.integers(heads[0], heads[1] + 1)),
        d_model=int(rng.choice([16, 32, 48])),
        d_head=int(rng.choice([4, 8])),
        d_vocab=d_vocab,
        tokens=max(tokens, 10),
        n_ctx=256,
        bos=int(rng.integers(3, min(d_vocab, tokens) - 1)),
        eos=1,
        pad=2,
        seed=int(rng.integers(0, 1 << 30)) if seed is None else seed,
    )


def permutation(rng: np.random.Generator, n_layers: int, n_heads: int) -> list[list[int]]:
    return [[int(h) for h in rng.permutation(n_heads)] for _ in range(n_layers)]


def repeated_tokens(spec: dict, seq_len: int, seed: int, batch: int = 1) -> np.ndarray:
    """BOS, then `seq_len` random tokens, then the same again; [batch, 1 + 2 * seq_len] int64."""
    model = facts(spec)
    draw = np.random.default_rng(seed).integers(0, model["d_vocab"], (batch, seq_len))
    return np.concatenate([np.full((batch, 1), model["bos"]), draw, draw], axis=1).astype(np.int64)


# --- argument specs ----------------------------------------------------------------------------


def model(name: str) -> dict:
    return {"kind": "model", "name": name}


def cache(name: str) -> dict:
    return {"kind": "cache", "name": name}


def value(x) -> dict:
    return {"kind": "value", "value": x}


def tensor(ref: str) -> dict:
    return {"kind": "tensor", "ref": ref}


def hook_point(model_name: str, name: str) -> dict:
    """A model's HookPoint, e.g. "blocks.0.attn.hook_z": the `hook` argument of a hook called directly."""
    return {"kind": "hook_point", "model": model_name, "name": name}


def notebook_globals(model_name: str, **values) -> dict:
    """The globals a notebook's functions read: its `model`, `cfg` and `device`, and any plain values."""
    specs = {
        "model": model(model_name),
        "cfg": {"kind": "config", "name": model_name},
        "device": {"kind": "device", "name": model_name},
    }
    return specs | {name: value(v) for name, v in values.items()}
