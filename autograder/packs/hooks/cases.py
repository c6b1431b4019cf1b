"""What every submission is called on: the models, the token sequences, the activations, and the
cases of each function.

Public inputs (those of `check`) are fixed here; inputs drawn from a secret (`grade --secret`) are
the same kinds of case, re-drawn: other seeds, sequence lengths, batch sizes, heads and layers,
models of other shapes, and the default model's heads relabelled by a secret permutation (which
leaves its function unchanged), so that nothing copied from `check`'s feedback fits them. All of it
is plain data, built deterministically on the judge's side; the worker builds models and activations
from it (`autograder/transformer_lens/fixtures.py`). Expected values are not here: they come from
running the reference solution on the same cases.

The hooks are graded as TransformerLens runs them (the fixtures' "hook" driver: a forward pass on
tokens, with the student's function on the hook points named). Such a case's `args` are not passed
to the function: they are the attention patterns of the same run, one sequence at a time, which the
reference run records so that the hints can work out on the judge's side what the usual wrong
versions of the hook would have written.

Every case is cheap (sequences of about ten tokens): a submission is graded in well under 0.1 s.
"""

from __future__ import annotations

import functools

import numpy as np

from autograder.engine.pack import Case, Inputs
from autograder.engine.secret import draw_seed
from autograder.transformer_lens import specs

F_INDUCTION = "induction_score_hook"
F_ATTRIBUTION = "logit_attribution"
F_HOOK = "head_ablation_hook"
F_SCORES = "get_ablation_scores"
STORE = "induction_score_store"
ATTRIBUTION_NAMES = ("hook_embed", "blocks.0.attn.hook_result", "blocks.1.attn.hook_result")

# Models of other shapes than the default (2 layers x 12 heads), so that hard-coded layer and head
# counts are caught (logit_attribution's have exactly two layers). Few of them: the worker checks every
# model for changes after each function.
PUBLIC_MODELS: dict[str, dict] = {
    "default": {"source": "default"},
    "small": dict(
        source="random",
        n_layers=2,
        n_heads=5,
        d_model=32,
        d_head=8,
        d_vocab=301,
        tokens=290,
        n_ctx=128,
        bos=7,
        eos=1,
        pad=2,
        seed=21,
    ),
    # Few heads (for get_ablation_scores, each costs a forward pass), and a layer and a head count
    # swapped between the two, so that a transposed answer has the wrong shape.
    "pair": dict(
        source="random",
        n_layers=2,
        n_heads=3,
        d_model=16,
        d_head=4,
        d_vocab=120,
        tokens=131,
        n_ctx=64,
        bos=9,
        eos=1,
        pad=2,
        seed=24,
    ),
    "trio": dict(
        source="random",
        n_layers=3,
        n_heads=2,
        d_model=16,
        d_head=8,
        d_vocab=151,
        tokens=140,
        n_ctx=64,
        bos=3,
        eos=1,
        pad=2,
        seed=25,
    ),
}
# induction_score_hook: (model, seq_len, batch, seed, group)
INDUCTION = [
    ("default", 10, 2, 100, "default"),
    ("default", 7, 1, 101, "default"),
    ("small", 8, 3, 102, "shapes"),
    ("trio", 5, 2, 103, "shapes"),
]
# logit_attribution: (model, kind, n, seed, group): kind "repeated" (n is seq_len) or "random" (n tokens,
# BOS included)
ATTRIBUTION = [
    ("default", "repeated", 10, 200, "default"),
    ("default", "random", 16, 201, "default"),
    ("small", "repeated", 6, 202, "shapes"),
    ("pair", "random", 9, 203, "shapes"),
    ("small", "random", 2, 204, "shapes"),  # two tokens: a single prediction
]
# head_ablation_hook called on a tensor: (model, batch, positions, layer, head, seed)
HOOK_CALLS = [
    ("default", 2, 13, 0, 5, 300),
    ("small", 1, 14, 1, 4, 301),  # the last head
    ("trio", 3, 12, 2, 0, 302),  # the first
]
# head_ablation_hook as a hook on hook_z: (model, layer, head, seq_len, batch, seed)
HOOK_RUNS = [("default", 1, 4, 6, 1, 310), ("small", 0, 2, 5, 2, 311)]
# get_ablation_scores: (model, seq_len, batch, seed, group). Each case costs 1 + n_layers * n_heads
# forward passes (25 on the default model, more than all the other cases together): small models only.
SCORES = [("pair", 4, 2, 400, "two-layer"), ("trio", 5, 2, 401, "shapes")]


def words(spec: dict) -> str:
    if spec["source"] == "default":
        return "the default model"
    facts = specs.facts(spec)
    return f"a {facts['n_layers']}-layer, {facts['n_heads']}-head model"


def d_head(spec: dict) -> int:
    return specs.default_config()["d_head"] if spec["source"] == "default" else spec["d_head"]


def random_tokens(spec: dict, n: int, seed: int) -> np.ndarray:
    """BOS, then n - 1 random tokens; [1, n] int64."""
    facts = specs.facts(spec)
    draw = np.random.default_rng(seed).integers(0, facts["d_vocab"], (1, n - 1))
    return np.concatenate([np.full((1, 1), facts["bos"]), draw], axis=1).astype(np.int64)


# --- the public and the secret draw ------------------------------------------------------------


@functools.cache
def inputs(secret: str | None = None) -> Inputs:
    """The public inputs (`secret` None), or those drawn from `secret`."""
    if secret is None:
        return _build(PUBLIC_MODELS, INDUCTION, ATTRIBUTION, HOOK_CALLS, HOOK_RUNS, SCORES, 20261201)
    rng = np.random.default_rng(draw_seed(secret, "hooks"))
    return _build(*_secret_draw(rng), int(rng.integers(1 << 30)), secret=True)


def _secret_draw(rng: np.random.Generator):
    models = {
        "default": {"source": "default", "permutation": specs.permutation(rng, 2, 12)},
        "small": specs.random_model(rng, layers=(2, 2), heads=(5, 8)),
        "pair": specs.random_model(rng, layers=(2, 2), heads=(3, 4)),
        "trio": specs.random_model(rng, layers=(3, 3), heads=(2, 2)),
    }
    seeds = iter(int(s) for s in rng.choice(1 << 20, size=32, replace=False))

    def heads(model: str) -> int:
        return specs.facts(models[model])["n_heads"]

    def layers(model: str) -> int:
        return specs.facts(models[model])["n_layers"]

    def between(low: int, high: int) -> int:
        return int(rng.integers(low, high + 1))

    induction = [
        ("default", between(8, 12), between(2, 3), next(seeds), "default"),
        ("default", between(5, 9), 1, next(seeds), "default"),
        ("small", between(6, 10), between(2, 3), next(seeds), "shapes"),
        ("trio", between(4, 8), between(1, 3), next(seeds), "shapes"),
    ]
    attribution = [
        ("default", "repeated", between(8, 12), next(seeds), "default"),
        ("default", "random", between(12, 20), next(seeds), "default"),
        ("small", "repeated", between(4, 8), next(seeds), "shapes"),
        ("pair", "random", between(6, 12), next(seeds), "shapes"),
        ("small", "random", 2, next(seeds), "shapes"),
    ]
    hook_calls = []
    for model in ("default", "small", "trio"):
        positions = between(12, 16)  # more positions than heads: a head index is also a position
        head = between(0, heads(model) - 1)
        hook_calls.append((model, between(1, 3), positions, between(0, layers(model) - 1), head, next(seeds)))
    hook_runs = [
        ("default", between(0, 1), between(0, 11), between(5, 8), 1, next(seeds)),
        ("small", between(0, 1), between(0, heads("small") - 1), between(4, 7), 2, next(seeds)),
    ]
    scores = [
        ("pair", between(3, 5), 2, next(seeds), "two-layer"),
        ("trio", between(3, 5), 2, next(seeds), "shapes"),
    ]
    return models, induction, attribution, hook_calls, hook_runs, scores


def _build(models, induction, attribution, hook_calls, hook_runs, scores, seed, secret=False) -> Inputs:
    rng = np.random.default_rng(seed)  # the values of the z tensors head_ablation_hook is called on
    tensors: dict[str, np.ndarray] = {}
    activations: dict[str, dict] = {}
    cases: list[Case] = []

    def shape_of(model: str) -> tuple[int, int]:
        facts = specs.facts(models[model])
        return facts["n_layers"], facts["n_heads"]

    def case(function, key, args, about, group, extra, globals_=None, driver=None):
        model = extra["model"]
        cases.append(
            Case(
                f"{function}/{key}",
                function,
                tuple(args),
                0,
                about,
                group,
                extra | {"shape": shape_of(model)},
                globals_ if globals_ is not None else specs.notebook_globals(model),
                driver,
                secret,
            )
        )

    for model, seq_len, batch, token_seed, group in induction:
        key = f"{model}-L{seq_len}-b{batch}-s{token_seed}"
        tokens = specs.repeated_tokens(models[model], seq_len, token_seed, batch)
        tensors[f"{F_INDUCTION}/{key}"] = tokens
        n_layers, n_heads = shape_of(model)
        patterns = []  # each sequence's run alone: the reference records them for the hints
        for row in range(batch):
            name = f"{F_INDUCTION}/{key}/row{row}"
            tensors[name] = tokens[row : row + 1]
            names = [f"blocks.{layer}.attn.hook_pattern" for layer in range(n_layers)]
            activations[name] = {"model": model, "tokens": name, "names": names}
            patterns += [{"kind": "activation", "name": name, "key": hook} for hook in names]
        globals_ = specs.notebook_globals(model) | {
            "seq_len": specs.value(seq_len),
            STORE: {"kind": "zeros", "shape": [n_layers, n_heads]},
        }
        driver = {
            "name": "hook",
            "model": model,
            "tokens": f"{F_INDUCTION}/{key}",
            "hooks": "*pattern",
            "returns": f"global:{STORE}",
        }
        about = f"repeated random tokens (seq_len {seq_len}, batch {batch}) on {words(models[model])}"
        extra = {"model": model, "seq_len": seq_len, "batch": batch}
        case(F_INDUCTION, key, patterns, about, group, extra, globals_, driver)

    for model, kind, n, token_seed, group in attribution:
        key = f"{model}-{kind}{n}-s{token_seed}"
        name = f"{F_ATTRIBUTION}/{key}"
        if kind == "repeated":
            tokens = specs.repeated_tokens(models[model], n, token_seed)
            said = f"repeated random tokens (seq_len {n}, {tokens.shape[1]} tokens)"
        else:
            tokens = random_tokens(models[model], n, token_seed)
            said = f"{n} random tokens"
        tensors[name] = tokens
        tensors[f"{name}/tokens"] = tokens[0]
        activations[name] = {"model": model, "tokens": name, "names": list(ATTRIBUTION_NAMES)}
        args = [{"kind": "activation", "name": name, "key": hook} for hook in ATTRIBUTION_NAMES]
        args += [{"kind": "weight", "model": model, "name": "W_U"}, specs.tensor(f"{name}/tokens")]
        extra = {"model": model, "positions": int(tokens.shape[1])}
        case(F_ATTRIBUTION, key, args, f"{said} on {words(models[model])}", group, extra)

    for model, batch, positions, layer, head, z_seed in hook_calls:
        key = f"call-{model}-b{batch}-n{positions}-l{layer}-h{head}-s{z_seed}"
        name = f"{F_HOOK}/{key}"
        n_heads = shape_of(model)[1]
        tensors[name] = rng.standard_normal((batch, positions, n_heads, d_head(models[model]))).astype(
            np.float32
        )
        hook = f"blocks.{layer}.attn.hook_z"
        args = [specs.tensor(name), specs.hook_point(model, hook), specs.value(head)]
        about = (
            f"a z tensor of shape [{batch}, {positions}, {n_heads}, {d_head(models[model])}] (hook {hook}), "
            f"head_index_to_ablate={head}"
        )
        driver = {"name": "hook_call", "names": ["head_index_to_ablate"]}
        case(F_HOOK, key, args, about, "call", {"model": model, "head": head}, driver=driver)

    for model, layer, head, seq_len, batch, token_seed in hook_runs:
        key = f"run-{model}-l{layer}-h{head}-L{seq_len}-b{batch}-s{token_seed}"
        name = f"{F_HOOK}/{key}"
        tensors[name] = specs.repeated_tokens(models[model], seq_len, token_seed, batch)
        driver = {
            "name": "hook",
            "model": model,
            "tokens": name,
            "hooks": [f"blocks.{layer}.attn.hook_z"],
            "kwargs": {"head_index_to_ablate": head},
            "returns": "logits",
        }
        about = (
            f"the hook on blocks.{layer}.attn.hook_z with head_index_to_ablate={head}, "
            f"{words(models[model])} run on repeated random tokens (seq_len {seq_len}, batch {batch})"
        )
        case(F_HOOK, key, [], about, "hook", {"model": model, "head": head, "layer": layer}, driver=driver)

    for model, seq_len, batch, token_seed, group in scores:
        key = f"{model}-L{seq_len}-b{batch}-s{token_seed}"
        name = f"{F_SCORES}/{key}"
        tensors[name] = specs.repeated_tokens(models[model], seq_len, token_seed, batch)
        args = [specs.model(model), specs.tensor(name)]
        about = f"repeated random tokens (seq_len {seq_len}, batch {batch}) on {words(models[model])}"
        extra = {"model": model, "predicted": batch * 2 * seq_len}  # positions the loss averages over
        case(F_SCORES, key, args, about, group, extra)

    return Inputs({"models": models, "activations": activations}, tensors, tuple(cases))
