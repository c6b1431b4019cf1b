"""The student files are generated from each pack's single source, and stay in step with it."""

import json

import pytest

from autograder.authoring import build
from autograder.engine import pack as packs

PACKS = sorted(packs.packs())


@pytest.mark.parametrize("name", PACKS)
def test_generated_files_are_up_to_date(name):
    pack = packs.get(name)
    for path, text in build.render(pack, pack.solution.read_text()).items():
        assert path.read_text() == text, f"{path} is stale: run python -m autograder build --all"


@pytest.mark.parametrize("name", PACKS)
def test_stubs_keep_docstrings_and_drop_every_solution(name):
    pack = packs.get(name)
    source = pack.solution.read_text()
    student = build.strip_solutions(source)
    assert "### BEGIN SOLUTION" not in student and "### END SOLUTION" not in student
    assert (
        student.count("raise NotImplementedError()")
        == source.count("### BEGIN SOLUTION")
        >= len(pack.functions)
    )


def test_the_contract_stays_and_the_answer_goes():
    student = build.strip_solutions(packs.get("induction_heads").solution.read_text())
    assert "t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)" in student
    assert "pattern.diagonal(offset=-1)" not in student


def test_unbalanced_markers_are_an_error():
    with pytest.raises(ValueError, match="unbalanced"):
        build.strip_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n")


@pytest.mark.parametrize("name", PACKS)
def test_notebook_has_the_same_code_as_the_script(name):
    pack = packs.get(name)
    notebook = json.loads(pack.exercise.with_suffix(".ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    script = pack.exercise.read_text()
    for line in code.splitlines():
        assert line in script
    assert notebook["nbformat"] == 4 and any(c["cell_type"] == "markdown" for c in notebook["cells"])
