"""The grader on the reference, the stubs and the corpus of student submissions (tests/submissions):
full marks for every correct variant, points lost on exactly the wrong function, with feedback that
names the mistake."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SUBMISSIONS, by_function, grade_source

from autograder import cases, paths
from autograder.submission import load

CORRECT = sorted((SUBMISSIONS / "correct").iterdir())
WRONG = sorted((SUBMISSIONS / "wrong").glob("*.py")) + [
    p for p in sorted((SUBMISSIONS / "broken").glob("*.py")) if p.read_text().startswith("# wrong:")
]
BROKEN = [
    p
    for p in sorted((SUBMISSIONS / "broken").iterdir())
    if p.suffix in (".py", ".ipynb") and not p.read_text().startswith("# wrong:")
]


def test_reference_solution_gets_full_marks(grader):
    result = grader.grade(load(paths.SOLUTION))
    assert [t.name for t in result.tests if not t.passed] == []
    assert result.score == result.max_score == 100


def test_untouched_stubs_get_zero_and_say_so(grader):
    result = grader.grade(load(paths.EXERCISE))
    assert result.score == 0 and result.max_score == 100
    assert all("NotImplementedError" in t.output for t in result.tests)


def test_every_test_is_named_after_its_function():
    from autograder.checks import TESTS

    assert {t.function for t in TESTS} == set(cases.EXERCISES)
    assert all(t.title.startswith(f"{t.function}: ") for t in TESTS)
    assert len({t.title for t in TESTS}) == len(TESTS)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.name)
def test_correct_variants_get_full_marks(grader, path):
    result = grader.grade(load(path))
    failed = {t.name: t.output for t in result.tests if not t.passed}
    assert failed == {}


def _wrong_function(path: Path) -> str:
    return path.read_text().splitlines()[0].split(":")[1].strip()


@pytest.mark.parametrize("path", WRONG, ids=lambda p: p.name)
def test_wrong_variants_lose_points_on_their_function_only(grader, path):
    wrong = _wrong_function(path)
    assert wrong in cases.EXERCISES
    scores = by_function(grader.grade(load(path)))
    score, top = scores.pop(wrong)
    assert score < top, f"{path.name} lost nothing on {wrong}"
    assert {f: s for f, (s, m) in scores.items() if s < m} == {}, f"{path.name} lost points elsewhere"


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_files_that_do_not_import_score_zero_with_the_error(grader, path):
    result = grader.grade(load(path))
    assert result.score == 0
    assert all("could not be imported" in t.output for t in result.tests)


def test_wrong_corpus_is_large_and_varied():
    assert len(WRONG) >= 20 and len(CORRECT) >= 8
    assert {_wrong_function(p) for p in WRONG} == set(cases.EXERCISES)


HINTS = {  # file -> words the feedback must contain: the mistake named, not only the symptom
    "prev_offset_0.py": "main diagonal (offset 0)",
    "prev_offset_minus2.py": "two below the main one",
    "induction_offset_seq_len.py": "seq_len below the main one",
    "induction_offset_seq_len_minus2.py": "seq_len - 2 below",
    "induction_hardcoded_seq_len50.py": "seq_len = 50",
    "induction_threshold_04.py": "threshold 0.4 instead of 0.2",
    "first_row0.py": "first row",
    "current_sum.py": "sums the diagonal",
    "current_skip_pos0.py": "leaves out the first query position",
    "prev_hardcoded_range.py": "fixed number of layers or heads",
    "current_memorised.py": "for every input",
    "gen_manual_seed.py": "without calling t.manual_seed",
    "gen_no_bos.py": "BOS token missing",
    "gen_squeeze_batch1.py": "batch dimension is missing",
    "gen_vocab_50278.py": "d_vocab",
    "gen_two_randint.py": "does not repeat the first",
    "gen_bos_zero.py": "expected the BOS id",
    "rac_order_logits_tokens_cache.py": "order must be (tokens, logits, cache)",
    "rac_remove_batch_dim.py": "no batch dimension",
    "rac_own_randint_inline.py": "does not call generate_repeated_tokens",
    "rac_generate_twice.py": "call it once",
    "prev_label_LH.py": "not of the form",
    "first_duplicates.py": "listed twice",
    "first_tuple_labels.py": "each item must be a string",
}


@pytest.mark.parametrize("name", sorted(HINTS))
def test_feedback_names_the_mistake(grader, name):
    path = SUBMISSIONS / "wrong" / name
    result = grader.grade(load(path))
    feedback = "\n".join(t.output for t in result.tests if not t.passed)
    assert HINTS[name] in feedback
    failing = [t.output for t in result.tests if not t.passed]
    assert all(len(output.splitlines()) <= 12 for output in failing)  # fits on a screen


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
    scores = by_function(grade_source(grader, source))
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
    scores = by_function(grade_source(grader, source))
    assert scores.pop("generate_repeated_tokens")[0] < 20
    assert all(score == top for score, top in scores.values())


def test_missing_function_and_wrong_signature_are_explained(grader, solution_source):
    source = solution_source.replace("def first_attn_detector(", "def first_detector(")
    source = source.replace(
        "def prev_attn_detector(cache: ActivationCache)", "def prev_attn_detector(cache, extra)"
    )
    result = grade_source(grader, source)
    scores = by_function(result)
    assert scores["first_attn_detector"][0] == 0 and scores["prev_attn_detector"][0] == 0
    outputs = {t.function: t.output for t in result.tests}
    assert "no function named first_attn_detector" in outputs["first_attn_detector"]
    assert "the contract is def prev_attn_detector(cache)" in outputs["prev_attn_detector"]
    assert scores["induction_attn_detector"] == (15, 15)


def test_command_line_writes_gradescope_results(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(paths.SOLUTION),
            "--results",
            str(out),
            "--only",
            "prev_attn_detector",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert document["score"] == document["max_score"] == 15
    assert {"name", "score", "max_score", "status", "output"} <= set(document["tests"][0])
    assert all(t["name"].startswith("prev_attn_detector: ") for t in document["tests"])


def test_command_line_refuses_bad_input_with_a_clear_message(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(tmp_path / "missing.py"),
            "--results",
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "no such file or folder" in done.stderr and "Traceback" not in done.stderr


def test_no_input_has_a_score_on_a_threshold(grader):
    """On a score within a hair of its threshold, float32 and float64 detectors could disagree: no
    correct detector may lose points for that, on the real models' caches as on planted ones."""
    from autograder.checks import patterns_of

    closest = 1.0
    for case in cases.all_cases():
        if case.function not in cases.DETECTORS:
            continue
        for layer in patterns_of(grader.reference.outcomes[case.id]):
            for head in layer:
                closest = min(
                    closest, abs(cases.scores(head)[case.function] - cases.THRESHOLDS[case.function])
                )
    assert closest > 1e-3


def test_a_constant_answer_fails_every_detector_test_but_the_format(grader):
    """Each comparison test has inputs with different answers, none of them empty for a one-input
    test, so returning the same list every time (even []) passes none of them."""
    from autograder.checks import det_matches, tests_of

    for function in cases.DETECTORS:
        for test in tests_of(function):
            if test.per_case is not det_matches:
                continue
            answers = [
                frozenset(grader.reference.outcomes[c.id]["value"])
                for c in cases.all_cases()
                if c.function == function and test.selects(c)
            ]
            assert len(set(answers)) >= 2 or (len(answers) == 1 and answers[0]), test.title


def test_garbage_of_the_right_shape_earns_nothing_on_generate(grader, solution_source):
    source = (
        solution_source
        + """

def generate_repeated_tokens(model, seq_len, batch=1):
    return t.zeros(batch, 1 + 2 * seq_len, dtype=t.int64)
"""
    )
    result = grade_source(grader, source)
    passed = [t.name for t in result.tests if t.function == "generate_repeated_tokens" and t.passed]
    assert len(passed) <= 1 and all("returns an int64 tensor of shape" in name for name in passed)


def test_grading_refuses_to_run_unsandboxed_unless_allowed(private_cache):
    from autograder.grader import Grader, IsolationUnavailable

    with pytest.raises(IsolationUnavailable, match="--allow-unsandboxed"):
        Grader(sandboxed=False)
    with Grader(sandboxed=False, require_isolation=False, functions=["prev_attn_detector"]) as grader:
        result = grader.grade(load(paths.SOLUTION))
    assert result.score == 15  # still graded in a separate process, and says what was off
    assert set(result.protections_off) == {"network", "privileges", "processes", "filesystem", "fork"}


def test_every_protection_is_on_here(grader):
    """On this Linux machine the full sandbox must come up: none of its mechanisms is reported off."""
    assert grader.protections_off == {}
    result = grader.grade(load(paths.SOLUTION))
    assert result.protections_off == {}
