"""Real-world submissions (tests/submissions/real, and the pack's broken files): notebooks and
scripts as students hand them in, with setup cells, magics, course helpers that are not installed,
downloads and demo code that fail in the grader. Whatever fails at the top level is recorded once in
`result.problems`, in the student's cell and line numbers, and the rest runs: each function scores
what it deserves. Each folder's EXPECTED.json says, per file, which functions are wrong and which
problems must be reported."""

from __future__ import annotations

import json

import pytest
from corpus import SUBMISSIONS

from autograder.engine.submission import load

FOLDERS = [SUBMISSIONS / "real", SUBMISSIONS / "induction_heads" / "broken"]
EXPECTED = {
    folder / name: value
    for folder in FOLDERS
    for name, value in json.loads((folder / "EXPECTED.json").read_text()).items()
}


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_real_submission(grader, path):
    expected = EXPECTED[path]
    result = grader.grade(load(path))
    assert result.max_score == 100, result.problems
    lost = {f: f"{score:g}/{top:g}" for f, (score, top) in result.by_function().items() if score < top}
    assert set(lost) == set(expected["wrong"]), f"{path.name} ({expected['note']}) lost points on {lost}"
    for problem in expected["problems"]:
        found = [line for line in result.problems if problem in line]
        assert len(found) == 1, f"{problem!r} should be reported once, in: {result.problems}"
    assert result.status == ("imported with problems" if result.problems else "graded")
    for line in result.problems:  # in the student's terms: no path of the sandbox
        assert "/unit-" not in line and "autograder-" not in line


def test_every_file_is_listed():
    for folder in FOLDERS:
        listed = {p.name for p in EXPECTED if p.parent == folder}
        files = {p.name for p in folder.iterdir() if p.suffix in (".py", ".ipynb")} - {
            "make_seed_notebook.py"
        }
        assert files == listed, folder


def test_seed_notebook_is_built_from_the_seed_text():
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("make_seed_notebook", SUBMISSIONS / "real" / "make_seed_notebook.py")
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0


def test_the_seed_notebook_handed_in_verbatim_earns_full_marks(grader):
    result = grader.grade(load(SUBMISSIONS / "real" / "seed_notebook.ipynb"))
    assert result.score == 100
    assert any("plotly_utils" in line for line in result.problems)  # its first cell's course helpers
