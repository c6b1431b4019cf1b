"""The exercise file itself: its helpers work, importing it runs no demo, and run as a script the
reference does what the seed notebook does and checks itself."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch as t

from autograder.engine import pack as packs
from autograder.engine.files import ROOT
from autograder.packs.induction_heads.report import reference_module

PACK = packs.get("induction_heads")


@pytest.fixture(scope="module")
def solution():
    return reference_module(PACK.solution)  # imported as a module: no demo code runs


@pytest.fixture(scope="module")
def model():
    from autograder import load_model

    return load_model("default")


def test_helpers_work(solution, model):
    t.manual_seed(0)
    tokens, logits, cache = solution.run_and_cache_model_repeated_tokens(model, 10, 2)
    log_probs = solution.get_log_probs(logits, tokens)
    assert log_probs.shape == (2, 20)
    assert t.allclose(log_probs[0, 3], logits[0, 3].log_softmax(-1)[tokens[0, 4]])
    figure = solution.plot_loss_difference(log_probs[0], model.to_str_tokens(tokens[0]), 10)
    assert len(figure.data) == 1 and len(figure.layout.shapes) == 2  # the line, and the two halves shaded
    _, text_cache = model.run_with_cache("Some text to look at", remove_batch_dim=True)
    view = solution.show_attention(model.to_str_tokens("Some text to look at"), text_cache, 0)
    assert "CircuitsVis" in view.local_src
    assert isinstance(solution.to_numpy(log_probs), np.ndarray) and solution.to_numpy([1, 2]).shape == (2,)
    with pytest.raises(ValueError, match="invalid type"):
        solution.to_numpy(object())


def test_importing_the_stubs_runs_no_demo():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy; runpy.run_path('exercises/induction_heads.py', run_name='student')",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == ""


def test_the_reference_run_as_a_script_prints_the_seed_report_and_checks_itself():
    done = subprocess.run(
        [sys.executable, str(PACK.solution)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for line in (
        "Heads attending to previous token =  0.7",
        "Performance on the first half: -7.010",  # seeded: the README's figures
        "Performance on the second half: -0.488",
        "Induction heads =  1.4, 1.10",
    ):
        assert line in out
    assert "FAIL" not in out and out.count("PASS") == len(PACK.functions)  # every check() passed
