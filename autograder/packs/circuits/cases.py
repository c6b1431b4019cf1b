"""What every submission is called on: the models, the factored circuits, the score matrices, the
caches and the decomposed inputs of each function.

Public inputs (those of `check`) are fixed here; inputs drawn from a secret are the same kinds of
case, re-drawn: other heads and layers, other models of other shapes, the default model's heads
relabelled by a secret permutation, other sizes and values. Everything is plain data built
deterministically on the judge's side; the worker builds the models and caches from it
(`fixtures.py`). Expected values come from running the reference solution on the same cases.

Functions that take a model are given one, while the notebook's globals (`model`, `cfg`, `device`)
are the default model's: code that reads the global where an argument was given is right on the
default model only. Functions that read the global `model` (ARENA's decompose_q, decompose_k) get
the case's model there.

top_1_acc's inputs are chosen where its argmax's dimension matters: the fraction of rows whose
argmax is their own column differs, by several tokens, from that of columns (a symmetric matrix would
not tell them apart), and no row's top two entries are close enough for rounding to swap them.
"""

from __future__ import annotations

import functools

import numpy as np

from autograder.engine.pack import Case, Inputs
from autograder.engine.secret import draw_seed
from autograder.transformer_lens import specs

F_OV = "full_ov_circuit"
F_TOP1 = "top_1_acc"
F_EFFECTIVE = "effective_ov_circuit"
F_MASK = "mask_scores"
F_POS = "pos_by_pos_pattern"
F_QK_INPUT = "decompose_qk_input"
F_Q = "decompose_q"
F_K = "decompose_k"
F_SCORES = "decompose_attn_scores"

# Two-layer models only: the decomposition is of layer 1's input. d_head differs from the default
# model's 16 (a hard-coded sqrt(16) is caught), and so do the numbers of heads and the vocabularies.
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
        n_ctx=96,
        bos=7,
        eos=1,
        pad=2,
        seed=31,
    ),
    "narrow": dict(
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
        seed=34,
    ),
}
TOP1_MARGIN = 4  # tokens by which dim 0's and dim 1's accuracies differ, at least
TIE = 5e-6  # the smallest gap, relative to the row's scale, between a row's two largest entries (float32
# rounding of the product, in another order, moves entries by about 1e-7 of it)


@functools.cache
def default_weights() -> dict[str, np.ndarray]:
    """The default model's weights as numpy arrays (the judge reads them without torch)."""
    from safetensors.numpy import load_file

    stored = load_file(specs.DEFAULT_MODEL_DIR / "model.safetensors")
    heads = lambda name: np.stack([stored[f"blocks.{i}.attn.{name}"] for i in range(2)])  # noqa: E731
    weights = {name: heads(name) for name in ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V")}
    weights |= {"W_E": stored["embed.W_E"], "W_U": stored["unembed.W_U"], "W_pos": stored["pos_embed.W_pos"]}
    # float32, as stored: numpy's float32 products are several times faster here, and as exact as
    # the answers they are compared with
    return {k: v.astype(np.float32) for k, v in weights.items()}


def permuted(permutation: list[list[int]] | None) -> dict[str, np.ndarray]:
    """The default model's weights with each layer's heads relabelled as the fixtures do."""
    weights = default_weights()
    if not permutation:
        return weights
    out = dict(weights)
    for name in ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V"):
        out[name] = np.stack([weights[name][layer][order] for layer, order in enumerate(permutation)])
    return out


def facts(spec: dict) -> dict:
    """n_layers, n_heads, d_model, d_head, d_vocab, n_ctx of a model spec."""
    if spec["source"] == "default":
        config = specs.default_config()
    else:
        config = spec
    return {k: int(config[k]) for k in ("n_layers", "n_heads", "d_model", "d_head", "d_vocab", "n_ctx")}


def words(spec: dict) -> str:
    if spec["source"] == "default":
        return "the default model"
    f = facts(spec)
    return (
        f"a {f['n_layers']}-layer, {f['n_heads']}-head model (d_head {f['d_head']}, d_vocab {f['d_vocab']})"
    )


def accuracies(product: np.ndarray) -> tuple[float, float, float]:
    """(dim 1's top-1 accuracy, dim 0's, the smallest relative gap between a row's two largest)."""
    n = product.shape[0]
    own = np.arange(n)
    top = np.sort(product, axis=1)[:, -2:]
    scale = np.abs(product).max(axis=1) + 1e-30
    return (
        float((product.argmax(1) == own).mean()),
        float((product.argmax(0) == own).mean()),
        float(((top[:, 1] - top[:, 0]) / scale).min()),
    )


def telling(product: np.ndarray) -> bool:
    """Whether a matrix tells the argmax's dimensions apart, with no near-tie in any row or column."""
    rows, columns, gap = accuracies(product)
    return abs(rows - columns) * product.shape[0] >= TOP1_MARGIN and gap > TIE


def random_circuit(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Factors of an [n, n] matrix that copies (a large diagonal) with columns scaled unevenly, so
    that the rows' argmaxes and the columns' differ: A [n, k], B [k, n]."""
    for _ in range(100):
        A = rng.standard_normal((n, k))
        B = (A * rng.uniform(0.5, 1.5, k)).T + 0.6 * rng.standard_normal((k, n))
        B = B * rng.uniform(0.3, 1.7, n)  # column j scaled: rows' argmaxes move, columns' do not
        if telling(A @ B):
            return A.astype(np.float32), B.astype(np.float32)
    raise RuntimeError("no telling random circuit drawn")  # never met: most draws tell


@functools.cache
def telling_heads() -> tuple[tuple[int, int], ...]:
    """The default model's heads whose full OV circuits tell the argmax's dimensions apart."""
    w = default_weights()
    found = []
    for layer in range(2):
        for head in range(w["W_V"].shape[1]):
            product = (w["W_E"] @ w["W_V"][layer, head]) @ (w["W_O"][layer, head] @ w["W_U"])
            if telling(product.astype(np.float64)):
                found.append((layer, head))
    return tuple(found)


# --- the public and the secret draw ------------------------------------------------------------

# (model, layer, head, group)
OV = [
    ("default", 1, 4, "default"),
    ("default", 1, 10, "default"),
    ("default", 0, 7, "default"),
    ("small", 0, 3, "shapes"),
    ("narrow", 1, 2, "shapes"),
]
# top_1_acc: ("head", layer, head) of the default model, or ("random", n, k)
TOP1 = [("head", 1, 4), ("head", 1, 10), ("random", 200, 12), ("random", 97, 5)]
# (model, layer, heads, group)
EFFECTIVE = [
    ("default", 1, [4, 10], "default"),
    ("default", 0, [7, 2, 9], "default"),
    ("small", 1, [3, 0], "shapes"),
    ("narrow", 0, [2, 1], "shapes"),
]
# mask_scores: the models whose n_ctx sizes the square scores, each the global `model` of its case:
# ARENA's own solution asserts `attn_scores.shape == (model.cfg.n_ctx, model.cfg.n_ctx)`, as its
# scores (the positional pattern's) always are
MASK = ["default", "small", "narrow"]
# (model, layer, head, group)
POS = [
    ("default", 0, 7, "default"),
    ("default", 1, 4, "default"),
    ("small", 1, 2, "shapes"),
    ("narrow", 0, 1, "shapes"),
]
# (model, seq_len, seed)
QK_INPUT = [("default", 8, 501), ("small", 6, 502), ("narrow", 5, 503)]
# decompose_q / decompose_k: (model, head, positions)
QK = [("default", 4, 11), ("default", 10, 9), ("small", 3, 7), ("narrow", 0, 13)]
# decompose_attn_scores: (model, positions)
SCORES = [("default", 9), ("small", 6), ("narrow", 11)]


@functools.cache
def inputs(secret: str | None = None) -> Inputs:
    """The public inputs (`secret` None), or those drawn from `secret`."""
    if secret is None:
        return _build(PUBLIC_MODELS, OV, TOP1, EFFECTIVE, MASK, POS, QK_INPUT, QK, SCORES, 20261203)
    rng = np.random.default_rng(draw_seed(secret, "circuits"))
    return _build(*_secret_draw(rng), int(rng.integers(1 << 30)), secret=True)


def _secret_draw(rng: np.random.Generator):
    models = {
        "default": {"source": "default", "permutation": specs.permutation(rng, 2, 12)},
        "small": specs.random_model(rng, layers=(2, 2), heads=(4, 8)) | {"n_ctx": int(rng.integers(48, 128))},
        "narrow": specs.random_model(rng, layers=(2, 2), heads=(2, 4)) | {"n_ctx": int(rng.integers(32, 96))},
    }
    seeds = iter(int(s) for s in rng.choice(1 << 20, size=32, replace=False))

    def head(model: str) -> int:
        return int(rng.integers(0, facts(models[model])["n_heads"]))

    def layer() -> int:
        return int(rng.integers(0, 2))

    def heads(model: str, count: int) -> list[int]:
        n = facts(models[model])["n_heads"]
        return [int(h) for h in rng.choice(n, size=min(count, n), replace=False)]

    ov = [
        ("default", 1, head("default"), "default"),
        ("default", 0, head("default"), "default"),
        ("small", layer(), head("small"), "shapes"),
        ("narrow", layer(), head("narrow"), "shapes"),
    ]
    telling_ones = telling_heads()
    picked = rng.choice(len(telling_ones), size=2, replace=False)
    top1 = [("head", *telling_ones[int(i)]) for i in picked]
    top1 += [
        ("random", int(rng.integers(120, 260)), int(rng.integers(6, 16))),
        ("random", int(rng.integers(40, 110)), int(rng.integers(3, 8))),
    ]
    effective = [
        ("default", 1, heads("default", 2), "default"),
        ("default", layer(), heads("default", 3), "default"),
        ("small", layer(), heads("small", 2), "shapes"),
        ("narrow", layer(), heads("narrow", 2), "shapes"),
    ]
    mask = MASK  # sized by each model's n_ctx, drawn above
    pos = [
        ("default", 0, head("default"), "default"),
        ("default", 1, head("default"), "default"),
        ("small", layer(), head("small"), "shapes"),
        ("narrow", layer(), head("narrow"), "shapes"),
    ]
    qk_input = [(m, int(rng.integers(4, 9)), next(seeds)) for m in ("default", "small", "narrow")]
    qk = [
        ("default", head("default"), int(rng.integers(9, 14))),
        ("default", head("default"), int(rng.integers(5, 9))),
        ("small", head("small"), int(rng.integers(5, 9))),
        ("narrow", head("narrow"), int(rng.integers(9, 15))),
    ]
    scores = [(m, int(rng.integers(5, 12))) for m in ("default", "small", "narrow")]
    return models, ov, top1, effective, mask, pos, qk_input, qk, scores


def _build(models, ov, top1, effective, mask, pos, qk_input, qk, scores, seed, secret=False) -> Inputs:
    rng = np.random.default_rng(seed)  # the values of the random inputs
    tensors: dict[str, np.ndarray] = {}
    caches: dict[str, dict] = {}
    cases: list[Case] = []

    def case(function, key, args, about, group, extra, globals_model="default", driver=None):
        model = extra.get("model", "default")
        while any(c.id == f"{function}/{key}" for c in cases):  # two draws alike: both kept, apart
            key += "-again"
        extra = extra | {"facts": facts(models[model]), "permutation": models["default"].get("permutation")}
        cases.append(
            Case(
                f"{function}/{key}",
                function,
                tuple(args),
                0,
                about,
                group,
                extra,
                specs.notebook_globals(globals_model),
                driver,
                secret,
            )
        )

    def random_tensor(name: str, shape: tuple) -> dict:
        tensors[name] = rng.standard_normal(shape).astype(np.float32)
        return specs.tensor(name)

    for model, layer, head, group in ov:
        key = f"{model}-l{layer}-h{head}"
        args = [specs.model(model), specs.value(layer), specs.value(head)]
        about = f"head {layer}.{head} of {words(models[model])}"
        case(F_OV, key, args, about, group, {"model": model, "layer": layer, "head": head})

    weights = default_weights()  # top_1_acc's model circuits: the weights themselves, never relabelled
    for i, entry in enumerate(top1):
        if entry[0] == "head":
            _, layer, head = entry
            A = (weights["W_E"] @ weights["W_V"][layer, head]).astype(np.float32)
            B = (weights["W_O"][layer, head] @ weights["W_U"]).astype(np.float32)
            key, group = f"head-l{layer}-h{head}", "model"
            about = f"the full OV circuit of the default model's head {layer}.{head} (shape [1024, 1024])"
        else:
            _, n, k = entry
            A, B = random_circuit(rng, n, k)
            key, group = f"random{i}-n{n}-k{k}", "random"
            about = f"a FactoredMatrix of shape [{n}, {n}] (random factors of inner dimension {k})"
        tensors[f"{F_TOP1}/{key}/A"], tensors[f"{F_TOP1}/{key}/B"] = A, B
        args = [{"kind": "factored", "A": f"{F_TOP1}/{key}/A", "B": f"{F_TOP1}/{key}/B"}]
        case(F_TOP1, key, args, about, group, {"model": "default", "n": int(A.shape[0])})

    for model, layer, heads, group in effective:
        key = f"{model}-l{layer}-h{'-'.join(map(str, heads))}"
        args = [specs.model(model), specs.value(layer), specs.value(list(heads))]
        about = f"heads {', '.join(f'{layer}.{h}' for h in heads)} of {words(models[model])}"
        case(F_EFFECTIVE, key, args, about, group, {"model": model, "layer": layer, "heads": list(heads)})

    for model in mask:
        n = facts(models[model])["n_ctx"]
        key = f"{model}-n{n}"
        args = [random_tensor(f"{F_MASK}/{key}", (n, n))]
        about = f"a [{n}, {n}] tensor of random scores, the global model {words(models[model])} (n_ctx {n})"
        case(F_MASK, key, args, about, "scores", {"n": n}, globals_model=model)

    for model, layer, head, group in pos:
        key = f"{model}-l{layer}-h{head}"
        args = [specs.model(model), specs.value(layer), specs.value(head)]
        about = f"head {layer}.{head} of {words(models[model])} (n_ctx {facts(models[model])['n_ctx']})"
        case(F_POS, key, args, about, group, {"model": model, "layer": layer, "head": head})

    for model, seq_len, token_seed in qk_input:
        key = f"{model}-L{seq_len}-s{token_seed}"
        name = f"{F_QK_INPUT}/{key}"
        tensors[name] = specs.repeated_tokens(models[model], seq_len, token_seed)
        caches[name] = {"model": model, "tokens": name}
        about = f"the cache of a run of {words(models[model])} on repeated random tokens (seq_len {seq_len})"
        case(
            F_QK_INPUT,
            key,
            [{"kind": "full_cache", "name": name}],
            about,
            "default" if model == "default" else "shapes",
            {"model": model, "seq": 1 + 2 * seq_len},
            globals_model=model,
        )

    for function in (F_Q, F_K):
        for model, head, positions in qk:
            f = facts(models[model])
            key = f"{model}-h{head}-n{positions}"
            shape = (2 + f["n_heads"], positions, f["d_model"])
            args = [random_tensor(f"{function}/{key}", shape), specs.value(head)]
            about = (
                f"a random decomposed input of shape {list(shape)}, head 1.{head} of {words(models[model])}"
            )
            case(
                function,
                key,
                args,
                about,
                "default" if model == "default" else "shapes",
                {"model": model, "head": head},
                globals_model=model,
                driver={"name": "model_if_asked"},
            )

    for model, positions in scores:
        f = facts(models[model])
        key = f"{model}-n{positions}"
        shape = (2 + f["n_heads"], positions, f["d_head"])
        args = [random_tensor(f"{F_SCORES}/{key}/q", shape), random_tensor(f"{F_SCORES}/{key}/k", shape)]
        about = f"random decomposed queries and keys of shape {list(shape)} ({words(models[model])})"
        case(
            F_SCORES,
            key,
            args,
            about,
            "default" if model == "default" else "shapes",
            {"model": model},
            globals_model=model,
            driver={"name": "model_if_asked"},
        )

    return Inputs({"models": models, "full_caches": caches}, tensors, tuple(cases))
