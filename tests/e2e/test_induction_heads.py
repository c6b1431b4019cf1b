"""The induction-heads pack: its inputs are what they claim (planted patterns, margins around the
thresholds), a function that changes its inputs costs only its own points, constant and garbage
answers earn nothing, and feedback on secret inputs gives no expected answer away."""

from __future__ import annotations

import numpy as np
import pytest
from corpus import grade_source

from autograder.engine.contract import Answer
from autograder.packs.induction_heads import cases, checks
from autograder.packs.induction_heads.cases import DETECTORS, KINDS, THRESHOLDS


def _planted(inputs):
    for key, spec in inputs.catalog["caches"].items():
        if spec["kind"] == "patterns":
            yield key, [inputs.tensors[ref] for ref in spec["patterns"]]


@pytest.mark.parametrize("secret", [None, "a secret"])
def test_planted_patterns_are_causal_attention(secret):
    for key, layers in _planted(cases.inputs(secret)):
        for pattern in layers:
            assert np.allclose(pattern.sum(-1), 1, atol=1e-5), key
            assert np.all(pattern >= 0) and np.allclose(np.triu(pattern, 1), 0), key


def test_planted_heads_sit_just_above_and_below_each_threshold():
    layers = dict(_planted(cases.inputs()))["planted-near-a"]
    for label, (kind, mean) in cases._near_plants(0).items():
        layer, head = map(int, label.split("."))
        score = cases.scores(layers[layer][head])[kind]
        assert abs(score - mean) < 1e-5
        assert 0.01 <= abs(score - THRESHOLDS[kind]) <= 0.02


@pytest.mark.parametrize("secret", [None, "a secret", "another"])
def test_no_planted_score_is_within_the_margin_of_a_threshold(secret):
    for _, layers in _planted(cases.inputs(secret)):
        for layer in layers:
            for head in layer:
                for score in cases.scores(head).values():
                    assert min(abs(score - 0.2), abs(score - 0.4)) >= cases.MARGIN


def test_detectors_see_every_model_shape():
    induction = cases.inputs().of("induction_attn_detector")
    assert {c.extra["model"] for c in induction} == set(cases.PUBLIC_MODELS)


def test_no_input_has_a_score_on_a_threshold(grader):
    """On a score within a hair of its threshold, float32 and float64 detectors could disagree: no
    correct detector may lose points for that, on the real models' caches as on planted ones."""
    closest = 1.0
    for case in grader.inputs.cases:
        if case.function not in DETECTORS:
            continue
        for layer in checks.patterns_of(Answer.of(grader.reference.outcomes[case.id])):
            for head in layer:
                closest = min(
                    closest, abs(cases.scores(head)[KINDS[case.function]] - THRESHOLDS[KINDS[case.function]])
                )
    assert closest > 1e-3


def test_a_constant_answer_fails_every_detector_test(grader):
    """Each comparison test has inputs with different answers, none of them empty for a one-input
    test, so returning the same list every time (even []) passes none of them."""
    for function in DETECTORS:
        for test in grader.pack.tests_of(function):
            if test.per_case is not checks.heads_match:
                continue
            answers = [
                frozenset(grader.reference.outcomes[c.id]["value"])
                for c in grader.inputs.of(function)
                if test.selects(c)
            ]
            assert len(set(answers)) >= 2 or (len(answers) == 1 and answers[0]), test.title


def test_empty_and_constant_answers_earn_nothing(grader, solution_source):
    empty = solution_source + "\n" + "\n".join(f"def {f}(cache):\n    return []\n" for f in DETECTORS)
    assert grade_source(grader, empty).score == 40  # the generator and the run-and-cache helper: 20 + 20
    constant = solution_source + "\n" + "\n".join(f"def {f}(cache):\n    return ['0.1']\n" for f in DETECTORS)
    constant += "\ndef generate_repeated_tokens(model, seq_len, batch=1):\n"
    constant += "    return t.ones(batch, 1 + 2 * seq_len, dtype=t.int64)\n"
    scores = grade_source(grader, constant).by_function()
    assert scores["run_and_cache_model_repeated_tokens"] == (20, 20)
    assert sum(score for f, (score, _) in scores.items() if f != "run_and_cache_model_repeated_tokens") == 0


def test_a_function_that_mutates_its_input_costs_only_its_own_points(grader, solution_source):
    source = (
        solution_source
        + """

def current_attn_detector(cache):
    for layer in range(cache.model.cfg.n_layers):
        cache["pattern", layer].zero_()
    return []
"""
    )
    scores = grade_source(grader, source).by_function()
    assert scores.pop("current_attn_detector")[0] < 15
    assert all(score == top for score, top in scores.values())


def test_a_function_that_changes_the_model_costs_only_its_own_points(grader, solution_source):
    source = (
        solution_source
        + """

_original = generate_repeated_tokens

def generate_repeated_tokens(model, seq_len, batch=1):
    model.W_E.data.zero_()
    model.cfg.d_vocab = 3
    return _original(model, seq_len, batch)
"""
    )
    scores = grade_source(grader, source).by_function()
    assert scores.pop("generate_repeated_tokens")[0] < 20
    assert all(score == top for score, top in scores.values())


def test_garbage_of_the_right_shape_earns_nothing_on_generate(grader, solution_source):
    source = (
        solution_source
        + """

def generate_repeated_tokens(model, seq_len, batch=1):
    return t.zeros(batch, 1 + 2 * seq_len, dtype=t.int64)
"""
    )
    result = grade_source(grader, source)
    assert [t.name for t in result.tests if t.function == "generate_repeated_tokens" and t.passed] == []


def test_a_notebook_globals_detector_reads_the_model_of_each_input(grader, solution_source):
    """The seed's detectors loop over the global cfg and read the global seq_len: the grader binds
    them to the model and the length of each input, so they are right on every shape."""
    source = (
        solution_source
        + """

def current_attn_detector(cache):
    return [f"{l}.{h}" for l in range(cfg.n_layers) for h in range(cfg.n_heads)
            if cache["pattern", l][h].diag().mean() > 0.4]

def induction_attn_detector(cache):
    return [f"{l}.{h}" for l in range(model.cfg.n_layers) for h in range(model.cfg.n_heads)
            if cache["pattern", l][h].diag(-(seq_len - 1)).mean() > 0.2]
"""
    )
    assert grade_source(grader, source).score == 100


def test_a_name_that_is_neither_defined_nor_given_is_explained(grader, solution_source):
    source = solution_source + "\n\ndef prev_attn_detector(cache):\n    return heads_of(rep_cache)\n"
    output = next(t.output for t in grade_source(grader, source).tests if t.function == "prev_attn_detector")
    assert "'heads_of' is neither defined in your file nor given" in output
    assert "the notebook globals model, cfg, device, seq_len" in output


def _lookup_table_submission(grader, solution_source) -> str:
    """Detectors that answer from a table harvested from `check`'s feedback on the public inputs,
    keyed by each input's shapes and sum of squares, with no detection logic at all."""
    table = {}
    for case in grader.inputs.cases:
        if case.function in DETECTORS:
            layers = checks.patterns_of(Answer.of(grader.reference.outcomes[case.id]))
            first = layers[0]
            key = (len(layers), first.shape[0], first.shape[-1], round(float((first**2).sum()), 2))
            table[f"{case.function}:{key}"] = sorted(grader.reference.outcomes[case.id]["value"])
    lines = [
        solution_source,
        f"\nTABLE = {table!r}\n",
        "def _key(cache):",
        "    first = cache['pattern', 0]",
        "    n = cache.model.cfg.n_layers",
        "    return (n, first.shape[0], first.shape[-1], round(float((first**2).sum()), 2))",
    ]
    for function in DETECTORS:
        lines += [
            f"def {function}(cache):",
            f"    return TABLE.get('{function}:' + str(_key(cache)), ['0.0'])",
        ]
    return "\n".join(lines) + "\n"


def test_a_table_harvested_from_check_earns_little_on_secret_inputs(graders, grader, solution_source):
    from autograder.engine.grader import Grader

    source = _lookup_table_submission(grader, solution_source)
    public = grade_source(grader, source).by_function()
    assert sum(public[f][0] for f in DETECTORS) == 60  # on check's own inputs, the table is right
    with Grader(grader.pack, secret="the course's secret", workers=1) as secret_grader:
        first = grade_source(secret_grader, source)
        again = grade_source(secret_grader, source)
        honest = grade_source(secret_grader, solution_source)
    assert sum(first.by_function()[f][0] for f in DETECTORS) <= 12
    assert honest.score == 100
    assert [(t.name, t.score, t.output) for t in first.tests] == [
        (t.name, t.score, t.output) for t in again.tests
    ]
    failed = [t for t in first.tests if not t.passed and t.function in DETECTORS]
    assert failed and all("expected [" not in t.output for t in failed)  # no expected answer given away
    assert any(t.details for t in failed)  # shown after the due date
