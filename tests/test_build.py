"""The student files are generated from the single source, and stay in step with it."""

import json

import pytest

from autograder import build, paths


def test_generated_files_are_up_to_date():
    rendered = build.render(build.SOURCE.read_text())
    for relative, text in rendered.items():
        assert (paths.ROOT / relative).read_text() == text, (
            f"{relative} is stale: run python -m autograder.build"
        )


def test_stubs_keep_docstrings_and_drop_every_solution():
    source = build.SOURCE.read_text()
    student = build.strip_solutions(source)
    assert "### BEGIN SOLUTION" not in student and "### END SOLUTION" not in student
    assert student.count("raise NotImplementedError()") == source.count("### BEGIN SOLUTION") == 6
    assert "t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)" in student  # the contract stays
    assert "pattern.diagonal(offset=-1)" not in student  # the answer goes


def test_unbalanced_markers_are_an_error():
    with pytest.raises(ValueError, match="unbalanced"):
        build.strip_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n")


def test_notebook_has_the_same_code_as_the_script():
    notebook = json.loads((paths.ROOT / "exercises" / "induction_heads.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    script = (paths.ROOT / "exercises" / "induction_heads.py").read_text()
    for line in code.splitlines():
        assert line in script
    assert notebook["nbformat"] == 4 and any(c["cell_type"] == "markdown" for c in notebook["cells"])
