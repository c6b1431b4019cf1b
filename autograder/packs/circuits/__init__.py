"""The circuits exercise: reverse-engineering the induction circuit from the weights (ARENA's "Intro
to Mech Interp", reverse-engineering induction circuits): full OV circuits as FactoredMatrix, top-1
accuracy, the effective OV circuit of two heads, the previous-token head's positional pattern, and
the decomposition of an induction head's query, key and attention scores.

This file declares the pack; `cases.py` holds its inputs, `fixtures.py` its argument kinds,
`checks.py` its tests (and the contracts it settles), `mistakes.py` the mistakes it names (never
shipped in a release), `report.py` its demo.
"""

from __future__ import annotations

from pathlib import Path

from autograder.engine import hints
from autograder.engine.files import ROOT
from autograder.engine.pack import Function, Pack, Param
from autograder.packs.circuits import cases, checks, report
from autograder.transformer_lens.specs import DEFAULT_MODEL_DIR

NAME = "circuits"
NOTEBOOK_GLOBALS = ("model", "cfg", "device")

FUNCTIONS = (
    Function(
        cases.F_OV,
        (Param("model", "model"), Param("layer", "int"), Param("head", "int")),
        globals=NOTEBOOK_GLOBALS,
        aliases=("get_full_ov_circuit", "get_full_OV_circuit"),
    ),
    Function(cases.F_TOP1, (Param("full_OV_circuit", "FactoredMatrix"),), globals=NOTEBOOK_GLOBALS),
    Function(
        cases.F_EFFECTIVE,
        (Param("model", "model"), Param("layer", "int"), Param("heads", "list[int]")),
        globals=NOTEBOOK_GLOBALS,
    ),
    Function(cases.F_MASK, (Param("attn_scores", "tensor"),), globals=NOTEBOOK_GLOBALS),
    Function(
        cases.F_POS,
        (Param("model", "model"), Param("layer", "int"), Param("head_index", "int")),
        globals=NOTEBOOK_GLOBALS,
        stand_ins=(cases.F_MASK,),
    ),
    Function(cases.F_QK_INPUT, (Param("cache", "ActivationCache"),), globals=NOTEBOOK_GLOBALS),
    Function(
        cases.F_Q,
        (Param("decomposed_qk_input", "tensor"), Param("ind_head_index", "int")),
        globals=NOTEBOOK_GLOBALS,
    ),
    Function(
        cases.F_K,
        (Param("decomposed_qk_input", "tensor"), Param("ind_head_index", "int")),
        globals=NOTEBOOK_GLOBALS,
    ),
    Function(
        cases.F_SCORES,
        (Param("decomposed_q", "tensor"), Param("decomposed_k", "tensor")),
        globals=NOTEBOOK_GLOBALS,
    ),
)


# mistakes.py where it is here; in a release (which never ships it), the public inputs' table
HINTS, ERROR_HINT = hints.for_pack(__name__, Path(__file__).parent / "expected", checks.hint_form)

PACK = Pack(
    name=NAME,
    title="Circuits: OV and QK circuits of the induction heads, read off the weights",
    functions=FUNCTIONS,
    tests=checks.TESTS,
    inputs=cases.inputs,
    package=Path(__file__).parent,
    solution=ROOT / "solutions" / f"{NAME}.py",
    exercise=ROOT / "exercises" / f"{NAME}.py",
    nbgrader_source=ROOT / "nbgrader" / "source" / NAME / f"{NAME}.ipynb",
    fixtures="autograder.packs.circuits.fixtures",
    preload=("transformer_lens", "einops", "jaxtyping", "plotly.express"),
    readable=(DEFAULT_MODEL_DIR,),
    hints=HINTS,
    error_hint=ERROR_HINT,
    report=report.sections,
    report_cases=report.CASES,
    demo=report.demo,
)
