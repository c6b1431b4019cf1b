"""The hooks pack: its inputs are what they claim (repeated tokens, the patterns the hints read are
the run's, z tensors with more positions than heads), the answers it judges are far from one another
(mistakes are not within the tolerances), feedback on secret inputs gives no expected answer away,
and its report and demo show the scores."""

from __future__ import annotations

import re

import numpy as np
import pytest
from corpus import SUBMISSIONS, grade_source, reference_source, variant

from autograder.engine import pack as packs
from autograder.engine.contract import Answer
from autograder.engine.grader import Grader
from autograder.engine.submission import load
from autograder.packs.hooks import cases, checks, report
from autograder.transformer_lens import specs

WRONG = SUBMISSIONS / "hooks" / "wrong"


@pytest.fixture(scope="module")
def pack():
    return packs.get("hooks")


@pytest.mark.parametrize("secret", [None, "a secret"])
def test_hook_inputs_are_repeated_tokens_and_their_rows(secret):
    inputs = cases.inputs(secret)
    for case in inputs.of(cases.F_INDUCTION):
        tokens = inputs.tensors[case.driver["tokens"]]
        seq_len, batch = case.extra["seq_len"], case.extra["batch"]
        assert tokens.shape == (batch, 1 + 2 * seq_len)
        assert np.array_equal(tokens[:, 1 : 1 + seq_len], tokens[:, 1 + seq_len :])
        assert case.globals["seq_len"] == specs.value(seq_len)
        rows = {spec["name"] for spec in case.args}
        assert [inputs.tensors[name].tolist() for name in sorted(rows)] == [[row] for row in tokens.tolist()]
        assert len(case.args) == batch * case.extra["shape"][0]


@pytest.mark.parametrize("secret", [None, "a secret"])
def test_direct_calls_of_the_ablation_hook_can_tell_the_axes_apart(secret):
    inputs = cases.inputs(secret)
    for case in inputs.of(cases.F_HOOK):
        if case.group != "call":
            continue
        z = inputs.tensors[case.args[0]["ref"]]
        head = case.args[2]["value"]
        assert z.ndim == 4 and z.shape[2] == case.extra["shape"][1]
        assert head < z.shape[2] < z.shape[1]  # the head index is also a position: z[:, head] runs


def test_the_patterns_the_hints_read_are_those_of_the_run(graders):
    """The reference's scores are what the hints' numpy version computes from the recorded patterns."""
    from autograder.packs.hooks import mistakes

    grader = graders("hooks")
    for case in grader.inputs.of(cases.F_INDUCTION):
        want = grader.reference.outcomes[case.id]
        patterns = mistakes._patterns(case, Answer.of(want))
        scores = mistakes.INDUCTION_STRIPE(patterns, case.extra["seq_len"]).mean(axis=(0, -1))
        assert np.allclose(scores, want["value"].values, atol=1e-5), case.id


def test_scores_and_attributions_are_far_above_the_tolerances(graders):
    """A flipped sign or a shifted token must not pass for a right answer."""
    grader = graders("hooks")
    for case in grader.inputs.cases:
        value = grader.reference.outcomes[case.id]["value"]
        if case.function == cases.F_SCORES:
            assert np.abs(value.values).max() > 100 * checks.SCORES_TOL["atol"], case.id
        if case.function == cases.F_INDUCTION:
            assert (value.values > 1e-3).mean() > 0.5, case.id


def test_a_hook_that_changes_the_model_costs_only_its_own_points(graders, solution_hooks):
    source = solution_hooks.replace(
        "    induction_score_store[hook.layer(), :] = stripe.mean(dim=(0, -1))",
        "    induction_score_store[hook.layer(), :] = stripe.mean(dim=(0, -1))\n"
        "    model.blocks[0].attn.W_O.data *= 0\n"
        "    hook.add_hook(lambda act, hook: act * 2)",
    )
    assert source != solution_hooks
    result = grade_source(graders("hooks"), source)
    scores = result.by_function()
    assert all(score == top for function, (score, top) in scores.items() if function != cases.F_INDUCTION)


@pytest.fixture(scope="module")
def solution_hooks(pack):
    return reference_source(pack)


def test_secret_feedback_gives_no_expected_answer_away(pack, secret_grader):
    source = variant(pack, WRONG / "abl_sign_flipped.py")
    result = grade_source(secret_grader, source)
    failing = [t for t in result.tests if not t.passed]
    assert failing and all(t.function == cases.F_SCORES for t in failing)
    for test in failing:
        assert "expected" not in test.output  # the summary only: what differs, with no figure
        assert "by up to" not in test.output and not re.search(r"\d+ of \d+", test.output)  # no figure
        assert "expected" in test.details  # the values, shown after the due date
    assert pack.report(secret_grader.grade(load(pack.solution)), secret_grader) == []  # no heatmaps


@pytest.mark.parametrize("secret", [False, True])
def test_constant_answers_earn_nothing(graders, pack, secret_grader, secret):
    """Answers of the right form built from the inputs' shapes alone (a filled store, zeros, z * 0)
    pass every format test, and earn nothing for it: a format pays only on evidence."""
    path = SUBMISSIONS / "hardening" / "hooks_constant_answers.py"
    grader = secret_grader if secret else graders("hooks")
    result = grade_source(grader, pack.exercise.read_text() + "\n" + path.read_text())
    assert result.score == 0, {t.name: t.output for t in result.tests if t.passed}
    format_tests = [t for t in pack.tests if t.format_only]
    assert len(format_tests) == 4
    for test in result.tests:
        if test.name in {t.title for t in format_tests}:
            assert "no value test passed" in test.output, test.output


def test_report_shows_both_heatmaps_of_each_score(graders, pack):
    grader = graders("hooks")
    result = grader.grade(load(pack.solution))
    sections = pack.report(result, grader)
    assert [heading for heading, _ in sections] == [heading for heading, *_ in report.FIGURES.values()]
    for _, body in sections:
        assert body.count("plotly-graph-div") == 2 and "No heatmap" not in body
    stubs = pack.report(grader.grade(load(pack.exercise)), grader)
    assert all(body.count("plotly-graph-div") == 1 and "NotImplementedError" in body for _, body in stubs)


def test_demo_prints_both_score_tables(pack):
    lines = pack.demo(pack, "default")
    text = "\n".join(lines)
    assert "Induction scores" in text and "Ablation scores" in text
    assert sum(line.strip().startswith("layer ") for line in lines) == 4  # two layers, two tables


@pytest.fixture(scope="module")
def secret_grader(pack):
    with Grader(pack, secret="a course secret of thirty-two chr", require_isolation=False) as grader:
        yield grader


def test_the_corpus_is_judged_the_same_under_a_secret(secret_grader, pack):
    """Every right answer gets full marks on secret inputs too (other hooks, heads, models, the
    ARENA 2.0 and 3.0 styles), and every wrong one loses points on its own function."""
    from autograder.engine.submission import from_source

    for kind in ("correct", "wrong"):
        for path in sorted((SUBMISSIONS / "hooks" / kind).iterdir()):
            if path.suffix == ".py":
                submission = from_source(path.stem, variant(pack, path), f"{path.stem}.py")
            else:
                submission = load(path)
            scores = secret_grader.grade(submission).by_function()
            lost = {f for f, (score, top) in scores.items() if score < top}
            if kind == "correct":
                assert lost == set(), f"{path.name} lost points on {lost} under a secret"
            else:
                wrong = path.read_text().splitlines()[0].split(":")[1].strip()
                assert lost == {wrong}, f"{path.name} lost points on {lost} under a secret"
