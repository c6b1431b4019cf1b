"""Each function is judged alone: the top level runs once, and what one function does to the state it
leaves behind (the model's weights, the submission's globals, torch's dtype, seed and functions, the
stand-ins) cannot change another function's grade."""

from __future__ import annotations

import pytest
from corpus import by_function, grade_source

# Appended to the reference: the function named wraps its own right answer, then wrecks everything
# the functions judged after it would share if they ran in the same process.
CORRUPTER = """

import sys as _sys

_honest = {name}


def {name}(*args, **kwargs):
    answer = _honest(*args, **kwargs)
    model = next(
        (getattr(a, "model", a) for a in args if hasattr(a, "model") or hasattr(a, "cfg")), None
    )
    if model is not None:
        for parameter in model.parameters():
            parameter.data.zero_()  # the model's weights
    for other in EXERCISES:  # the submission's globals
        if other != "{name}":
            globals()[other] = lambda *a, **k: ["9.9"]
    t.set_default_dtype(t.float64)  # torch's state
    t.manual_seed(12345)
    t.randint = lambda low, high, size, **kw: t.zeros(size, dtype=t.int64)
    t.Tensor.diagonal = lambda self, *a, **k: t.zeros(1)
    worker = _sys.modules["autograder.engine.worker"]  # the stand-ins
    worker.Replayer.__call__ = lambda self, *a, **k: t.zeros(1, 3, dtype=t.int64)
    return answer


EXERCISES = [
    "current_attn_detector", "prev_attn_detector", "first_attn_detector",
    "generate_repeated_tokens", "run_and_cache_model_repeated_tokens", "induction_attn_detector",
]
"""


# A top level this slow is run once, and each function judged in a child of the worker that ran it;
# a cheaper one runs again for each function (worker.Unit). Both ways must isolate alike.
SLOW_TOP_LEVEL = "\nimport time as _time\n_time.sleep(0.1)\n"


@pytest.mark.parametrize("top_level", ["cheap", "slow"])
@pytest.mark.parametrize("corrupter", ["current_attn_detector", "generate_repeated_tokens"])
def test_a_function_that_wrecks_shared_state_costs_no_other_function(
    grader, solution_source, corrupter, top_level
):
    source = solution_source + CORRUPTER.format(name=corrupter)
    result = grade_source(grader, source + (SLOW_TOP_LEVEL if top_level == "slow" else ""), name="wrecker")
    scores = by_function(result)
    assert set(scores) >= {"current_attn_detector", "run_and_cache_model_repeated_tokens"}
    others = {name: score for name, score in scores.items() if name != corrupter}
    assert all(got == full for got, full in others.values()), others
    # The corrupter itself loses points: its later cases ran after its own wreckage.
    assert scores[corrupter][0] < scores[corrupter][1]


def test_the_top_level_prints_once_however_often_it_runs(grader, solution_source):
    result = grade_source(grader, solution_source + '\nprint("top level ran")\n', name="printer")
    assert result.score == result.max_score
    assert result.output.count("top level ran") == 1, result.output
