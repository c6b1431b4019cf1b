"""What a stand-in's answer looks like to the student's code (engine/worker.py): the reference's
values in the form of the student's own function where the contract takes several, and notebook
globals bound as defaults when a cell ran, rebound to each case's."""

from __future__ import annotations

import numpy as np
import torch as t

from autograder.engine import program, worker
from autograder.engine.fixtures import Fixtures


def answered(reference, own):
    return worker.in_form(reference, worker.form_of(own, reference))


def test_a_number_takes_the_form_of_the_students_own_answer():
    zero_d = answered(0.25, t.tensor(0.25, dtype=t.float64))
    assert isinstance(zero_d, t.Tensor) and zero_d.shape == () and zero_d.dtype == t.float64
    assert isinstance(answered(0.25, np.float32(0.25)), np.float32)
    assert answered(0.25, 0.25) == 0.25 and type(answered(0.25, 0.25)) is float


def test_a_tensor_takes_the_students_shape_only_where_it_holds_the_same_values_in_order():
    scores = t.arange(24.0).reshape(2, 3, 2, 2)
    flat = answered(scores, scores.reshape(6, 4).double())
    assert (
        flat.shape == (6, 4) and flat.dtype == t.float64 and t.equal(flat.float().reshape(2, 3, 2, 2), scores)
    )
    transposed = scores.reshape(6, 4).T.contiguous()  # the same numbers in another order: not a form
    assert answered(scores, transposed) is scores
    assert answered(scores, scores[:1]) is scores  # fewer values
    assert answered(scores, t.zeros(2, 3, 2, 2, device="meta")) is scores


def test_a_stand_in_reads_the_students_form_once_per_form_of_the_reference():
    calls = []

    def get_comp_score(W_A, W_B):
        calls.append(1)
        return t.linalg.matrix_norm(W_A @ W_B) / (t.linalg.matrix_norm(W_A) * t.linalg.matrix_norm(W_B))

    def reference(W_A, W_B):
        return ((W_A @ W_B).norm() / (W_A.norm() * W_B.norm())).item()

    spec = {"parameters": [["W_A"], ["W_B"]], "own_form": True}
    stand_in = worker.StandIn("get_comp_score", spec, get_comp_score, None, [], {}, reference)
    answers = [stand_in(t.randn(4, 4), t.randn(4, 4)) for _ in range(5)]
    assert all(isinstance(a, t.Tensor) and a.shape == () for a in answers) and len(calls) == 1
    undeclared = worker.StandIn(
        "get_comp_score", dict(spec, own_form=False), get_comp_score, None, [], {}, reference
    )
    assert type(undeclared(t.randn(4, 4), t.randn(4, 4))) is float


def test_a_students_function_that_hangs_or_exits_leaves_the_reference_form(monkeypatch):
    import time

    monkeypatch.setattr(worker, "OWN_ANSWER_SECONDS", 0.2)
    spec = {"parameters": [["W_A"], ["W_B"]], "own_form": True}
    for own in (lambda W_A, W_B: time.sleep(30), lambda W_A, W_B: exit()):
        stand_in = worker.StandIn("get_comp_score", spec, own, None, [], {}, lambda W_A, W_B: 0.5)
        started = time.perf_counter()
        assert stand_in(t.ones(2, 2), t.ones(2, 2)) == 0.5 and time.perf_counter() - started < 5


def test_defaults_bound_to_notebook_globals_take_each_cases_value():
    model, tokens = object(), t.zeros(3)
    namespace = {"model": model, "rep_tokens": tokens, "seq_len": 10}
    exec(
        "def f(a, model=model, toks=rep_tokens, seq_len=seq_len, n=10, *, m=later):\n"
        "    return model, toks, seq_len, n, m\n",
        dict(namespace, later=program.NotebookGlobal("model")),
        namespace,
    )
    f = namespace["f"]
    f.__code__ = f.__code__.replace(co_filename="student.py")
    defaults = worker.GlobalDefaults(namespace, {"model", "rep_tokens", "seq_len"}, {"student.py"})
    other_model, other_tokens = object(), t.ones(5)
    namespace |= {"model": other_model, "rep_tokens": other_tokens, "seq_len": 12}
    defaults.bind(namespace)
    # n=10 equals seq_len's value at the top level, but is a plain number of another name: it stays
    assert f(0) == (other_model, other_tokens, 12, 10, other_model)
    assert worker.GlobalDefaults(namespace, {"model"}, {"other.py"}).found == []  # not the student's own


def test_a_decorated_functions_defaults_are_rebound_through_its_wrapper():
    namespace = {"model": object()}
    exec(compile("def f(model=model):\n    return model\n", "student.py", "exec"), namespace)
    namespace["g"] = t.inference_mode()(namespace.pop("f"))  # functools.wraps: __wrapped__
    defaults = worker.GlobalDefaults(namespace, {"model"}, {"student.py"})
    namespace["model"] = other = object()
    defaults.bind(namespace)
    assert namespace["g"]() is other


def test_a_recorded_call_is_found_by_a_fixtures_own_key_that_holds_a_digest():
    # A FactoredMatrix is keyed by its pack's fixtures with a digest of its factors: the stand-in's
    # match on shapes first must not tell such a call from the recorded one.
    class Thing:
        pass

    thing = Thing()

    class Keyed(Fixtures):
        def key(self, value):
            return {"thing": [2, 2], "sha1": "0123"} if value is thing else None

    replay = [{"function": "score", "arguments": {"W": {"thing": [2, 2], "sha1": "0123"}}, "result": 0.75}]
    spec = {"parameters": [["W"]]}
    stand_in = worker.StandIn(
        "score", spec, lambda W: 0.1, Keyed({}, {}), replay, {}, None
    )  # as in a release
    assert stand_in(thing) == 0.75 and stand_in.calls_own == 0
    assert stand_in(thing) == 0.1 and stand_in.calls_own == 1  # the recorded call is used up
