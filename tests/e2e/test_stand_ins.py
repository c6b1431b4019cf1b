"""A right answer never loses a point for how it is written: stand-ins serve any valid call of the
other exercise functions, functions are found under the other names the course gives them, a module
that is not installed is said to be so, and a secret whose draws leave a test without inputs is
refused before anyone is graded."""

from __future__ import annotations

import dataclasses

import pytest
import torch as t
from corpus import grade_source

from autograder.engine import aliases, judge, worker
from autograder.engine import pack as packs
from autograder.engine.fixtures import Fixtures
from autograder.engine.grader import Grader
from autograder.engine.pack import Inputs
from autograder.engine.reference import Reference, implementation

HOOK = [["z"], ["hook"], ["head_index_to_ablate"]]
TOKENS = [["model"], ["seq_len"], ["batch", 1]]


def test_calls_are_bound_to_the_students_own_names_and_extra_parameters():
    def own_tokens(model, seq_len, batch_size=1, seed=None):  # their names, their extra keyword
        pass

    assert worker.bind("g", TOKENS, own_tokens, ("m", 5), {"seed": 3}) == {
        "model": "m",
        "seq_len": 5,
        "batch": 1,
    }
    assert worker.bind("g", TOKENS, own_tokens, ("m",), {"seq_len": 5, "batch_size": 4}) == {
        "model": "m",
        "seq_len": 5,
        "batch": 4,
    }

    def reordered(seq_len, model, batch=1):  # the reference's names, in another order
        pass

    assert worker.bind("g", TOKENS, reordered, (5, "m", 2), {}) == {"model": "m", "seq_len": 5, "batch": 2}

    def same(model, seq_len, batch=1):  # a stand-in passes the signature it read once
        pass

    signature = worker.signature_of(same)
    assert worker.bind("g", TOKENS, signature, ("m", 5, 2), {}) == {"model": "m", "seq_len": 5, "batch": 2}
    assert worker.bind("g", TOKENS, signature, ("m",), {"seq_len": 5}) == {
        "model": "m",
        "seq_len": 5,
        "batch": 1,
    }

    def own_hook(attn_result, hook, head_index_to_ablate, value=0.0):
        pass

    assert worker.bind("h", HOOK, own_hook, ("v", "hk"), {"head_index_to_ablate": 2}) == {
        "z": "v",
        "hook": "hk",
        "head_index_to_ablate": 2,
    }


def test_a_call_that_fits_no_signature_names_the_function_it_is_about():
    with pytest.raises(TypeError, match=r"^head_ablation_hook\(\) was called with arguments that do not fit"):
        worker.bind("head_ablation_hook", HOOK, None, ("z",), {"colour": 1})


def _stand_in(own, implementation, replay=()):
    spec = {"parameters": HOOK, "aliases": []}
    return worker.StandIn("head_ablation_hook", spec, own, Fixtures({}, {}), list(replay), {}, implementation)


def _zero(z, hook, head_index_to_ablate):
    z = z.clone()
    z[:, :, head_index_to_ablate] = 0
    return z


def test_a_call_the_reference_never_made_is_answered_by_the_reference_code():
    z = t.ones(1, 2, 3, 4)
    recorded = {"arguments": {"z": "other", "hook": None, "head_index_to_ablate": 0}, "result": None}
    stand_in = _stand_in(own=lambda *a: t.full((1,), 7.0), implementation=_zero, replay=[recorded])
    got = stand_in(z, None, head_index_to_ablate=1)  # another tensor: no recorded call fits
    assert got[:, :, 1].abs().sum() == 0 and got[:, :, 0].sum() == 8 and stand_in.calls_own == 0
    assert z.sum() == 24  # like the reference's, it leaves its argument as it was


def test_without_reference_code_the_students_own_function_answers_and_is_counted():
    z = t.ones(1, 2, 3, 4)
    stand_in = _stand_in(own=_zero, implementation=None)
    assert stand_in(z, None, 2)[:, :, 2].abs().sum() == 0
    assert (stand_in.calls, stand_in.calls_own) == (1, 1)


def test_with_neither_the_error_names_the_function_and_not_the_references_calls():
    recorded = {"arguments": {"z": "SECRET-INPUT", "hook": None, "head_index_to_ablate": 0}, "result": None}
    stand_in = _stand_in(own=None, implementation=None, replay=[recorded])
    with pytest.raises(RuntimeError) as error:
        stand_in(t.ones(1, 2, 3, 4), None, 1)
    assert str(error.value).startswith("head_ablation_hook was called with")
    assert "SECRET-INPUT" not in str(error.value)


def test_the_reference_code_for_a_stand_in_comes_from_the_solution_only(tmp_path):
    pack = packs.get("hooks")
    source = implementation(pack.solution, "head_ablation_hook")
    assert "def head_ablation_hook(" in source and "def get_ablation_scores" not in source
    assert implementation(tmp_path / "absent.py", "head_ablation_hook") is None  # a release


def test_a_function_defined_only_under_another_name_is_asked_for_under_it():
    pack = packs.get("hooks")
    functions = pack.names
    arena3 = b"def head_zero_ablation_hook(z, hook, head):\n    z[:, :, head] = 0\n"
    assert aliases.found(pack, functions, arena3) == {"head_ablation_hook": "head_zero_ablation_hook"}
    notebook = b'{"cells": [{"source": ["def head_zero_ablation_hook(z, hook, h):\\n", "    pass"]}]}'
    assert aliases.found(pack, functions, notebook) == {"head_ablation_hook": "head_zero_ablation_hook"}
    both = arena3 + b"head_ablation_hook = head_zero_ablation_hook\n"
    assert aliases.found(pack, functions, both) == {}  # its own name is there: that one counts


def test_a_module_that_is_not_installed_is_said_to_be_so():
    problem = {
        "where": "cell 2, line 1",
        "type": "ModuleNotFoundError",
        "message": "No module named 'plotly_utils'",
    }
    assert "the module plotly_utils is not installed where your work is graded" in judge._problem(problem)
    pack = packs.get("hooks")
    error = {"type": "NameError", "message": "name 'eindex' is not defined", "name": "eindex"}
    hint = judge._error_hint(pack, "logit_attribution", error, ["eindex"])
    assert "the module eindex is not installed where your work is graded" in hint
    assert "neither defined" not in hint
    other = judge._error_hint(pack, "logit_attribution", error | {"name": "pu"}, ["plotly_utils"])
    assert "plotly_utils" in other and "neither defined" not in other


def test_the_courses_packages_are_installed():
    import eindex  # noqa: F401  (ARENA 3.0's solutions import it, as eindex-callum)


class _Template:
    off: dict = {}

    def ready(self):
        return self

    def close(self):
        pass


def test_a_secret_whose_draws_leave_a_test_without_inputs_is_refused_before_grading():
    pack = packs.get("induction_heads")
    drawn = []

    def screen(inputs, reference):  # no candidate ever passes
        drawn.append(inputs.digest)
        return Inputs(
            inputs.catalog, inputs.tensors, tuple(c for c in inputs.cases if c.extra.get("slot") is None)
        )

    unfit = dataclasses.replace(pack, screen=screen, redraws=2)
    everything = {c.id: {} for a in range(3) for c in pack.inputs("s", a).cases}

    class Refusing(Grader):
        def _start(self, index):
            return _Template()

        def _protections_off(self):
            return {}

    with pytest.raises(packs.InputsUnfit, match=r"the test '.*' of induction_heads .*\(3 draws tried\)"):
        Refusing(unfit, secret="s", require_isolation=False, expected=Reference(everything))
    assert len(set(drawn)) == 3  # each a new draw from the secret
    assert pack.inputs("s", 1).digest == pack.inputs("s", 1).digest != pack.inputs("s").digest


def test_a_students_own_seed_keyword_costs_nothing(grader, solution_source):
    source = solution_source + (
        "\n\ndef generate_repeated_tokens(model, seq_len, batch=1, seed=None):\n"
        "    if seed is not None:\n"
        "        t.manual_seed(seed)\n"
        "    bos = t.full((batch, 1), model.tokenizer.bos_token_id, dtype=t.int64)\n"
        "    seq = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)\n"
        "    return t.cat([bos, seq, seq], dim=-1).to(model.cfg.device)\n"
        "\n\ndef run_and_cache_model_repeated_tokens(model, seq_len, batch=1, seed=None):\n"
        "    tokens = generate_repeated_tokens(model, seq_len, batch, seed=seed)\n"
        "    logits, cache = model.run_with_cache(tokens)\n"
        "    return tokens, logits, cache\n"
    )
    result = grade_source(grader, source)
    assert {t.name: t.output for t in result.tests if not t.passed} == {}


def test_a_call_that_does_not_fit_names_the_contract_of_the_function_called():
    pack = packs.get("induction_heads")
    error = {
        "type": "TypeError",
        "message": "generate_repeated_tokens() got an unexpected keyword argument 'x'",
    }
    hint = judge._error_hint(pack, "run_and_cache_model_repeated_tokens", error)
    assert "def generate_repeated_tokens(" in hint and "def run_and_cache" not in hint
    # A TypeError from inside (a torch function's argument) or from a helper of the student's own is
    # no misfit of the contract: no contract hint that would blame a right signature.
    for message in (
        "stack(): argument 'tensors' (position 1) must be tuple of Tensors, not list",
        "my_helper() takes 1 positional argument but 2 were given",
    ):
        hint = judge._error_hint(
            pack, "run_and_cache_model_repeated_tokens", {"type": "TypeError", "message": message}
        )
        assert "contract" not in hint
    own = judge._error_hint(
        pack,
        "prev_attn_detector",
        {"type": "TypeError", "message": "prev_attn_detector() missing 1 required positional argument: 'x'"},
    )
    assert "the contract is def prev_attn_detector(cache)" in own
