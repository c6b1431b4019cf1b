"""Loading submissions: files, notebooks, folders, and the errors for everything else."""

import json

from autograder.submission import find, load, notebook_to_script


def test_notebook_code_cells_in_order_with_magics_commented():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# title"]},
            {"cell_type": "code", "source": ["%matplotlib inline\n", "x = 1"]},
            {"cell_type": "code", "source": "!pip install foo\ny = x + 1"},
        ],
        "nbformat": 4,
    }
    script = notebook_to_script(json.dumps(notebook))
    assert script.index("x = 1") < script.index("y = x + 1")
    assert "# %matplotlib inline" in script and "# !pip install foo" in script
    assert "title" not in script
    exec(compile(script, "nb", "exec"), {})  # a valid script


def test_files_folders_and_student_ids(tmp_path):
    (tmp_path / "alice.py").write_text("x = 1\n")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "induction_heads.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4}))
    (tmp_path / ".hidden.py").write_text("")
    found = find([tmp_path])
    assert [p.name for p in found] == ["alice.py", "bob"]
    assert [load(p).student for p in found] == ["alice", "bob"]
    assert load(found[1]).error == ""


def test_unloadable_submissions_say_why(tmp_path):
    (tmp_path / "a.txt").write_text("hi")
    (tmp_path / "b.ipynb").write_text("{not json")
    (tmp_path / "c.py").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "d").mkdir()
    assert "not a .py file" in load(tmp_path / "a.txt").error
    assert "not a readable notebook" in load(tmp_path / "b.ipynb").error
    assert "not UTF-8" in load(tmp_path / "c.py").error
    assert "expected one .py or .ipynb" in load(tmp_path / "d").error
