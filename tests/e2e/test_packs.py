"""The contract every installed exercise pack keeps, checked for each: its reference earns full
marks and its stubs zero; each wrong variant of its corpus loses points on its own function only,
with its mistake named; every correct variant, and every right whole file, earns full marks; its
inputs are deterministic, public and secret; its declaration is consistent."""

from __future__ import annotations

import json

import pytest
from corpus import SUBMISSIONS, files, header, variant

from autograder.engine import pack as packs
from autograder.engine.submission import from_source, load

PACKS = sorted(packs.packs())
WRONG = [(name, path) for name in PACKS for path in files(name, "wrong")]
CORRECT = [(name, path) for name in PACKS for path in files(name, "correct")]
# whole/: right files graded as they are, not completed from the reference (a file of functions
# without the notebook's setup cell, say)
WHOLE = [(name, path) for name in PACKS for path in files(name, "whole")]
# broken/: whole files with a top-level fault, and what EXPECTED.json says it costs (induction_heads's
# are checked with the real submissions, tests/e2e/test_real_submissions.py)
BROKEN = [
    (name, path, json.loads((path.parent / "EXPECTED.json").read_text())[path.name])
    for name in PACKS
    if name != "induction_heads"
    for path in files(name, "broken")
]
# hardening/<pack>_constant_answers.py: every function answers with something of the right form built
# from its inputs' shapes alone
CONSTANT = [
    (name, SUBMISSIONS / "hardening" / f"{name}_constant_answers.py")
    for name in PACKS
    if (SUBMISSIONS / "hardening" / f"{name}_constant_answers.py").exists()
]


_GRADED: dict = {}  # (pack, file) -> result: a wrong variant's two tests read one grading of it


def _grade(graders, name, path):
    if (name, path) not in _GRADED:
        grader = graders(name)
        if path.suffix == ".py":
            source = variant(grader.pack, path)
            _GRADED[name, path] = grader.grade(from_source(path.stem, source, f"{path.stem}.py"))
        else:
            _GRADED[name, path] = grader.grade(load(path))
    return _GRADED[name, path]


@pytest.mark.parametrize("name", PACKS)
def test_reference_gets_full_marks(graders, name):
    pack = packs.get(name)
    result = graders(name).grade(load(pack.solution))
    assert [t.name for t in result.tests if not t.passed] == []
    assert result.score == result.max_score == sum(t.points for t in pack.tests) > 0
    assert result.status == "graded" and result.problems == []


@pytest.mark.parametrize("name", PACKS)
def test_untouched_stubs_get_zero_and_say_so(graders, name):
    pack = packs.get(name)
    result = graders(name).grade(load(pack.exercise))
    assert result.score == 0 and result.max_score == sum(t.points for t in pack.tests)
    assert all("NotImplementedError" in t.output for t in result.tests)


@pytest.mark.parametrize("name", PACKS)
def test_declaration_is_consistent(name):
    pack = packs.get(name)
    assert {t.function for t in pack.tests} == set(pack.names)
    assert all(t.title.startswith(f"{t.function}: ") for t in pack.tests)
    assert len({t.title for t in pack.tests}) == len(pack.tests)
    for function in pack.functions:
        assert set(function.stand_ins) <= set(pack.names) - {function.name}
    for secret in (None, "a secret"):
        inputs = pack.inputs(secret)
        assert len({c.id for c in inputs.cases}) == len(inputs.cases)
        for function in pack.functions:
            cases = inputs.of(function.name)
            assert cases, f"{function.name} has no case"
            for case in cases:  # each case gives exactly the globals the function declares
                assert set(case.globals) == set(function.globals), case.id
                assert case.secret == (secret is not None)
        for test in pack.tests:
            assert any(test.selects(c) for c in inputs.of(test.function)), test.title


@pytest.mark.parametrize("name", PACKS)
def test_inputs_are_deterministic_and_secret_ones_differ(name):
    pack = packs.get(name)
    public, secret = pack.inputs(None), pack.inputs("course secret")
    assert pack.inputs(None).digest == public.digest
    assert pack.inputs("course secret").digest == secret.digest
    assert secret.digest != public.digest != pack.inputs("another secret").digest


@pytest.mark.parametrize("name, path", CORRECT, ids=lambda v: getattr(v, "name", v))
def test_correct_variants_get_full_marks(graders, name, path):
    result = _grade(graders, name, path)
    assert {t.name: t.output for t in result.tests if not t.passed} == {}


@pytest.mark.parametrize("name, path", WHOLE, ids=lambda v: getattr(v, "name", v))
def test_whole_right_files_get_full_marks(graders, name, path):
    result = graders(name).grade(load(path))
    assert {t.name: t.output for t in result.tests if not t.passed} == {}
    assert result.score == result.max_score > 0


@pytest.mark.parametrize("name, path, expected", BROKEN, ids=lambda v: getattr(v, "name", str(v)[:20]))
def test_broken_files_lose_only_what_their_fault_costs(graders, name, path, expected):
    result = graders(name).grade(load(path))
    lost = {f for f, (score, top) in result.by_function().items() if score < top}
    assert lost == set(expected["wrong"]), f"{path.name} ({expected['note']}) lost points on {lost}"
    for problem in expected["problems"]:
        assert len([line for line in result.problems if problem in line]) == 1, (problem, result.problems)


@pytest.mark.parametrize("name, path", WRONG, ids=lambda v: getattr(v, "name", v))
def test_wrong_variants_lose_points_on_their_function_only(graders, name, path):
    kind, wrong, _ = header(path)
    assert kind == "wrong" and wrong in packs.get(name).names
    scores = _grade(graders, name, path).by_function()
    score, top = scores.pop(wrong)
    assert score < top, f"{path.name} lost nothing on {wrong}"
    assert {f: s for f, (s, m) in scores.items() if s < m} == {}, f"{path.name} lost points elsewhere"


@pytest.mark.parametrize(
    "name, path",
    [(n, p) for n, p in WRONG if "# names: " in p.read_text()],
    ids=lambda v: getattr(v, "name", v),
)
def test_feedback_names_the_mistake(graders, name, path):
    expected = next(
        line.split(": ", 1)[1] for line in path.read_text().splitlines() if line.startswith("# names: ")
    )
    result = _grade(graders, name, path)
    failing = [t.output for t in result.tests if not t.passed]
    assert expected in "\n".join(failing)
    assert all(len(output.splitlines()) <= 12 for output in failing)  # fits on a screen


@pytest.mark.parametrize("name, path", CONSTANT, ids=lambda v: getattr(v, "name", v))
def test_constant_answers_earn_nothing(graders, name, path):
    grader = graders(name)
    source = grader.pack.exercise.read_text() + "\n\n# --- constant answers ---\n" + path.read_text()
    result = grader.grade(from_source(path.stem, source, f"{path.stem}.py"))
    assert result.score == 0, {t.name: t.score for t in result.tests if t.score}


@pytest.mark.parametrize("name", [name for name in PACKS if packs.get(name).report])
def test_report_sections_show_the_reference(graders, name):
    grader = graders(name)
    result = grader.grade(load(grader.pack.solution))
    sections = grader.pack.report(result, grader)
    assert sections and all(heading and "<div" in body for heading, body in sections)
    assert "No heatmap" not in "".join(body for _, body in sections)


@pytest.mark.parametrize("name", PACKS)
def test_corpus_is_large_and_varied(name):
    wrong = [p for n, p in WRONG if n == name]
    assert len(wrong) >= 2 * len(packs.get(name).functions)
    assert {header(p)[1] for p in wrong} == set(packs.get(name).names)


@pytest.mark.parametrize("name", PACKS)
def test_reference_cache_key_changes_with_the_cases(name, tmp_path):
    from autograder.engine import reference
    from autograder.engine.pack import Inputs

    pack = packs.get(name)
    inputs = pack.inputs(None)
    fewer = Inputs(inputs.catalog, inputs.tensors, inputs.cases[:-1])
    assert reference.key(pack, inputs, list(pack.readable)) != reference.key(pack, fewer, list(pack.readable))
