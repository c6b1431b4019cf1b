"""What every submission is called on: the models, the caches, and the cases of each function.

Public inputs (those of `check`) are fixed here; graded inputs drawn from a secret (`grade --secret`)
are the same kinds of case, re-drawn: other seeds, sequence lengths and batch sizes, planted heads at
other places, models of other shapes, and the default model's heads relabelled by a secret
permutation (which leaves its function unchanged), so that nothing copied from `check`'s feedback
fits them. All of it is plain data, built deterministically on the judge's side and sent to the
worker, which builds models and caches from it (`autograder/transformer_lens/fixtures.py`).
Expected values are not here: they come from running the reference solution on the same cases.
"""

from __future__ import annotations

import functools

import numpy as np

from autograder.engine.pack import Case, Inputs
from autograder.engine.secret import draw_seed
from autograder.transformer_lens import specs

SEED_TEXT = (
    "We think that powerful, significantly superhuman machine intelligence is more likely than not to be "
    "created this century. If current machine learning techniques were scaled up to this level, we "
    "think they would by default produce systems that are deceptive or manipulative, and that no "
    "solid plans are known for how to avoid this."
)
DETECTORS = ("current_attn_detector", "prev_attn_detector", "first_attn_detector", "induction_attn_detector")
KINDS = dict(zip(DETECTORS, ("current", "prev", "first", "induction"), strict=True))
THRESHOLDS = {"current": 0.4, "prev": 0.4, "first": 0.4, "induction": 0.2}
MARGIN = 0.01  # every score of every input stays at least this far from the thresholds
NEAR = 0.015  # how far planted heads sit above and below a threshold (public inputs)

# Models of other shapes than the default (2 layers x 12 heads), with other BOS ids and vocabularies,
# so that hard-coded layer and head counts, BOS ids and vocabulary sizes are caught.
PUBLIC_MODELS: dict[str, dict] = {
    "default": {"source": "default"},
    # The default model with its heads relabelled (the function unchanged): its heads sit where the
    # seed's model has them, so without this, one list (the seed's) would be right on every
    # repeated-tokens input of the default model, and a memorised answer would pass.
    "relabelled": {
        "source": "default",
        "permutation": [[11, 3, 7, 0, 9, 2, 10, 4, 6, 1, 8, 5], [4, 10, 0, 8, 1, 6, 2, 11, 3, 9, 5, 7]],
    },
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
TOKEN_CASES = [  # (model, seed, seq_len, batch or None for the default)
    ("default", 0, 50, 1),
    ("default", 1, 50, 1),
    ("default", 2, 7, 4),
    ("tiny", 3, 1, 3),
    ("wide", 4, 20, 2),
    ("default", 5, 10, None),
]
RUN_CASES = [("default", 0, 50, 1), ("default", 1, 20, 3), ("tiny", 2, 12, 2)]
REPEATED = [  # (model, seq_len, group, token seed)
    ("default", 50, "repeated", 50),
    ("default", 13, "repeated", 29),  # seed 13 puts 1.8's current-token score at 0.403: too near 0.4
    ("relabelled", 6, "repeated", 19),  # seed 6 puts 0.3's first-token score at 0.392: too near 0.4
    ("tiny", 9, "shapes", 9),
    ("wide", 30, "shapes", 30),
]
# Repeated-token caches drawn per place: the first whose heads are all clear is kept. Few candidates
# clear it on the default model (about 1 in 5 of 40 to 60 tokens, 1 in 10 of 11 to 19, 1 in 50 of 5
# to 8), so it gets more; a draw that still leaves a test without inputs is drawn again (REDRAWS).
SECRET_CANDIDATES = {"default": 8, "tiny": 6, "wide": 2}
REDRAWS = 6
GROUPS = {
    "current_attn_detector": ("text", "repeated", "shapes", "near", "edges"),
    "prev_attn_detector": ("text", "repeated", "shapes", "near", "edges"),
    "first_attn_detector": ("text", "repeated", "shapes", "near", "edges"),
    "induction_attn_detector": ("repeated", "shapes", "near", "edges"),
}


def words(spec: dict) -> str:
    if spec["source"] == "default":
        return "the default model"
    facts = specs.facts(spec)
    layers, heads = facts["n_layers"], facts["n_heads"]
    return f"a {layers}-layer, {heads}-head model"


# --- planted attention patterns ----------------------------------------------------------------


def scores(pattern: np.ndarray) -> dict[str, float]:
    """The four detectors' scores of one head's pattern [n, n], as the contract defines them."""
    n = pattern.shape[-1]
    seq_len = (n - 1) // 2
    return {
        "current": float(np.diagonal(pattern).mean()),
        "prev": float(np.diagonal(pattern, -1).mean()) if n > 1 else float("nan"),
        "first": float(pattern[:, 0].mean()),
        "induction": float(np.diagonal(pattern, -(seq_len - 1)).mean()),
    }


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
        probes = {k for k in (_key(x, row, seq_len) for x in THRESHOLDS) if k is not None}
        probes |= {row - seq_len, row - seq_len + 2, row - 2}  # the keys an off-by-one detector reads
        others = [k for k in range(row + 1) if k not in probes and k != target]
        if not others:
            others = [k for k in range(row + 1) if k != target] or [row]
        pattern[row, others] += rng.dirichlet(np.ones(len(others))) * rest
    return pattern


def _near_plants(above_layer: int) -> dict[str, tuple[str, float]]:
    """One head per kind 0.015 above its threshold in `above_layer`, one 0.015 below in the other."""
    plants = {}
    for index, (kind, threshold) in enumerate(THRESHOLDS.items()):
        plants[f"{above_layer}.{2 * index}"] = (kind, threshold + NEAR)
        plants[f"{1 - above_layer}.{2 * index + 1}"] = (kind, threshold - NEAR)
    return plants


PUBLIC_PLANTED = [  # (id, model, seq_len, plants, group)
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
        {"0.1": ("prev", 0.7), "1.2": ("current", 0.5), "2.3": ("first", 0.5), "2.1": ("induction", 0.25)},
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


# --- the public and the secret draw ------------------------------------------------------------


@functools.cache
def inputs(secret: str | None = None, attempt: int = 0) -> Inputs:
    """The public inputs (`secret` None), or those drawn from `secret`: its `attempt`th draw, where
    the screen left a test of the earlier ones without inputs."""
    if secret is None:
        return _build(
            PUBLIC_MODELS, TOKEN_CASES, RUN_CASES, REPEATED, PUBLIC_PLANTED, np.random.default_rng(20261129)
        )
    rng = np.random.default_rng(draw_seed(secret, "induction_heads"))
    if attempt:
        rng = rng.spawn(attempt)[-1]  # another draw, derived from the secret's alone
    return _build(*_secret_draw(rng), rng, secret=True)


def _secret_draw(rng: np.random.Generator):
    models = {
        "default": {"source": "default", "permutation": specs.permutation(rng, 2, 12)},
        "tiny": specs.random_model(rng, layers=(3, 4), heads=(3, 8)),
        "wide": specs.random_model(rng, layers=(1, 1), heads=(10, 16)),
    }
    seeds = [int(s) for s in rng.choice(1 << 20, size=8, replace=False)]
    long = int(rng.integers(30, 61))
    token_cases = [
        ("default", seeds[0], long, 1),
        ("default", seeds[1], long, 1),  # the same input under another seed: is the generator reseeded?
        ("default", seeds[2], int(rng.integers(3, 12)), int(rng.integers(2, 6))),
        ("tiny", seeds[3], int(rng.integers(1, 4)), int(rng.integers(2, 5))),
        ("wide", seeds[4], int(rng.integers(10, 31)), int(rng.integers(1, 4))),
        ("default", seeds[5], int(rng.integers(5, 25)), None),
    ]
    run_cases = [
        ("default", seeds[6], int(rng.integers(30, 61)), 1),
        ("default", seeds[7], int(rng.integers(15, 30)), int(rng.integers(2, 5))),
        ("tiny", seeds[0] + 1, int(rng.integers(8, 16)), int(rng.integers(1, 4))),
    ]
    repeated = [
        (model, int(rng.integers(low, high)), group, int(rng.integers(1 << 30)), slot)
        for slot, (model, low, high, group) in enumerate(
            (
                ("default", 40, 61, "repeated"),
                ("default", 11, 20, "repeated"),
                ("default", 5, 9, "repeated"),
                ("tiny", 6, 15, "shapes"),
                ("wide", 20, 41, "shapes"),
            )
        )
        for _ in range(SECRET_CANDIDATES[model])
    ]
    planted = [
        (
            "planted-near-a",
            "default",
            int(rng.integers(8, 16)),
            _drawn_near(rng, models["default"], 0),
            "near",
        ),
        (
            "planted-near-b",
            "default",
            int(rng.integers(16, 31)),
            _drawn_near(rng, models["default"], 1),
            "near",
        ),
        (
            "planted-strong",
            "default",
            int(rng.integers(40, 61)),
            _drawn_strong(rng, models["default"]),
            "near",
        ),
        ("planted-tiny", "tiny", int(rng.integers(5, 9)), _drawn_strong(rng, models["tiny"]), "shapes"),
        ("planted-wide", "wide", int(rng.integers(20, 31)), _drawn_strong(rng, models["wide"]), "shapes"),
        ("planted-short", "tiny", 2, _drawn_strong(rng, models["tiny"], short=True), "edges"),
        (
            "planted-shortest",
            "wide",
            1,
            _drawn_strong(rng, models["wide"], short=True, kinds=("current", "first", "prev")),
            "edges",
        ),
    ]
    return models, token_cases, run_cases, repeated, planted


def _heads(rng: np.random.Generator, spec: dict, count: int, layers: list[int] | None = None) -> list[str]:
    facts = specs.facts(spec)
    every = [
        f"{layer}.{head}"
        for layer in (layers if layers is not None else range(facts["n_layers"]))
        for head in range(facts["n_heads"])
    ]
    return [every[i] for i in rng.choice(len(every), size=min(count, len(every)), replace=False)]


def _drawn_near(rng: np.random.Generator, spec: dict, above_layer: int) -> dict[str, tuple[str, float]]:
    """One head per kind just above its threshold in one layer, one just below in the other."""
    above = _heads(rng, spec, 4, [above_layer])
    below = _heads(rng, spec, 4, [1 - above_layer])
    plants = {}
    for index, (kind, threshold) in enumerate(THRESHOLDS.items()):
        plants[above[index]] = (kind, round(threshold + float(rng.uniform(0.012, 0.03)), 4))
        plants[below[index]] = (kind, round(threshold - float(rng.uniform(0.012, 0.03)), 4))
    return plants


def _drawn_strong(
    rng, spec: dict, short: bool = False, kinds=tuple(THRESHOLDS)
) -> dict[str, tuple[str, float]]:
    """A few heads of each kind well above its threshold, a few near it."""
    chosen = [kinds[i % len(kinds)] for i in range(len(kinds) + int(rng.integers(0, 3)))]
    plants = {}
    for label, kind in zip(_heads(rng, spec, len(chosen)), chosen, strict=False):
        low = THRESHOLDS[kind] + 0.05
        high = 0.7 if short else 0.9
        plants[label] = (kind, _clear(rng, low, high))
    return plants


def _clear(rng: np.random.Generator, low: float, high: float) -> float:
    """A score in [low, high] at least 0.02 from both thresholds: a head planted for one kind can
    score as much for another on short sequences (there the induction diagonal is another's)."""
    while True:
        value = round(float(rng.uniform(low, high)), 3)
        if all(abs(value - t) > 0.02 for t in (0.2, 0.4)):
            return value


def _build(models, token_cases, run_cases, repeated, planted, rng, secret: bool = False) -> Inputs:
    caches: dict[str, dict] = {"text-default": {"kind": "text", "model": "default", "text": SEED_TEXT}}
    about: dict[str, tuple[str, str, int | None]] = {
        "text-default": ("text", "the seed's text on the default model", None)
    }
    tensors: dict[str, np.ndarray] = {}
    plant_notes: dict[str, dict] = {}
    slots: dict[str, int] = {}  # repeated-token caches: the place each is a candidate for
    for index, (model, seq_len, group, seed, *slot) in enumerate(repeated):
        slots[f"repeated-{model}-{seq_len}" if not secret else f"repeated-{model}-{seq_len}-{seed}"] = (
            slot[0] if secret else index
        )
        key = f"repeated-{model}-{seq_len}" if not secret else f"repeated-{model}-{seq_len}-{seed}"
        caches[key] = {"kind": "repeated", "model": model, "seq_len": seq_len, "seed": seed}
        about[key] = (group, f"repeated random tokens (seq_len {seq_len}) on {words(models[model])}", seq_len)
    for key, model, seq_len, plants, group in planted:
        facts = specs.facts(models[model])
        layers = planted_patterns(facts["n_layers"], facts["n_heads"], seq_len, plants, rng)
        caches[key] = {
            "kind": "patterns",
            "model": model,
            "patterns": [f"{key}.{i}" for i in range(len(layers))],
        }
        tensors |= {f"{key}.{i}": pattern for i, pattern in enumerate(layers)}
        about[key] = (
            group,
            f"planted patterns ({1 + 2 * seq_len} positions) on {words(models[model])}",
            seq_len,
        )
        plant_notes[key] = {label: [kind, mean] for label, (kind, mean) in plants.items()}

    cases = []
    for function, table in (
        ("generate_repeated_tokens", token_cases),
        ("run_and_cache_model_repeated_tokens", run_cases),
    ):
        for model, seed, seq_len, batch in table:
            args = [specs.model(model), specs.value(seq_len)] + (
                [specs.value(batch)] if batch is not None else []
            )
            said = f"{words(models[model])}, seq_len={seq_len}, " + (
                f"batch={batch}" if batch is not None else "batch left to its default"
            )
            facts = specs.facts(models[model])
            extra = dict(model=model, seq_len=seq_len, batch=batch or 1, d_vocab=facts["d_vocab"])
            cases.append(
                Case(
                    f"{function}/{model}-s{seed}-L{seq_len}-b{batch}",
                    function,
                    tuple(args),
                    seed,
                    f"{said} (torch seed {seed})",
                    "",
                    extra,
                    specs.notebook_globals(model),
                    secret=secret,
                )
            )
    for function, groups in GROUPS.items():
        for key, (group, said, _) in about.items():
            if group not in groups:
                continue
            model = caches[key]["model"]
            facts = specs.facts(models[model])
            extra = {
                "cache": key,
                "model": model,
                "shape": (facts["n_layers"], facts["n_heads"]),
                "plants": plant_notes.get(key, {}),
                "slot": slots.get(key),
            }
            # A notebook's detectors read the global seq_len: (positions - 1) // 2 of this cache.
            globals_ = specs.notebook_globals(model) | {"seq_len": {"kind": "seq_len", "cache": key}}
            cases.append(
                Case(
                    f"{function}/{key}",
                    function,
                    (specs.cache(key),),
                    0,
                    said,
                    group,
                    extra,
                    globals_,
                    secret=secret,
                )
            )
    return Inputs({"models": models, "caches": caches}, tensors, tuple(cases))


def screen(inputs: Inputs, reference) -> Inputs:
    """Keeps, of each place in a secret draw, the first repeated-token cache in which every real
    head scores at least MARGIN from both thresholds (near one, float32 and float64 detectors could
    disagree, and so could the explanation of a wrong one); the public inputs were chosen so."""
    chosen: dict[int, str] = {}
    for case in inputs.of("induction_attn_detector"):
        slot = case.extra.get("slot")
        if slot is None or slot in chosen or not case.secret:
            continue
        layers = [p.values for p in reference.outcomes[case.id]["args"][0].patterns]
        clear = all(
            abs(score - threshold) >= MARGIN
            for layer in layers
            for head in layer
            for score in scores(head).values()
            for threshold in (0.2, 0.4)
        )
        if clear:
            chosen[slot] = case.extra["cache"]
    kept = [
        case
        for case in inputs.cases
        if case.extra.get("slot") is None
        or not case.secret
        or chosen.get(case.extra["slot"]) == case.extra["cache"]
    ]
    return Inputs(inputs.catalog, inputs.tensors, tuple(kept))
