"""The tests: what each exercise function must get right, with points, and the mistakes we can name.

A test looks at some of its function's cases. For each case it gets what the submission returned
and what the reference returned (plain values: `wire.Tensor`, `wire.Cache`, lists, ...) and says
what is wrong, in a sentence, or nothing. Tests that compare across cases (a reseeded generator
returns the same tokens under two seeds) get all their cases at once.

`hint(function, ...)` names a likely mistake from the pattern of what came back: it tries the
usual wrong versions of the function on the same inputs and reports the one that would have
returned what the submission did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from autograder import cases, paths
from autograder.cases import Case
from autograder.wire import Cache, Tensor

PerCase = Callable[[Case, object, dict], "str | None"]
Across = Callable[[list[tuple[Case, object, dict]]], "str | None"]


@dataclass(frozen=True)
class Test:
    function: str
    name: str
    points: float
    selects: Callable[[Case], bool]
    per_case: PerCase | None = None
    across: Across | None = None
    with_outcome: bool = False  # per_case also gets the submission's whole outcome (e.g. its stand-in calls)

    @property
    def title(self) -> str:
        return f"{self.function}: {self.name}"


def every(case: Case) -> bool:
    return True


# --- facts about the models (the judge does not load them) -------------------------------------


@cache
def d_vocab(model: str) -> int:
    if model == "default":
        config = json.loads((paths.PACKAGE / "data" / "default_model" / "config.json").read_text())
        return int(config["d_vocab"])
    return int(cases.MODELS[model]["d_vocab"])


def fmt(values) -> str:
    text = np.array2string(np.asarray(values), threshold=12, edgeitems=4, separator=", ")
    return " ".join(text.split())


# --- generate_repeated_tokens ------------------------------------------------------------------


def _tokens(got) -> Tensor | str:
    if not isinstance(got, Tensor) or got.kind != "tensor":
        return f"returned {_what(got)}, expected a torch tensor"
    return got


def _what(value) -> str:
    if isinstance(value, Tensor):
        return f"a {value.kind} of shape {list(value.shape)} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, Cache):
        return "an ActivationCache"
    return f"{type(value).__name__ if not hasattr(value, 'cls') else value.cls} {str(value)[:60]!r}"


def _expected_shape(case: Case) -> tuple[int, int]:
    return (case.extra["batch"], 1 + 2 * case.extra["seq_len"])


def gen_shape(case: Case, got, want) -> str | None:
    tokens = _tokens(got)
    if isinstance(tokens, str):
        return tokens
    expected = _expected_shape(case)
    if tokens.shape != expected:
        batch, n = expected
        why = {
            (n,): " (the batch dimension is missing)",
            (batch, n - 1): " (is the BOS token missing?)",
            (batch, 1 + case.extra["seq_len"]): " (the random tokens are not repeated)",
            (batch, 2 * n - 1): " (the whole sequence, BOS included, is repeated)",
        }.get(tokens.shape, "")
        return f"shape {list(tokens.shape)}, expected {list(expected)}{why}"
    if tokens.dtype != "int64":
        return f"dtype {tokens.dtype}, expected int64 (torch.int64, also called torch.long)"
    return None


def _well_shaped(case: Case, got) -> Tensor | None:
    return got if isinstance(got, Tensor) and got.shape == _expected_shape(case) else None


def _rows(got) -> np.ndarray | None:
    """The tokens as rows, whatever the shape mistake (a missing batch dimension: one row)."""
    if not isinstance(got, Tensor) or got.values.ndim not in (1, 2) or got.values.size == 0:
        return None
    return got.values.reshape(1, -1) if got.values.ndim == 1 else got.values


def gen_bos(case: Case, got, want) -> str | None:
    rows = _rows(got)
    if rows is None:
        return "no tokens to look at (see the shape test)"
    bos = int(want["value"].values[0, 0])
    if not np.all(rows[:, 0] == bos):
        return (
            f"first tokens {fmt(rows[:, 0])}, expected the BOS id {bos} "
            "(model.tokenizer.bos_token_id) in every row"
        )
    return None


def _drawn(rows: np.ndarray | None, case: Case) -> str | None:
    """What keeps `rows` from being a random draw that property checks can be passed on, if anything:
    a constant tensor repeats itself and lies in any range, but earns nothing for it."""
    if rows is None:
        return "no tokens to look at (see the shape test)"
    if case.extra["seq_len"] >= 5 and any(len(np.unique(row[1:])) < 2 for row in rows):
        return f"the tokens {fmt(rows[0])} are not random: draw them with t.randint"
    return None


def gen_repeats(case: Case, got, want) -> str | None:
    rows = _rows(got)
    if problem := _drawn(rows, case):
        return problem
    body = rows[:, 1:] if rows.shape[1] % 2 else rows  # with or without a leading BOS
    half = body.shape[1] // 2
    first, second = body[:, :half], body[:, half:]
    if not np.array_equal(first, second):
        return f"the second half {fmt(second[0])} does not repeat the first {fmt(first[0])}"
    return None


def gen_range(case: Case, got, want) -> str | None:
    rows = _rows(got)
    if problem := _drawn(rows, case):
        return problem
    vocab = d_vocab(case.extra["model"])
    if rows.min() < 0 or rows.max() >= vocab:
        return (
            f"token ids from {rows.min()} to {rows.max()}, but this model's d_vocab is {vocab}: "
            "draw from [0, model.cfg.d_vocab)"
        )
    return None


def gen_device(case: Case, got, want) -> str | None:
    tokens = _tokens(got)
    if isinstance(tokens, str):
        return tokens
    if problem := _drawn(_rows(tokens), case):
        return problem
    if tokens.device != want["value"].device:
        return f"on device {tokens.device}, expected model.cfg.device ({want['value'].device})"
    return None


def gen_not_reseeded(pairs) -> str | None:
    by_input: dict[tuple, list] = {}
    for case, got, _ in pairs:
        key = (case.extra["model"], case.extra["seq_len"], case.extra["batch"])
        by_input.setdefault(key, []).append((case, got))
    compared = 0
    for group in by_input.values():
        for (a, got_a), (b, got_b) in zip(group, group[1:], strict=False):
            if isinstance(got_a, Tensor) and isinstance(got_b, Tensor) and got_a.shape == got_b.shape:
                compared += 1
                if np.array_equal(got_a.values, got_b.values):
                    return (
                        f"the same tokens under torch seeds {a.seed} and {b.seed}: draw from torch's global "
                        "generator as it is, without calling t.manual_seed (the grader seeds it)"
                    )
    if not compared:
        return "no two tensors of tokens came back to compare across seeds (see the tests above)"
    return None


def gen_exact(case: Case, got, want) -> str | None:
    tokens = _well_shaped(case, got)
    expected = want["value"].values
    if tokens is None:
        return f"not the expected shape (see the shape test); expected {fmt(expected[0])}"
    if np.array_equal(tokens.values, expected):
        return None
    n = case.extra["seq_len"]
    differs = int(np.argmax((tokens.values != expected).any(axis=0)))
    hint = ""
    if (
        np.array_equal(tokens.values[:, 1 : 1 + n], tokens.values[:, 1 + n :])
        and tokens.values[0, 0] == expected[0, 0]
    ):
        hint = (
            " The structure is right but the random tokens differ: draw them with exactly one call, "
            "t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64), and no other random call "
            "before it."
        )
    got_row, want_row = fmt(tokens.values[0]), fmt(expected[0])
    return f"first difference at position {differs}: got {got_row}, expected {want_row}.{hint}"


# --- run_and_cache_model_repeated_tokens -------------------------------------------------------


def _triple(got) -> tuple | str:
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return f"returned {_what(got)}, expected a tuple (tokens, logits, cache)"
    return tuple(got)


def run_order(case: Case, got, want) -> str | None:
    triple = _triple(got)
    if isinstance(triple, str):
        return triple
    kinds = tuple(_kind(x) for x in triple)
    if kinds == ("tokens", "logits", "cache"):
        return None
    if sorted(kinds) == ["cache", "logits", "tokens"]:
        return f"returned ({', '.join(kinds)}): the order must be (tokens, logits, cache)"
    return f"returned ({', '.join(_what(x) for x in triple)}), expected (tokens, logits, cache)"


def _kind(value) -> str:
    if isinstance(value, Cache):
        return "cache"
    if isinstance(value, Tensor) and value.values.ndim == 2 and value.dtype.startswith(("int", "uint")):
        return "tokens"
    if isinstance(value, Tensor) and value.values.ndim == 3 and value.dtype.startswith(("float", "bfloat")):
        return "logits"
    return "other"


def _part(got, index: int):
    return got[index] if isinstance(got, (tuple, list)) and len(got) == 3 else None


def run_tokens(case: Case, got, want, outcome: dict) -> str | None:
    tokens, expected = _part(got, 0), want["value"][0].values
    if not (outcome.get("stand_in_calls") or {}).get("generate_repeated_tokens"):
        return (
            "it does not call generate_repeated_tokens: use generate_repeated_tokens(model, seq_len, batch) "
            "for the tokens, as the docstring asks"
        )
    if not isinstance(tokens, Tensor):
        return f"the first item is {_what(tokens)}, expected the tokens"
    if tokens.shape != expected.shape or not np.array_equal(tokens.values, expected):
        return (
            f"tokens {fmt(tokens.values)} are not those that generate_repeated_tokens returned "
            f"({fmt(expected)}): call generate_repeated_tokens(model, seq_len, batch) once and use its output"
        )
    return None


def run_logits(case: Case, got, want) -> str | None:
    logits, expected = _part(got, 1), want["value"][1].values
    if not isinstance(logits, Tensor):
        return f"the second item is {_what(logits)}, expected the logits"
    if logits.shape != expected.shape:
        why = " (the batch dimension is missing)" if logits.shape == expected.shape[1:] else ""
        return f"logits of shape {list(logits.shape)}, expected {list(expected.shape)}{why}"
    if not np.allclose(logits.values, expected, atol=1e-4, rtol=1e-4):
        worst = float(np.abs(logits.values.astype(np.float64) - expected).max())
        return (
            f"the logits differ from the model's output on the tokens by up to {worst:.3g}: run the model "
            "once, on exactly the tokens you return (model.run_with_cache(tokens))"
        )
    return None


def run_cache(case: Case, got, want) -> str | None:
    cache_, expected = _part(got, 2), want["value"][2]
    if not isinstance(cache_, Cache):
        return f"the third item is {_what(cache_)}, expected an ActivationCache"
    if cache_.error:
        return f"could not read the cache: {cache_.error}"
    if not cache_.has_batch_dim:
        return "the cache has no batch dimension: keep it (remove_batch_dim=False, the default)"
    if len(cache_.patterns) != len(expected.patterns):
        layers = len(expected.patterns)
        return f"the cache has attention patterns for {len(cache_.patterns)} layers, expected {layers}"
    for layer, (pattern, reference) in enumerate(zip(cache_.patterns, expected.patterns, strict=True)):
        if pattern.shape != reference.shape:
            return (
                f"layer {layer}'s pattern has shape {list(pattern.shape)}, expected {list(reference.shape)}"
            )
        if not np.allclose(pattern.values, reference.values, atol=1e-5):
            return f"layer {layer}'s attention pattern is not that of the run on the returned tokens"
    return None


def log_prob_halves(tokens: np.ndarray, logits: np.ndarray, seq_len: int) -> tuple[float, float]:
    """Mean log-prob of the correct next token on the first and second half, as in the seed."""
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    correct = np.take_along_axis(log_probs[:, :-1], tokens[:, 1:, None], axis=-1)[..., 0]
    return float(correct[:, :seq_len].mean()), float(correct[:, seq_len:].mean())


LOSS_GAP = 3.0  # nats: the default model predicts the repeated half at least this much better


def run_loss_gap(case: Case, got, want) -> str | None:
    tokens, logits = _part(got, 0), _part(got, 1)
    expected_tokens, expected_logits = want["value"][0].values, want["value"][1].values
    if not (
        isinstance(tokens, Tensor)
        and isinstance(logits, Tensor)
        and tokens.shape == expected_tokens.shape
        and logits.shape == expected_logits.shape
    ):
        return "no tokens and logits of the expected shapes to compute the loss from (see the tests above)"
    n = case.extra["seq_len"]
    first, second = log_prob_halves(tokens.values.astype(np.int64), logits.values, n)
    ref_first, ref_second = log_prob_halves(expected_tokens, expected_logits, n)
    if abs(first - ref_first) > 1e-3 or abs(second - ref_second) > 1e-3:
        return (
            f"mean log-prob of the correct next token: first half {first:.3f}, second half {second:.3f}; "
            f"the reference's: {ref_first:.3f} and {ref_second:.3f}"
        )
    if case.extra["model"] == "default" and n >= 20 and second - first < LOSS_GAP:
        return f"loss gap {second - first:.2f} nats, expected at least {LOSS_GAP} on the default model"
    return None


# --- detectors ---------------------------------------------------------------------------------

LABEL = re.compile(r"(\d+)\.(\d+)")


def heads(got, shape: tuple[int, int]) -> set[str] | str:
    """The submission's answer as a set of "layer.head" labels, or what is wrong with it."""
    if not isinstance(got, (list, tuple)):
        return f'returned {_what(got)}, expected a list of "layer.head" strings'
    labels = []
    for item in got:
        if not isinstance(item, str):
            return f'the list holds {_what(item)}; each item must be a string such as "1.4"'
        match = LABEL.fullmatch(item)
        if not match:
            return f'{item!r} is not of the form "layer.head" (e.g. "1.4")'
        layer, head = int(match[1]), int(match[2])
        if layer >= shape[0] or head >= shape[1] or item != f"{layer}.{head}":
            return f"{item!r} is not a head of this model ({shape[0]} layers of {shape[1]} heads)"
        labels.append(item)
    if len(set(labels)) != len(labels):
        return f"{sorted(x for x in labels if labels.count(x) > 1)[0]!r} is listed twice"
    return set(labels)


def patterns_of(want: dict) -> list[np.ndarray]:
    """The input's attention patterns, [n_heads, n, n] per layer, as the reference run saw them."""
    return [p.values for p in want["args"][0].patterns]


def det_format(case: Case, got, want) -> str | None:
    found = heads(got, cases.SHAPES[case.extra["model"]])
    return found if isinstance(found, str) else None


def det_matches(case: Case, got, want) -> str | None:
    found = heads(got, cases.SHAPES[case.extra["model"]])
    if isinstance(found, str):
        return found
    expected = set(want["value"])
    if found == expected:
        return None
    layers = patterns_of(want)
    threshold = cases.THRESHOLDS[case.function]

    def explain(labels: set[str], relation: str) -> str:
        shown = [h for h in _order(labels)][:4]
        text = ", ".join(
            f"{h} (score {head_score(layers, h, case.function):.3f} {relation} {threshold})" for h in shown
        )
        return text + (f" and {len(labels) - len(shown)} more" if len(labels) > len(shown) else "")

    parts = [f"expected {_labels(expected)}, got {_labels(found)}"]
    if expected - found:
        parts.append("missing " + explain(expected - found, ">"))
    if found - expected:
        parts.append("not expected " + explain(found - expected, "<="))
    return "; ".join(parts)


def head_score(layers: list[np.ndarray], label: str, function: str) -> float:
    layer, head = map(int, label.split("."))
    return cases.scores(layers[layer][head])[function]


def _order(labels) -> list[str]:
    return sorted(labels, key=lambda x: tuple(int(p) for p in x.split(".")))


def _labels(labels) -> str:
    if not labels:
        return "[] (no heads)"
    ordered = _order(labels)
    if len(ordered) > 8:
        return "[" + ", ".join(ordered[:8]) + f", ... ({len(ordered)} heads)]"
    return "[" + ", ".join(ordered) + "]"


# The usual wrong versions of each detector: (hint, score function on one head's pattern [n, n]).
def _diag(offset: int):
    return lambda p: float(np.diagonal(p, offset).mean()) if np.diagonal(p, offset).size else 0.0


def _induction(shift: int):
    return lambda p: _diag(-((p.shape[-1] - 1) // 2 - 1 + shift))(p)


MISTAKES: dict[str, list[tuple[str, Callable, float]]] = {
    "current_attn_detector": [
        (
            "it reads the diagonal below the main one (offset -1): the current token is the main diagonal",
            _diag(-1),
            0.4,
        ),
        ("it sums the diagonal instead of taking its mean", lambda p: float(np.diagonal(p).sum()), 0.4),
        (
            "it leaves out the first query position: the mean is over every position",
            lambda p: float(np.diagonal(p)[1:].mean()),
            0.4,
        ),
        ("it uses the induction threshold 0.2 instead of 0.4", lambda p: float(np.diagonal(p).mean()), 0.2),
    ],
    "prev_attn_detector": [
        (
            "it reads the main diagonal (offset 0): the previous token is the diagonal just below it "
            "(offset -1)",
            _diag(0),
            0.4,
        ),
        ("it reads the diagonal two below the main one: the previous token is offset -1", _diag(-2), 0.4),
        (
            "it reads the diagonal above the main one (offset +1): below the main diagonal is offset -1",
            _diag(1),
            0.4,
        ),
        ("it sums the diagonal instead of taking its mean", lambda p: float(np.diagonal(p, -1).sum()), 0.4),
        (
            "it divides by the number of positions, not by the diagonal's length",
            lambda p: float(np.diagonal(p, -1).sum() / p.shape[-1]),
            0.4,
        ),
        ("it uses the induction threshold 0.2 instead of 0.4", _diag(-1), 0.2),
    ],
    "first_attn_detector": [
        (
            "it reads the first row (the first query) instead of the first column (attention to key 0)",
            lambda p: float(p[0].mean()),
            0.4,
        ),
        ("it reads the second column: the first token is column 0", lambda p: float(p[:, 1].mean()), 0.4),
        ("it reads the last column instead of the first", lambda p: float(p[:, -1].mean()), 0.4),
        ("it sums the column instead of taking its mean", lambda p: float(p[:, 0].sum()), 0.4),
        (
            "it leaves out the first query position: the mean is over every position",
            lambda p: float(p[1:, 0].mean()),
            0.4,
        ),
        ("it uses the induction threshold 0.2 instead of 0.4", lambda p: float(p[:, 0].mean()), 0.2),
    ],
    "induction_attn_detector": [
        (
            "it reads the diagonal seq_len below the main one: induction heads attend to the token after the "
            "previous copy, seq_len - 1 below",
            _induction(1),
            0.2,
        ),
        (
            "it reads the diagonal seq_len - 2 below the main one: the offset is -(seq_len - 1)",
            _induction(-1),
            0.2,
        ),
        (
            "it reads the diagonal seq_len + 1 below the main one: the offset is -(seq_len - 1)",
            _induction(2),
            0.2,
        ),
        (
            "it uses seq_len = 50 whatever the input: work it out from the pattern's size, (n - 1) // 2",
            lambda p: _diag(-49)(p) if p.shape[-1] > 49 else 0.0,
            0.2,
        ),
        (
            "it sums the diagonal instead of taking its mean",
            lambda p: float(np.diagonal(p, -((p.shape[-1] - 1) // 2 - 1)).sum()),
            0.2,
        ),
        ("it uses the threshold 0.4 instead of 0.2", _induction(0), 0.4),
    ],
}
FIXED_SHAPE_HINT = (
    "it loops over a fixed number of layers or heads (2 and 12?): take them from cache.model.cfg "
    "(n_layers, n_heads)"
)


def _mistake_answer(score, threshold: float, layers: list[np.ndarray], shape=None) -> set[str]:
    n_layers, n_heads = shape or (len(layers), layers[0].shape[0])
    return {
        f"{layer}.{head}"
        for layer in range(min(n_layers, len(layers)))
        for head in range(min(n_heads, layers[layer].shape[0]))
        if score(layers[layer][head]) > threshold
    }


def det_hint(function: str, answers: list[tuple[Case, object, dict]]) -> str | None:
    """Names the mistake that explains every answer the submission gave, where one does."""
    seen = []
    for case, got, want in answers:
        found = heads(got, cases.SHAPES[case.extra["model"]])
        if isinstance(found, set):
            seen.append((case, found, want))
    wrong = [(c, f, w) for c, f, w in seen if f != set(w["value"])]
    if not wrong:
        return None
    for hint, score, threshold in MISTAKES[function]:
        if all(_mistake_answer(score, threshold, patterns_of(w)) == f for _, f, w in seen):
            return hint
    if all(
        _mistake_answer(
            lambda p: cases.scores(p)[function], cases.THRESHOLDS[function], patterns_of(w), (2, 12)
        )
        == f
        for _, f, w in seen
    ):
        return FIXED_SHAPE_HINT
    if len(seen) >= 3 and len({frozenset(f) for _, f, _ in seen}) == 1:
        return (
            f"it returns {_labels(seen[0][1])} for every input: find the heads from the cache's patterns "
            "rather than from one model's answer"
        )
    return None


# --- the tests, with their points --------------------------------------------------------------


def _group(*groups: str) -> Callable[[Case], bool]:
    return lambda case: case.group in groups


def _model(name: str) -> Callable[[Case], bool]:
    return lambda case: case.extra.get("model") == name


def _not_model(name: str) -> Callable[[Case], bool]:
    return lambda case: case.extra.get("model") != name


def detector_tests(name: str) -> list[Test]:
    text = name != "induction_attn_detector"  # the induction detector's input is always repeated tokens
    return [
        Test(
            name,
            'runs without errors and returns a list of "layer.head" strings, each head once',
            2,
            every,
            det_format,
        ),
        *(
            [Test(name, "the seed's text on the default model", 2, _group("text"), det_matches)]
            if text
            else []
        ),
        Test(
            name,
            "repeated random tokens on the default model",
            2 if text else 4,
            _group("repeated"),
            det_matches,
        ),
        Test(
            name,
            "models of other shapes (3 layers x 5 heads, 1 layer x 16 heads)",
            3,
            _group("shapes"),
            det_matches,
        ),
        Test(name, "planted heads just above and just below the threshold", 4, _group("near"), det_matches),
        Test(name, "short sequences and edge positions", 2, _group("edges"), det_matches),
    ]


G, R = "generate_repeated_tokens", "run_and_cache_model_repeated_tokens"
TESTS: list[Test] = [
    *detector_tests("current_attn_detector"),
    *detector_tests("prev_attn_detector"),
    *detector_tests("first_attn_detector"),
    Test(
        G,
        "runs without errors and returns an int64 tensor of shape [batch, 1 + 2 * seq_len]",
        5,
        every,
        gen_shape,
    ),
    Test(G, "every row starts with the BOS token", 2, every, gen_bos),
    Test(G, "the second half repeats the first half", 3, every, gen_repeats),
    Test(G, "token ids lie in [0, d_vocab) of the model given", 2, every, gen_range),
    Test(G, "the tokens are on model.cfg.device", 1, every, gen_device),
    Test(G, "draws from torch's global generator without reseeding it", 2, every, across=gen_not_reseeded),
    Test(
        G, "matches the reference's tokens under fixed seeds (default model)", 3, _model("default"), gen_exact
    ),
    Test(
        G,
        "matches the reference's tokens under fixed seeds (models of other shapes)",
        2,
        _not_model("default"),
        gen_exact,
    ),
    Test(R, "runs without errors and returns (tokens, logits, cache) in that order", 5, every, run_order),
    Test(R, "the tokens are those generate_repeated_tokens returns", 3, every, run_tokens, with_outcome=True),
    Test(R, "the logits are the model's output on those tokens", 4, every, run_logits),
    Test(R, "the cache holds that run's attention patterns, batch dimension kept", 4, every, run_cache),
    Test(R, "the loss gap: mean log-prob of the correct token on each half", 4, every, run_loss_gap),
    *detector_tests("induction_attn_detector"),
]
HINTS: dict[str, Callable] = {
    name: (lambda answers, name=name: det_hint(name, answers)) for name in cases.DETECTORS
}


def tests_of(function: str) -> list[Test]:
    return [test for test in TESTS if test.function == function]
