"""What every submission is called on: the models, the caches, and the cases of each function.

All of it is plain data (the catalog) plus a few tensors, built deterministically here on the
judge's side and sent to the worker, which turns it into models and caches (inputs.py). Expected
values are not here: they come from running the reference solution on the same cases.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

SEED_TEXT = (
    "We think that powerful, significantly superhuman machine intelligence is more likely than not to be "
    "created this century. If current machine learning techniques were scaled up to this level, we "
    "think they would by default produce systems that are deceptive or manipulative, and that no "
    "solid plans are known for how to avoid this."
)

# The exercise functions, in the order a student meets them, with the parameters the contract names.
EXERCISES: dict[str, list[list]] = {
    "current_attn_detector": [["cache"]],
    "prev_attn_detector": [["cache"]],
    "first_attn_detector": [["cache"]],
    "generate_repeated_tokens": [["model"], ["seq_len"], ["batch", 1]],
    "run_and_cache_model_repeated_tokens": [["model"], ["seq_len"], ["batch", 1]],
    "induction_attn_detector": [["cache"]],
}
DETECTORS = ("current_attn_detector", "prev_attn_detector", "first_attn_detector", "induction_attn_detector")

# Other exercise functions each one calls: while it is judged, they are the reference's.
STAND_INS = {"run_and_cache_model_repeated_tokens": ["generate_repeated_tokens"]}

# Models of other shapes than the default (2 layers x 12 heads), with other BOS ids and vocabularies,
# so that hard-coded layer and head counts, BOS ids and vocabulary sizes are caught.
MODELS: dict[str, dict] = {
    "default": {"source": "default"},
    "tiny": dict(
        source="random",
        n_layers=3,
        n_heads=5,
        d_model=32,
        d_head=8,
        d_vocab=101,
        tokens=90,  # a tokenizer smaller than d_vocab, and below one larger: vocab_size is not d_vocab
        n_ctx=256,
        bos=7,
        eos=1,
        pad=2,
        seed=11,
    ),
    "wide": dict(
        source="random",
        n_layers=1,
        n_heads=16,
        d_model=64,
        d_head=4,
        d_vocab=1000,
        tokens=1200,
        n_ctx=256,
        bos=998,
        eos=3,
        pad=4,
        seed=12,
    ),
}
SHAPES = {"default": (2, 12), "tiny": (3, 5), "wide": (1, 16)}
MODEL_WORDS = {
    "default": "the default model",
    "tiny": "a 3-layer, 5-head model",
    "wide": "a 1-layer, 16-head model",
}

MARGIN = 0.01  # every score of every input stays at least this far from the threshold
THRESHOLDS = {
    "current_attn_detector": 0.4,
    "prev_attn_detector": 0.4,
    "first_attn_detector": 0.4,
    "induction_attn_detector": 0.2,
}


@dataclass(frozen=True)
class Case:
    """One call: `args` are argument specs (`{"model": name}`, `{"cache": id}`, `{"value": x}`)."""

    id: str
    function: str
    args: list
    seed: int = 0
    about: str = ""  # the input in words, for feedback
    group: str = ""  # which test it belongs to
    extra: dict = field(default_factory=dict)  # facts the checks use (model, seq_len, batch, ...)

    def request(self) -> dict:
        return {"id": self.id, "args": self.args, "seed": self.seed}


# --- caches ------------------------------------------------------------------------------------


def planted_patterns(
    n_layers: int, n_heads: int, seq_len: int, plants: dict[str, tuple[str, float]], rng: np.random.Generator
) -> list[np.ndarray]:
    """Attention patterns [n_heads, n, n] per layer (n = 1 + 2 * seq_len): causal, rows summing to 1.

    `plants` maps "layer.head" to (kind, mean): the head's score for that kind (the mean the
    detectors compute) is set to `mean`; the rest of each row's attention is spread at random over
    keys that no detector looks at, where the row has any. Other heads attend at random.
    """
    n = 1 + 2 * seq_len
    layers = []
    for layer in range(n_layers):
        heads = []
        for head in range(n_heads):
            kind, mean = plants.get(f"{layer}.{head}", (None, 0.0))
            # Redraw until no score is within MARGIN of either threshold (0.2, 0.4): there, float32
            # and float64 arithmetic could disagree, and neither a correct detector nor the
            # explanation of a wrong one must depend on that.
            for _ in range(1000):
                pattern = _planted_head(n, seq_len, kind, mean, rng)
                if all(abs(v - t) >= MARGIN for v in scores(pattern).values() for t in (0.2, 0.4)):
                    break
            else:
                raise ValueError(f"no pattern with clear scores for {kind} {mean} in {n} positions")
            heads.append(pattern)
        layers.append(np.stack(heads).astype(np.float32))
    return layers


def _key(kind: str, row: int, seq_len: int) -> int | None:
    """The key a detector of `kind` looks at in `row`, or None where that row has none."""
    key = {"current": row, "prev": row - 1, "first": 0, "induction": row - (seq_len - 1)}[kind]
    return key if 0 <= key <= row else None


def _planted_head(
    n: int, seq_len: int, kind: str | None, mean: float, rng: np.random.Generator
) -> np.ndarray:
    pattern = np.zeros((n, n))
    # Rows whose key for this kind exists; their weights are set so that the detector's mean is `mean`.
    rows = [r for r in range(n) if kind and _key(kind, r, seq_len) is not None]
    forced = [r for r in rows if r == 0]  # row 0 can only attend to key 0
    free = [r for r in rows if r != 0]
    weight = (mean * len(rows) - len(forced)) / len(free) if free else 0.0
    if kind and not 0.0 <= weight <= 1.0:
        raise ValueError(f"cannot plant {kind} mean {mean} in {n} positions")
    for row in range(n):
        target = _key(kind, row, seq_len) if kind else None
        value = 1.0 if row == 0 else (weight if target is not None else 0.0)
        if target is not None:
            pattern[row, target] = value
        rest = 1.0 - pattern[row].sum()
        probes = {
            k
            for k in (_key(x, row, seq_len) for x in ("current", "prev", "first", "induction"))
            if k is not None
        }
        probes |= {row - seq_len, row - seq_len + 2, row - 2}  # the keys an off-by-one detector reads
        others = [k for k in range(row + 1) if k not in probes and k != target]
        if not others:
            others = [k for k in range(row + 1) if k != target] or [row]
        spread = rng.dirichlet(np.ones(len(others))) * rest
        pattern[row, others] += spread
    return pattern


def scores(pattern: np.ndarray) -> dict[str, float]:
    """The four detectors' scores of one head's pattern [n, n], as the contract defines them."""
    n = pattern.shape[-1]
    seq_len = (n - 1) // 2
    return {
        "current_attn_detector": float(np.diagonal(pattern).mean()),
        "prev_attn_detector": float(np.diagonal(pattern, -1).mean()) if n > 1 else float("nan"),
        "first_attn_detector": float(pattern[:, 0].mean()),
        "induction_attn_detector": float(np.diagonal(pattern, -(seq_len - 1)).mean()),
    }


NEAR = {"current": 0.4, "prev": 0.4, "first": 0.4, "induction": 0.2}


def _near_plants(above_layer: int) -> dict[str, tuple[str, float]]:
    """One head per kind 0.015 above its threshold in `above_layer`, one 0.015 below in the other."""
    plants = {}
    for index, (kind, threshold) in enumerate(NEAR.items()):
        plants[f"{above_layer}.{2 * index}"] = (kind, threshold + 0.015)
        plants[f"{1 - above_layer}.{2 * index + 1}"] = (kind, threshold - 0.015)
    return plants


def _planted_sets() -> list[tuple[str, str, int, dict, str]]:
    """(id, model, seq_len, plants, group) for each planted cache."""
    return [
        ("planted-near-a", "default", 10, _near_plants(0), "near"),
        ("planted-near-b", "default", 23, _near_plants(1), "near"),
        (
            "planted-strong",
            "default",
            50,
            {
                "0.3": ("first", 0.9),
                "0.7": ("prev", 0.8),
                "0.9": ("current", 0.7),
                "1.4": ("induction", 0.6),
                "1.10": ("induction", 0.3),
                "1.2": ("first", 0.6),
            },
            "near",
        ),
        (
            "planted-tiny",
            "tiny",
            6,
            {
                "2.4": ("induction", 0.5),
                "2.0": ("prev", 0.7),
                "0.4": ("current", 0.6),
                "1.3": ("first", 0.6),
                "2.2": ("current", 0.45),
            },
            "shapes",
        ),
        (
            "planted-wide",
            "wide",
            25,
            {
                "0.15": ("induction", 0.45),
                "0.12": ("prev", 0.6),
                "0.13": ("first", 0.7),
                "0.14": ("current", 0.5),
                "0.1": ("prev", 0.45),
            },
            "shapes",
        ),
        (
            "planted-short",
            "tiny",
            2,
            {
                "0.1": ("prev", 0.7),
                "1.2": ("current", 0.5),
                "2.3": ("first", 0.5),
                "2.1": ("induction", 0.25),
            },
            "edges",
        ),
        (
            "planted-shortest",
            "wide",
            1,
            {"0.0": ("current", 0.45), "0.5": ("first", 0.55), "0.9": ("prev", 0.6)},
            "edges",
        ),
    ]


@functools.cache
def caches() -> tuple[dict[str, dict], dict[str, np.ndarray], dict[str, tuple[str, str]]]:
    """(cache specs by id, tensors by name, (group, words) by cache id)."""
    rng = np.random.default_rng(20261129)
    specs: dict[str, dict] = {
        "text-default": {"kind": "text", "model": "default", "text": SEED_TEXT},
    }
    about: dict[str, tuple[str, str]] = {"text-default": ("text", "the seed's text on the default model")}
    tensors: dict[str, np.ndarray] = {}
    for model, seq_len, group in (
        ("default", 50, "repeated"),
        ("default", 13, "repeated"),
        ("default", 6, "repeated"),
        ("tiny", 9, "shapes"),
        ("wide", 30, "shapes"),
    ):
        key = f"repeated-{model}-{seq_len}"
        specs[key] = {"kind": "repeated", "model": model, "seq_len": seq_len, "seed": seq_len}
        about[key] = (group, f"repeated random tokens (seq_len {seq_len}) on {MODEL_WORDS[model]}")
    for key, model, seq_len, plants, group in _planted_sets():
        layers = planted_patterns(*SHAPES[model], seq_len, plants, rng)
        refs = []
        for layer, pattern in enumerate(layers):
            tensors[f"{key}.{layer}"] = pattern
            refs.append(f"{key}.{layer}")
        specs[key] = {"kind": "patterns", "model": model, "patterns": refs}
        about[key] = (group, f"planted patterns ({1 + 2 * seq_len} positions) on {MODEL_WORDS[model]}")
    return specs, tensors, about


# --- cases -------------------------------------------------------------------------------------

TOKEN_CASES = [  # (model, seed, seq_len, batch or None for the default)
    ("default", 0, 50, 1),
    ("default", 1, 50, 1),
    ("default", 2, 7, 4),
    ("tiny", 3, 1, 3),
    ("wide", 4, 20, 2),
    ("default", 5, 10, None),
]
RUN_CASES = [("default", 0, 50, 1), ("default", 1, 20, 3), ("tiny", 2, 12, 2)]
DETECTOR_GROUPS = {
    "current_attn_detector": ("text", "repeated", "shapes", "near", "edges"),
    "prev_attn_detector": ("text", "repeated", "shapes", "near", "edges"),
    "first_attn_detector": ("text", "repeated", "shapes", "near", "edges"),
    "induction_attn_detector": ("repeated", "shapes", "near", "edges"),
}


@functools.cache
def all_cases() -> tuple[Case, ...]:
    cases = []
    for function in ("generate_repeated_tokens", "run_and_cache_model_repeated_tokens"):
        for model, seed, seq_len, batch in (
            TOKEN_CASES if function == "generate_repeated_tokens" else RUN_CASES
        ):
            args = [{"model": model}, {"value": seq_len}] + ([{"value": batch}] if batch is not None else [])
            words = f"{MODEL_WORDS[model]}, seq_len={seq_len}, " + (
                f"batch={batch}" if batch is not None else "batch left to its default"
            )
            extra = dict(model=model, seq_len=seq_len, batch=batch or 1, d_vocab_model=model)
            cases.append(
                Case(
                    f"{function}/{model}-s{seed}-L{seq_len}-b{batch}",
                    function,
                    args,
                    seed,
                    f"{words} (torch seed {seed})",
                    "",
                    extra,
                )
            )
    specs, _, about = caches()
    for function, groups in DETECTOR_GROUPS.items():
        for key, (group, words) in about.items():
            if group in groups:
                cases.append(
                    Case(
                        f"{function}/{key}",
                        function,
                        [{"cache": key}],
                        0,
                        words,
                        group,
                        {"cache": key, "model": specs[key]["model"]},
                    )
                )
    return tuple(cases)


def catalog() -> tuple[dict, dict[str, np.ndarray]]:
    specs, tensors, _ = caches()
    return {"models": MODELS, "caches": specs}, tensors


def digest(catalog_: dict, tensors: dict[str, np.ndarray]) -> str:
    """Changes whenever any input does."""
    h = hashlib.sha256(json.dumps(catalog_, sort_keys=True).encode())
    for name in sorted(tensors):
        h.update(name.encode())
        h.update(np.ascontiguousarray(tensors[name]).tobytes())
    return h.hexdigest()
