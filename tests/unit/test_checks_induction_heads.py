"""The induction-heads pack's checks on plain data: right answers pass, the usual wrong ones are
named, constant answers earn nothing, and secret inputs give no answer or figure away."""

from __future__ import annotations

import numpy as np

from autograder.engine.contract import Answer
from autograder.engine.pack import Case, Failure
from autograder.engine.wire import Record, Tensor
from autograder.packs.induction_heads import checks

G = "generate_repeated_tokens"


def tokens(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.int64), "int64", "cpu")


def token_case(seed: int = 0, secret: bool = False, seq_len: int = 5, batch: int = 2) -> Case:
    extra = {"model": "default", "seq_len": seq_len, "batch": batch, "d_vocab": 100}
    return Case(f"{G}/{seed}", G, (), seed=seed, about=f"seed {seed}", extra=extra, secret=secret)


def repeated(seed: int, seq_len: int = 5, batch: int = 2, bos: int = 99) -> np.ndarray:
    half = np.random.default_rng(seed).integers(0, 90, (batch, seq_len))
    return np.concatenate([np.full((batch, 1), bos), half, half], axis=1)


def test_right_tokens_pass_every_property():
    c, right = token_case(), tokens(repeated(0))
    want = Answer(right)
    for check in (
        checks.tokens_shape,
        checks.starts_with_bos,
        checks.second_half_repeats,
        checks.ids_in_vocab,
    ):
        assert check(c, right, want) is None, check.__name__
    assert checks.on_model_device(c, right, want) is None
    assert checks.tokens_match(c, right, want) is None


def test_the_usual_shape_mistakes_are_named():
    c, right = token_case(), repeated(0)
    assert checks.tokens_shape(c, tokens(right[0]), Answer(None)).endswith("(the batch dimension is missing)")
    assert checks.tokens_shape(c, tokens(right[:, 1:]), Answer(None)).endswith("(is the BOS token missing?)")
    as_float = Tensor(right.astype(np.float32), "float32", "cpu")
    assert checks.tokens_shape(c, as_float, Answer(None)).startswith("dtype float32, expected int64")
    assert (
        checks.tokens_shape(c, [1, 2], Answer(None)) == "returned a list of 2 items, expected a torch tensor"
    )


def test_a_fixed_sequence_earns_nothing_for_its_properties():
    fixed = repeated(0)
    fixed[:, 1:] = 7  # the same token everywhere: it repeats, lies in range, and is no draw
    c = token_case()
    assert checks.second_half_repeats(c, tokens(fixed), Answer(None)).startswith("the tokens [99, 7, 7")
    triples = [(token_case(seed), tokens(repeated(0)), Answer(tokens(repeated(seed)))) for seed in (1, 2, 3)]
    assert checks.tokens_vary_with_seed(triples).startswith("the same tokens under every torch seed")
    assert checks.not_reseeded(triples).startswith("the same tokens under torch seeds 1 and 2")
    honest = [(token_case(seed), tokens(repeated(seed)), Answer(tokens(repeated(seed)))) for seed in (1, 2)]
    assert checks.tokens_vary_with_seed(honest) is None and checks.not_reseeded(honest) is None


def test_token_mismatch_gives_no_position_on_a_secret_input():
    want, got = repeated(0), repeated(1)
    public = checks.tokens_match(token_case(), tokens(got), Answer(tokens(want)))
    assert public.startswith("first difference at position 1: got [99, ")
    secret = checks.tokens_match(token_case(secret=True), tokens(got), Answer(tokens(want)))
    assert (
        isinstance(secret, Failure) and "position" not in secret.summary and "expected" not in secret.summary
    )
    assert secret.summary.startswith("the tokens differ from the reference's.")
    assert "From position 1: got [99, " in secret.details


def test_logits_gap_only_on_public_inputs():
    want = np.zeros((1, 3, 4))
    answer = Answer((tokens([[1, 2, 3]]), Tensor(want, "float32", "cpu"), None))
    got = (tokens([[1, 2, 3]]), Tensor(want + 0.5, "float32", "cpu"), None)
    assert "on the tokens by up to 0.5: run the model" in checks.logits_match(token_case(), got, answer)
    secret = checks.logits_match(token_case(secret=True), got, answer)
    assert "by up to" not in secret and secret.startswith(
        "the logits differ from the model's output on the tokens:"
    )


def test_the_triple_is_checked_in_order():
    cache = Record("ActivationCache", {"patterns": [], "has_batch_dim": True})
    t_, logits = tokens([[1, 2]]), Tensor(np.zeros((1, 2, 3)), "float32", "cpu")
    assert checks.returns_tokens_logits_cache(token_case(), (t_, logits, cache), Answer(None)) is None
    assert checks.returns_tokens_logits_cache(token_case(), (logits, t_, cache), Answer(None)) == (
        "returned (logits, tokens, cache): the order must be (tokens, logits, cache)"
    )


def _detector_case(answer: list[str], secret: bool = False) -> tuple[Case, Answer]:
    # Two layers of two heads on 4 positions; layer 1, head 0 attends to the previous token.
    uniform = np.tril(np.ones((4, 4))) / np.arange(1, 5)[:, None]
    previous = np.eye(4, k=-1)
    previous[0, 0] = 1
    layers = [np.stack([uniform, uniform]), np.stack([previous, uniform])]
    cache = Record("ActivationCache", {"patterns": [Tensor(p, "float32", "cpu") for p in layers]})
    extra = {"shape": (2, 2), "model": "m", "plants": {}}
    case = Case("prev_attn_detector/0", "prev_attn_detector", (), about="a cache", extra=extra, secret=secret)
    return case, Answer(answer, args=(cache,))


def test_heads_match_explains_with_scores_publicly_and_counts_secretly():
    case, want = _detector_case(["1.0"])
    assert checks.heads_match(case, ["1.0"], want) is None
    public = checks.heads_match(case, ["0.1"], want)
    assert public.startswith("expected [1.0], got [0.1]; missing 1.0 (score 1.000 > ")
    case, want = _detector_case(["1.0"], secret=True)
    secret = checks.heads_match(case, ["0.1"], want)
    assert isinstance(secret, Failure) and "expected [1.0]" in secret.details
    assert secret.summary == "missed heads it should list; listed heads it should not on a cache"  # no count


def test_a_detector_that_answers_the_same_everywhere_earns_no_format_points():
    case, _ = _detector_case([])
    triples = [(case, ["1.4"], Answer([f"{i % 2}.{i % 2}"])) for i in range(3)]
    triples[0] = (case, ["1.1"], Answer(["0.0"]))
    assert checks.heads_vary_with_input(triples) is None  # the answers differ
    same = [(case, ["1.1"], Answer(answer)) for answer in (["0.0"], ["1.1"], ["0.1"])]
    assert checks.heads_vary_with_input(same).startswith("the same answer [1.1] for every input")
    assert checks.head_list_format(case, [], Answer(["1.0"])) == "returned no heads, where there are some"
