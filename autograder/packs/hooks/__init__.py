"""The hooks exercise: an induction-score hook, logit attribution, and zero-ablation of each head, on
the same 2-layer attention-only TransformerLens model as the induction-heads pack (the next section of
the seed notebook).

This file declares the pack; `cases.py` holds its inputs, `checks.py` its tests, `mistakes.py` the
mistakes it names (never shipped in a release: engine/hints.py), `report.py` its HTML sections and demo.
"""

from __future__ import annotations

from pathlib import Path

from autograder.engine import hints, kit
from autograder.engine.files import ROOT
from autograder.engine.pack import Function, Pack, Param
from autograder.packs.hooks import cases, checks, report
from autograder.transformer_lens.specs import DEFAULT_MODEL_DIR

NAME = "hooks"
NOTEBOOK_GLOBALS = ("model", "cfg", "device")  # the model of the input, its config and its device

FUNCTIONS = (
    Function(
        cases.F_INDUCTION,
        (Param("pattern", "tensor"), Param("hook", "HookPoint")),
        globals=(*NOTEBOOK_GLOBALS, "seq_len", cases.STORE),
    ),
    Function(
        cases.F_ATTRIBUTION,
        (
            Param("embed", "tensor"),
            Param("l1_results", "tensor"),
            Param("l2_results", "tensor"),
            Param("W_U", "tensor"),
            Param("tokens", "tensor"),
        ),
        globals=NOTEBOOK_GLOBALS,
    ),
    Function(
        cases.F_HOOK,
        (Param("z", "tensor"), Param("hook", "HookPoint"), Param("head_index_to_ablate", "int")),
        globals=NOTEBOOK_GLOBALS,
        aliases=("head_zero_ablation_hook",),  # ARENA 3.0's name
    ),
    Function(
        cases.F_SCORES,
        (Param("model", "model"), Param("tokens", "tensor")),
        globals=NOTEBOOK_GLOBALS,
        stand_ins=(cases.F_HOOK,),
    ),
)


def hint_form(function: str, case, got):
    """A submission's answer in the form of the simulated mistakes' outputs (engine/hints.py)."""
    return kit.floats(got)


# mistakes.py where it is here; in a release (which never ships it), the public inputs' table
HINTS, ERROR_HINT = hints.for_pack(__name__, Path(__file__).parent / "expected", hint_form)

PACK = Pack(
    name=NAME,
    title="Hooks: induction scores, logit attribution and head ablation",
    functions=FUNCTIONS,
    tests=checks.TESTS,
    inputs=cases.inputs,
    package=Path(__file__).parent,
    solution=ROOT / "solutions" / f"{NAME}.py",
    exercise=ROOT / "exercises" / f"{NAME}.py",
    nbgrader_source=ROOT / "nbgrader" / "source" / NAME / f"{NAME}.ipynb",
    fixtures="autograder.transformer_lens.fixtures",
    preload=("transformer_lens", "circuitsvis", "einops", "jaxtyping", "plotly.express", "tqdm"),
    readable=(DEFAULT_MODEL_DIR,),
    hints=HINTS,
    error_hint=ERROR_HINT,
    report=report.sections,
    report_cases=report.CASES,
    demo=report.demo,
)
