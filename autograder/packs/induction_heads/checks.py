"""The tests: what each exercise function must get right, with points.

A test looks at some of its function's cases. For each case it gets what the submission returned
and what the reference returned (plain values: `wire.Tensor`, `wire.Record`, lists, ...) and says
what is wrong, in a sentence, or nothing. Tests that compare across cases (a reseeded generator
returns the same tokens under two seeds) get all their cases at once. On an input drawn from a
secret, a message says what is wrong without printing the whole expected answer; the details
(`Failure.details`) are shown only after the due date. Points are earned only on evidence: a
test passes when a real answer came back and matched.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.kit import (
    Answer,
    Case,
    Failure,
    Test,
    compare_labels,
    extra_is,
    extra_is_not,
    fmt,
    group,
    heads,
    order,
    say,
    show_labels,
    what,
)
from autograder.engine.wire import Tensor, is_record
from autograder.packs.induction_heads import cases
from autograder.packs.induction_heads.cases import KINDS, THRESHOLDS

# --- generate_repeated_tokens ------------------------------------------------------------------


def _tokens(got) -> Tensor | str:
    if not isinstance(got, Tensor) or got.kind != "tensor":
        return f"returned {what(got)}, expected a torch tensor"
    return got


def _expected_shape(case: Case) -> tuple[int, int]:
    return (case.extra["batch"], 1 + 2 * case.extra["seq_len"])


def tokens_shape(case: Case, got, want: Answer) -> str | None:
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
    return _drawn(_rows(case, tokens), case)  # a constant tensor of that shape shows nothing


def _well_shaped(case: Case, got) -> Tensor | None:
    return got if isinstance(got, Tensor) and got.shape == _expected_shape(case) else None


def _rows(case: Case, got) -> np.ndarray | None:
    """The tokens as rows, whatever the shape mistake (a missing batch dimension: one row); None when
    they are not tokens of about the size asked for (nothing larger is looked at)."""
    if not isinstance(got, Tensor) or got.values.ndim not in (1, 2) or got.values.size == 0:
        return None
    if got.values.size > 4 * np.prod(_expected_shape(case)) + 16:
        return None
    return got.values.reshape(1, -1) if got.values.ndim == 1 else got.values


def starts_with_bos(case: Case, got, want: Answer) -> str | None:
    rows = _rows(case, got)
    if rows is None:
        return "no tokens to look at (see the shape test)"
    bos = int(want.value.values[0, 0])
    if not np.all(rows[:, 0] == bos):
        return (
            f"first tokens {fmt(rows[:, 0])}, expected the BOS id {bos} (model.tokenizer.bos_token_id) "
            "in every row"
        )
    return None


def _drawn(rows: np.ndarray | None, case: Case) -> str | None:
    """What keeps `rows` from being a random draw that property checks can be passed on, if anything:
    a constant tensor repeats itself and lies in any range, but earns nothing for it."""
    if rows is None:
        return "no tokens to look at (see the shape test)"
    if (
        case.extra["seq_len"] >= 5
        and rows.shape[1] > 2
        and not np.all((rows[:, 1:] != rows[:, 1:2]).any(axis=1))
    ):
        return f"the tokens {fmt(rows[0])} are not random: draw them with t.randint"
    return None


def second_half_repeats(case: Case, got, want: Answer) -> str | None:
    rows = _rows(case, got)
    if problem := _drawn(rows, case):
        return problem
    body = rows[:, 1:] if rows.shape[1] % 2 else rows  # with or without a leading BOS
    half = body.shape[1] // 2
    first, second = body[:, :half], body[:, half:]
    if not np.array_equal(first, second):
        return f"the second half {fmt(second[0])} does not repeat the first {fmt(first[0])}"
    return None


def ids_in_vocab(case: Case, got, want: Answer) -> str | None:
    rows = _rows(case, got)
    if problem := _drawn(rows, case):
        return problem
    vocab = case.extra["d_vocab"]
    if rows.min() < 0 or rows.max() >= vocab:
        return (
            f"token ids from {rows.min()} to {rows.max()}, but this model's d_vocab is {vocab}: "
            "draw from [0, model.cfg.d_vocab)"
        )
    return None


def on_model_device(case: Case, got, want: Answer) -> str | None:
    tokens = _tokens(got)
    if isinstance(tokens, str):
        return tokens
    if problem := _drawn(_rows(case, tokens), case):
        return problem
    if tokens.device != want.value.device:
        return f"on device {tokens.device}, expected model.cfg.device ({want.value.device})"
    return None


def not_reseeded(pairs) -> str | None:
    by_input: dict[tuple, list] = {}
    for case, got, _ in pairs:
        key = (case.extra["model"], case.extra["seq_len"], case.extra["batch"])
        by_input.setdefault(key, []).append((case, got))
    compared = 0
    for same in by_input.values():
        for (a, got_a), (b, got_b) in zip(same, same[1:], strict=False):
            if _well_shaped(a, got_a) and _well_shaped(b, got_b):
                compared += 1
                if np.array_equal(got_a.values, got_b.values):
                    return (
                        f"the same tokens under torch seeds {a.seed} and {b.seed}: draw from torch's global "
                        "generator as it is, without calling t.manual_seed (the grader seeds it)"
                    )
    if not compared:
        return "no two tensors of tokens came back to compare across seeds (see the tests above)"
    return None


def tokens_vary_with_seed(triples) -> str | None:
    """Evidence of a random draw, without which the property tests earn nothing: tokens that change
    with the seed, or, if they do not, that are torch's own draw under one of the seeds (a generator
    reseeded inside the function, a mistake of its own test). A fixed sequence is neither."""
    by_input: dict[tuple, list] = {}
    for case, got, want in triples:
        if _well_shaped(case, got):
            by_input.setdefault((case.extra["model"], case.extra["seq_len"], case.extra["batch"]), []).append(
                (got.values, want.value.values)
            )
    for same in by_input.values():
        if len(same) > 1 and all(np.array_equal(same[0][0], got) for got, _ in same):
            if not any(np.array_equal(same[0][0], want) for _, want in same):
                return (
                    "the same tokens under every torch seed, and not a draw of t.randint: draw them at random"
                )
    return None


def tokens_match(case: Case, got, want: Answer) -> str | Failure | None:
    tokens = _well_shaped(case, got)
    expected = want.value.values
    if tokens is None:
        return say(case, "not the expected shape (see the shape test)", f"; expected {fmt(expected[0])}")
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
    if case.secret:
        return say(
            case,
            f"the tokens differ from the reference's.{hint}",  # no position now: it could be probed
            f" From position {differs}: got {fmt(tokens.values[0])}, expected {fmt(expected[0])}.",
        )
    got, want = fmt(tokens.values[0]), fmt(expected[0])
    return f"first difference at position {differs}: got {got}, expected {want}.{hint}"


# --- run_and_cache_model_repeated_tokens -------------------------------------------------------


def _triple(got) -> tuple | str:
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return f"returned {what(got)}, expected a tuple (tokens, logits, cache)"
    return tuple(got)


def returns_tokens_logits_cache(case: Case, got, want: Answer) -> str | None:
    triple = _triple(got)
    if isinstance(triple, str):
        return triple
    kinds = tuple(_kind(x) for x in triple)
    if kinds == ("tokens", "logits", "cache"):
        return None
    if sorted(kinds) == ["cache", "logits", "tokens"]:
        return f"returned ({', '.join(kinds)}): the order must be (tokens, logits, cache)"
    return f"returned ({', '.join(what(x) for x in triple)}), expected (tokens, logits, cache)"


def _kind(value) -> str:
    if is_record(value, "ActivationCache"):
        return "cache"
    if isinstance(value, Tensor) and value.values.ndim == 2 and value.dtype.startswith(("int", "uint")):
        return "tokens"
    if isinstance(value, Tensor) and value.values.ndim == 3 and value.dtype.startswith(("float", "bfloat")):
        return "logits"
    return "other"


def part(got, index: int):
    return got[index] if isinstance(got, (tuple, list)) and len(got) == 3 else None


def uses_generated_tokens(case: Case, got, want: Answer, outcome: dict) -> str | Failure | None:
    tokens, expected = part(got, 0), want.value[0].values
    if not (outcome.get("stand_in_calls") or {}).get("generate_repeated_tokens"):
        return (
            "it does not call generate_repeated_tokens: use generate_repeated_tokens(model, seq_len, batch) "
            "for the tokens, as the docstring asks"
        )
    if not isinstance(tokens, Tensor):
        return f"the first item is {what(tokens)}, expected the tokens"
    if tokens.shape != expected.shape or not np.array_equal(tokens.values, expected):
        advice = ": call generate_repeated_tokens(model, seq_len, batch) once and use its output"
        if case.secret:
            return Failure(
                "the tokens are not those that generate_repeated_tokens returned" + advice,
                f"tokens {fmt(tokens.values)}, expected {fmt(expected)}",
            )
        got, want = fmt(tokens.values), fmt(expected)
        return f"tokens {got} are not those that generate_repeated_tokens returned ({want}){advice}"
    return None


def logits_match(case: Case, got, want: Answer) -> str | None:
    logits, expected = part(got, 1), want.value[1].values
    if not isinstance(logits, Tensor):
        return f"the second item is {what(logits)}, expected the logits"
    if logits.shape != expected.shape:
        why = " (the batch dimension is missing)" if logits.shape == expected.shape[1:] else ""
        return f"logits of shape {list(logits.shape)}, expected {list(expected.shape)}{why}"
    if not np.allclose(logits.values, expected, atol=1e-4, rtol=1e-4):
        worst = float(np.abs(logits.values.astype(np.float64) - expected).max())
        gap = "" if case.secret else f" by up to {worst:.3g}"  # a figure that could be probed
        return (
            f"the logits differ from the model's output on the tokens{gap}: run the model "
            "once, on exactly the tokens you return (model.run_with_cache(tokens))"
        )
    return None


def cache_matches(case: Case, got, want: Answer) -> str | None:
    cache_, expected = part(got, 2), want.value[2]
    if not is_record(cache_, "ActivationCache"):
        return f"the third item is {what(cache_)}, expected an ActivationCache"
    if not cache_.has_batch_dim:
        return "the cache has no batch dimension: keep it (remove_batch_dim=False, the default)"
    if len(cache_.patterns) != len(expected.patterns):
        layers, want = len(cache_.patterns), len(expected.patterns)
        return f"the cache has attention patterns for {layers} layers, expected {want}"
    for layer, (pattern, reference) in enumerate(zip(cache_.patterns, expected.patterns, strict=True)):
        if not isinstance(pattern, Tensor) or pattern.shape != reference.shape:
            shape = list(pattern.shape) if isinstance(pattern, Tensor) else "none"
            return f"layer {layer}'s pattern has shape {shape}, expected {list(reference.shape)}"
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


def loss_gap_matches(case: Case, got, want: Answer) -> str | Failure | None:
    tokens, logits = part(got, 0), part(got, 1)
    expected_tokens, expected_logits = want.value[0].values, want.value[1].values
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
        summary = f"mean log-prob of the correct next token: first half {first:.3f}, second half {second:.3f}"
        return say(
            case,
            summary + ("; not the reference's" if case.secret else ""),
            f"; the reference's: {ref_first:.3f} and {ref_second:.3f}",
        )
    reference_gap = ref_second - ref_first
    if (
        case.extra["model"] == "default"
        and n >= 20
        and reference_gap >= LOSS_GAP
        and second - first < LOSS_GAP
    ):
        return f"loss gap {second - first:.2f} nats, expected at least {LOSS_GAP} on the default model"
    return None


# --- detectors ---------------------------------------------------------------------------------


def patterns_of(want: Answer) -> list[np.ndarray]:
    """The input's attention patterns, [n_heads, n, n] per layer, as the reference run saw them."""
    return [p.values for p in want.args[0].patterns]


def threshold_of(function: str) -> float:
    return THRESHOLDS[KINDS[function]]


def head_score(layers: list[np.ndarray], label: str, function: str) -> float:
    layer, head = map(int, label.split("."))
    return cases.scores(layers[layer][head])[KINDS[function]]


def head_list_format(case: Case, got, want: Answer) -> str | None:
    found = heads(got, case.extra["shape"])
    if isinstance(found, str):
        return found
    if not found and want.value:  # an empty list is well formed, but no evidence of anything
        return "returned no heads, where there are some"
    return None


def heads_vary_with_input(triples) -> str | None:
    """An answer that is the same for every input, where the right answers differ, shows nothing of
    the inputs: no format points for it."""
    answers = [
        frozenset(got) for case, got, want in triples if isinstance(heads(got, case.extra["shape"]), set)
    ]
    expected = {frozenset(want.value) for _, _, want in triples}
    if len(answers) >= 3 and len(set(answers)) == 1 and len(expected) > 1:
        return (
            f"the same answer {show_labels(answers[0])} for every input: "
            "find the heads from each cache's patterns"
        )
    return None


def heads_match(case: Case, got, want: Answer) -> str | Failure | None:
    found = heads(got, case.extra["shape"])
    if isinstance(found, str):
        return found
    expected = set(want.value)
    if found == expected:
        return None
    layers = patterns_of(want)
    threshold = threshold_of(case.function)

    def explain(labels: set[str], relation: str) -> str:
        shown = order(labels)[:4]
        text = ", ".join(
            f"{h} (score {head_score(layers, h, case.function):.3f} {relation} {threshold})" for h in shown
        )
        return text + (f" and {len(labels) - len(shown)} more" if len(labels) > len(shown) else "")

    parts = [compare_labels(expected, found)]
    if expected - found:
        parts.append("missing " + explain(expected - found, ">"))
    if found - expected:
        parts.append("not expected " + explain(found - expected, "<="))
    details = "; ".join(parts)
    if not case.secret:
        return details
    return Failure(_secret_summary(case, expected, found, threshold), details)


def _secret_summary(case: Case, expected: set[str], found: set[str], threshold: float) -> str:
    """What is wrong with an answer on a secret input, without the answer and without counts (the
    number of heads to find would be probed over many submissions): which way it is wrong, and
    whether heads planted near the threshold are among those missed or listed wrongly."""
    missed, extra = expected - found, found - expected
    parts = []
    if missed:
        parts.append("missed heads it should list")
    if extra:
        parts.append("listed heads it should not")
    kind = KINDS[case.function]
    plants = case.extra.get("plants", {})

    def near(labels: set[str]) -> bool:
        return any(
            label in plants and plants[label][0] == kind and abs(plants[label][1] - threshold) < 0.05
            for label in labels
        )

    if near(missed):
        parts.append("some of those missed are planted just above the threshold")
    if near(extra):
        parts.append("some of those listed wrongly are planted just below it")
    return "; ".join(parts) + f" on {case.about}"


# --- the tests, with their points --------------------------------------------------------------


def detector_tests(name: str) -> list[Test]:
    """A detector's tests: a format test that pays only for answers that change with the input,
    then its answer on each group of inputs."""
    text = name != "induction_attn_detector"  # the induction detector's input is always repeated tokens

    def on(groups: str, title: str, points: float) -> Test:
        return Test(function=name, name=title, points=points, selects=group(groups), per_case=heads_match)

    return [
        Test(
            function=name,
            name='runs without errors and returns a list of "layer.head" strings, each head once',
            points=2,
            per_case=head_list_format,
            across=heads_vary_with_input,
        ),
        *([on("text", "the seed's text on the default model", 2)] if text else []),
        on("repeated", "repeated random tokens on the default model", 2 if text else 4),
        on("shapes", "models of other shapes (other numbers of layers and heads)", 3),
        on("near", "planted heads just above and just below the threshold", 4),
        on("edges", "short sequences and edge positions", 2),
    ]


def token_test(name: str, points: float, check) -> Test:
    """A property of the tokens: it earns points only with evidence of a random draw, tokens that
    change with the seed (a fixed sequence has every property but shows nothing)."""
    return Test(function=G, name=name, points=points, per_case=check, across=tokens_vary_with_seed)


def run_test(name: str, points: float, check, with_outcome: bool = False) -> Test:
    return Test(function=R, name=name, points=points, per_case=check, with_outcome=with_outcome)


G, R = "generate_repeated_tokens", "run_and_cache_model_repeated_tokens"
TESTS: tuple[Test, ...] = (
    *detector_tests("current_attn_detector"),
    *detector_tests("prev_attn_detector"),
    *detector_tests("first_attn_detector"),
    token_test(
        "runs without errors and returns an int64 tensor of shape [batch, 1 + 2 * seq_len]", 5, tokens_shape
    ),
    token_test("every row starts with the BOS token", 2, starts_with_bos),
    token_test("the second half repeats the first half", 3, second_half_repeats),
    token_test("token ids lie in [0, d_vocab) of the model given", 2, ids_in_vocab),
    token_test("the tokens are on model.cfg.device", 1, on_model_device),
    Test(
        function=G,
        name="draws from torch's global generator without reseeding it",
        points=2,
        across=not_reseeded,
    ),
    Test(
        function=G,
        name="matches the reference's tokens under fixed seeds (default model)",
        points=3,
        selects=extra_is("model", "default"),
        per_case=tokens_match,
    ),
    Test(
        function=G,
        name="matches the reference's tokens under fixed seeds (models of other shapes)",
        points=2,
        selects=extra_is_not("model", "default"),
        per_case=tokens_match,
    ),
    run_test(
        "runs without errors and returns (tokens, logits, cache) in that order",
        5,
        returns_tokens_logits_cache,
    ),
    run_test(
        "the tokens are those generate_repeated_tokens returns", 3, uses_generated_tokens, with_outcome=True
    ),
    run_test("the logits are the model's output on those tokens", 4, logits_match),
    run_test("the cache holds that run's attention patterns, batch dimension kept", 4, cache_matches),
    run_test("the loss gap: mean log-prob of the correct token on each half", 4, loss_gap_matches),
    *detector_tests("induction_attn_detector"),
)
