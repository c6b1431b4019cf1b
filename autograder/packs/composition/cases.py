"""What every submission is called on: the models, the matrices, the heads, and the cases of each
function.

Public inputs (those of `check`) are fixed here; inputs drawn from a secret (`grade --secret`) are
the same kinds of case, re-drawn: other heads, matrices, seeds, sequence lengths, models of other
shapes, and the default model's heads relabelled by a secret permutation (which leaves its function
unchanged), so that nothing copied from `check`'s feedback fits them. All of it is plain data, built
deterministically on the judge's side; the worker builds models, circuits and patterns from it
(`autograder/transformer_lens/composition_fixtures.py`). Expected values come from running the
reference solution on the same cases.

Where a function is graded on a model given as an argument, the notebook's global `model` is the
default model: a function that reads the global instead of its argument answers for the wrong model.
Some cases carry arguments that are not passed to the function (the "leading" driver): the model's
weights, or the patterns of ablated runs, which the reference run records so that the hints can work
out on the judge's side what the usual wrong versions would have returned.

Every case is cheap (small models, one sequence of about twenty tokens): a submission is graded in
well under 0.1 s.
"""

from __future__ import annotations

import functools

import numpy as np

from autograder.engine.pack import Case, Inputs
from autograder.engine.secret import draw_seed
from autograder.transformer_lens import specs

F_KCOMP = "find_K_comp_full_circuit"
F_SCORE = "get_comp_score"
F_TABLES = "get_composition_scores"
F_RANDOM = "generate_single_random_comp_score"
F_BATCHED = "get_batched_comp_scores"
F_ABLATION = "ablation_induction_score"
WEIGHTS = ("W_E", "W_Q", "W_K", "W_V", "W_O")
HINT_ROWS = [0, 1, 2, 3, 5, 8, 13, 21]  # rows of a K-composition circuit the hints compare
SAMPLES = 40  # calls of generate_single_random_comp_score per case: its values' mean and spread are judged

PUBLIC_MODELS: dict[str, dict] = {
    "default": {"source": "default"},
    "small": dict(
        source="random", n_layers=2, n_heads=5, d_model=32, d_head=8, d_vocab=301, tokens=290,
        n_ctx=128, bos=7, eos=1, pad=2, seed=31,
    ),
    "trio": dict(
        source="random", n_layers=3, n_heads=3, d_model=16, d_head=4, d_vocab=151, tokens=140,
        n_ctx=64, bos=3, eos=1, pad=2, seed=32,
    ),
}  # fmt: skip

# find_K_comp_full_circuit: (model, prev_token_head_index, ind_head_index, group)
KCOMP = [("default", 7, 4, "default"), ("small", 1, 3, "shapes"), ("trio", 2, 0, "shapes")]
# get_comp_score: (kind, spec, group): "heads": (model, A's circuit, layer, head, B's circuit, layer,
# head, B transposed); "random": (rows of A, inner, columns of B, rank, seed)
SCORES = [
    ("heads", ("default", "OV", 0, 7, "QK", 1, 4, True), "heads"),
    ("heads", ("default", "OV", 0, 7, "OV", 1, 10, False), "heads"),
    ("heads", ("small", "OV", 0, 2, "QK", 1, 1, False), "heads"),
    ("random", (6, 9, 4, 9, 500), "random"),
    ("random", (12, 12, 12, 3, 501), "random"),
]
TABLES = [("default", "default"), ("small", "shapes"), ("trio", "shapes")]
# generate_single_random_comp_score: (model whose d_model and d_head the global `model` gives, seed)
RANDOM = [("default", 600), ("small", 601)]
# get_batched_comp_scores: (kind, spec, group), on small models only: FactoredMatrix.norm() (ARENA's
# way) takes an SVD of each matrix, 0.09 s for the default model's 12 x 12 pairs. "layer": (model,
# A circuit, A layer, B circuit, B layer, B transposed), A's layer None for every layer; "random":
# (A index, B index, rows, inner, middle rank, columns, seed)
BATCHED = [
    ("layer", ("small", "OV", 0, "QK", 1, True), "heads"),
    ("layer", ("small", "OV", None, "QK", 1, False), "indices"),
    ("random", ((2, 3), (4,), 5, 6, 3, 7, 700), "indices"),
]
# ablation_induction_score: (model, seq_len, token seed, [(prev_head_index, ind_head_index), ...], group)
ABLATION = [("default", 10, 29, [(7, 4), (7, 10), (None, 4), (5, 10)], "default"),
            ("small", 8, 31, [(1, 2), (None, 3)], "shapes")]  # fmt: skip


def words(spec: dict) -> str:
    if spec["source"] == "default":
        return "the default model"
    facts = specs.facts(spec)
    return f"a {facts['n_layers']}-layer, {facts['n_heads']}-head model (d_model {spec['d_model']})"


def shape(spec: dict) -> dict:
    config = specs.default_config() if spec["source"] == "default" else spec
    return {key: config[key] for key in ("n_layers", "n_heads", "d_model", "d_head", "d_vocab")}


def _weight(model: str, name: str) -> dict:
    return {"kind": "weight", "model": model, "name": name}


def _circuit(model: str, circuit: str, layer=None, head=None, transpose=False, dense=False) -> dict:
    return {"kind": "circuit", "model": model, "circuit": circuit, "layer": layer, "head": head,
            "transpose": transpose, "dense": dense}  # fmt: skip


def _low_rank(rng: np.random.Generator, rows: int, columns: int, rank: int) -> np.ndarray:
    return (rng.standard_normal((rows, rank)) @ rng.standard_normal((rank, columns))).astype(np.float32)


# --- the public and the secret draw ------------------------------------------------------------


@functools.cache
def inputs(secret: str | None = None) -> Inputs:
    """The public inputs (`secret` None), or those drawn from `secret`."""
    if secret is None:
        return _build(PUBLIC_MODELS, KCOMP, SCORES, TABLES, RANDOM, BATCHED, ABLATION, 20261203)
    rng = np.random.default_rng(draw_seed(secret, "composition"))
    return _build(*_secret_draw(rng), int(rng.integers(1 << 30)), secret=True)


def _secret_draw(rng: np.random.Generator):
    models = {
        "default": {"source": "default", "permutation": specs.permutation(rng, 2, 12)},
        "small": specs.random_model(rng, layers=(2, 2), heads=(4, 6)),
        "trio": specs.random_model(rng, layers=(3, 3), heads=(2, 4)),
    }
    seeds = iter(int(s) for s in rng.choice(1 << 20, size=32, replace=False))
    # The default model's heads as the permutation relabels them: new head h is old head order[h].
    where = [{old: new for new, old in enumerate(order)} for order in models["default"]["permutation"]]

    def head(model: str) -> int:
        return int(rng.integers(0, specs.facts(models[model])["n_heads"]))

    def pair(model: str) -> tuple[int, int]:
        return head(model), head(model)

    kcomp = [
        ("default", where[0][7], where[1][int(rng.choice([4, 10]))], "default"),
        ("small", *pair("small"), "shapes"),
        ("trio", *pair("trio"), "shapes"),
    ]
    scores = [
        ("heads", ("default", "OV", 0, where[0][7], "QK", 1, where[1][4], True), "heads"),
        ("heads", ("default", "OV", 0, head("default"), "OV", 1, head("default"), False), "heads"),
        ("heads", ("small", "OV", 0, head("small"), "QK", 1, head("small"), bool(rng.integers(2))), "heads"),
        ("random", (int(rng.integers(4, 9)), 9, int(rng.integers(3, 7)), 9, next(seeds)), "random"),
        ("random", (12, 12, 12, int(rng.integers(2, 5)), next(seeds)), "random"),
    ]
    random = [("default", next(seeds)), ("small", next(seeds))]
    batched = [
        ("layer", ("small", "OV", 0, "QK", 1, bool(rng.integers(2))), "heads"),
        ("layer", ("small", "OV", None, "QK", 1, bool(rng.integers(2))), "indices"),
        (
            "random",
            ((2, int(rng.integers(2, 4))), (int(rng.integers(3, 6)),), 5, 6, 3, 7, next(seeds)),
            "indices",
        ),
    ]
    ind = where[1][int(rng.choice([4, 10]))]
    default_pairs = [(where[0][7], ind), (None, ind), pair("default"), (head("default"), ind)]
    ablation = [
        ("default", int(rng.integers(8, 13)), next(seeds), default_pairs, "default"),
        ("small", int(rng.integers(6, 10)), next(seeds), [pair("small"), (None, head("small"))], "shapes"),
    ]
    return models, kcomp, scores, TABLES, random, batched, ablation


def _build(models, kcomp, scores, tables, random, batched, ablation, seed, secret=False) -> Inputs:
    tensors: dict[str, np.ndarray] = {}
    ablations: dict[str, dict] = {}
    cases: list[Case] = []

    def case(function, key, args, about, group, extra, globals_=None, driver=None, seed=0):
        model = extra.get("model", "default")
        cases.append(
            Case(
                f"{function}/{key}",
                function,
                tuple(args),
                seed,
                about,
                group,
                extra | {"shape": shape(models[model])},
                globals_ if globals_ is not None else specs.notebook_globals("default"),
                driver,
                secret,
            )
        )

    weights = lambda model: [_weight(model, name) for name in WEIGHTS]  # noqa: E731 (the hints' inputs)

    for index, (model, prev, ind, group) in enumerate(kcomp):
        args = [specs.model(model), specs.value(prev), specs.value(ind), *weights(model)]
        about = f"prev_token_head_index={prev}, ind_head_index={ind} on {words(models[model])}"
        extra = {"model": model, "prev": prev, "ind": ind}
        case(
            F_KCOMP,
            f"{index}-{model}-{prev}-{ind}",
            args,
            about,
            group,
            extra,
            driver={"name": "leading", "count": 3},
        )

    for index, (kind, spec, group) in enumerate(scores):
        if kind == "heads":
            model, a_circuit, a_layer, a_head, b_circuit, b_layer, b_head, transposed = spec
            args = [
                _circuit(model, a_circuit, a_layer, a_head, dense=True),
                _circuit(model, b_circuit, b_layer, b_head, transposed, dense=True),
            ]
            b = f"{b_circuit}[{b_layer}, {b_head}]" + (".T" if transposed else "")
            about = f"W_A = {a_circuit}[{a_layer}, {a_head}], W_B = {b} of {words(models[model])}"
            extra = {"model": model}
        else:
            rows, inner, columns, rank, draw = spec
            local = np.random.default_rng(draw)
            name = f"{F_SCORE}/{index}"
            tensors[f"{name}/A"] = _low_rank(local, rows, inner, min(rank, rows, inner))
            tensors[f"{name}/B"] = _low_rank(local, inner, columns, min(rank, inner, columns))
            args = [specs.tensor(f"{name}/A"), specs.tensor(f"{name}/B")]
            about = f"random matrices W_A [{rows}, {inner}] and W_B [{inner}, {columns}]"
            extra = {}
        case(F_SCORE, f"{index}-{kind}", args, about, group, extra)

    for model, group in tables:
        args = [specs.model(model), *weights(model)]
        about = f"{words(models[model])}"
        case(F_TABLES, model, args, about, group, {"model": model}, driver={"name": "leading", "count": 1})

    for model, draw in random:
        facts = shape(models[model])
        about = (
            f"{SAMPLES} calls under torch seed {draw}, the global model being {words(models[model])} "
            f"(d_model {facts['d_model']}, d_head {facts['d_head']})"
        )
        driver = {"name": "repeat", "times": SAMPLES}
        case(F_RANDOM, f"{model}-s{draw}", [], about, model, {"model": model},
             specs.notebook_globals(model), driver, seed=draw)  # fmt: skip

    for index, (kind, spec, group) in enumerate(batched):
        if kind == "layer":
            model, a_circuit, a_layer, b_circuit, b_layer, transposed = spec
            args = [
                _circuit(model, a_circuit, a_layer),
                _circuit(model, b_circuit, b_layer, transpose=transposed),
            ]
            a = f"{a_circuit}[{a_layer}]" if a_layer is not None else f"{a_circuit} (every layer)"
            b = f"{b_circuit}[{b_layer}]" + (".T" if transposed else "")
            about = f"W_As = {a}, W_Bs = {b} of {words(models[model])}"
            extra = {"model": model}
        else:
            a_index, b_index, rows, inner, rank, columns, draw = spec
            local = np.random.default_rng(draw)
            name = f"{F_BATCHED}/{index}"
            tensors[f"{name}/AA"] = local.standard_normal((*a_index, rows, rank)).astype(np.float32)
            tensors[f"{name}/AB"] = local.standard_normal((*a_index, rank, inner)).astype(np.float32)
            tensors[f"{name}/BA"] = local.standard_normal((*b_index, inner, rank)).astype(np.float32)
            tensors[f"{name}/BB"] = local.standard_normal((*b_index, rank, columns)).astype(np.float32)
            args = [
                {"kind": "factored", "A": f"{name}/AA", "B": f"{name}/AB"},
                {"kind": "factored", "A": f"{name}/BA", "B": f"{name}/BB"},
            ]
            about = (
                f"random factored matrices W_As of shape {[*a_index, rows, inner]} and W_Bs of shape "
                f"{[*b_index, inner, columns]}"
            )
            extra = {}
        case(F_BATCHED, f"{index}-{kind}", args, about, group, extra)

    for model, seq_len, draw, pairs, group in ablation:
        name = f"{F_ABLATION}/{model}-L{seq_len}-s{draw}"
        tokens = specs.repeated_tokens(models[model], seq_len, draw)
        tensors[name] = tokens
        globals_ = specs.notebook_globals(model) | {
            "rep_tokens": specs.tensor(name),
            "seq_len": specs.value(seq_len),
        }
        for index, (prev, ind) in enumerate(pairs):
            # The runs the usual mistakes make: the right one, nothing ablated (as a head of layer 1
            # ablated: layer 1's pattern comes before its heads' values), and layer 0's pattern read.
            runs = {"right": (0, prev, 1), "none": (0, None, 1), "read0": (0, None, 0)}
            hint_args = []
            for label, (layer, head, read) in runs.items():
                key = f"{name}/{prev}/{label}"
                ablations[key] = {"model": model, "tokens": name, "layer": layer, "head": head, "read": read}
                hint_args.append({"kind": "ablated_pattern", "name": key})
            args = [specs.value(prev), specs.value(ind), *hint_args]
            about = (
                f"prev_head_index={prev}, ind_head_index={ind}, the globals being {words(models[model])} and "
                f"rep_tokens of seq_len {seq_len}"
            )
            extra = {"model": model, "seq_len": seq_len, "prev": prev, "ind": ind}
            key = f"{model}-L{seq_len}-s{draw}-{index}-{prev}-{ind}"
            leading = {"name": "leading", "count": 2}
            case(F_ABLATION, key, args, about, group, extra, globals_, leading)

    catalog = {"models": models, "ablations": ablations}
    return Inputs(catalog, tensors, tuple(cases))
