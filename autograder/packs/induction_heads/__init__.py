"""The induction-heads exercise: repeated random tokens, the run-and-cache helper, and four head
detectors, on a 2-layer attention-only TransformerLens model (the seed notebook's exercises).

This file declares the pack; `cases.py` holds its inputs, `checks.py` its tests, `mistakes.py` the
mistakes it names (never shipped in a release: engine/hints.py), `report.py` its HTML sections and demo.
"""

from __future__ import annotations

from pathlib import Path

from autograder.engine import hints, kit
from autograder.engine.files import ROOT
from autograder.engine.pack import Function, Pack, Param
from autograder.packs.induction_heads import cases, checks, report
from autograder.transformer_lens.specs import DEFAULT_MODEL_DIR

NAME = "induction_heads"
NOTEBOOK_GLOBALS = ("model", "cfg", "device")  # the model of the input, its config and its device


def _detector(name: str) -> Function:
    return Function(name, (Param("cache", "cache"),), globals=(*NOTEBOOK_GLOBALS, "seq_len"))


FUNCTIONS = (
    _detector("current_attn_detector"),
    _detector("prev_attn_detector"),
    _detector("first_attn_detector"),
    Function(
        "generate_repeated_tokens",
        (Param("model", "model"), Param("seq_len", "int"), Param("batch", "int", 1)),
        globals=NOTEBOOK_GLOBALS,
    ),
    Function(
        "run_and_cache_model_repeated_tokens",
        (Param("model", "model"), Param("seq_len", "int"), Param("batch", "int", 1)),
        globals=NOTEBOOK_GLOBALS,
        stand_ins=("generate_repeated_tokens",),
    ),
    _detector("induction_attn_detector"),
)


def hint_form(function: str, case, got):
    """A submission's answer in the form of the simulated mistakes' outputs (engine/hints.py)."""
    found = kit.heads(got, case.extra["shape"])
    return frozenset(found) if isinstance(found, set) else None


# mistakes.py where it is here; in a release (which never ships it), the public inputs' table
HINTS, ERROR_HINT = hints.for_pack(__name__, Path(__file__).parent / "expected", hint_form)

PACK = Pack(
    name=NAME,
    title="Induction heads: repeated tokens and four head detectors",
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
    screen=cases.screen,
    redraws=cases.REDRAWS,
)
