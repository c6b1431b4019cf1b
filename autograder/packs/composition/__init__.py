"""The composition exercise: the full K-composition circuit of two heads, composition scores (one,
every pair of heads of two layers, a random baseline, and batched over factored matrices), and the
induction score of a head of layer 1 with a head of layer 0 ablated; on the same 2-layer
attention-only TransformerLens model as the hooks pack (ARENA's "reverse-engineering induction
circuits", composition).

This file declares the pack; `cases.py` holds its inputs, `checks.py` its tests, `mistakes.py` the
mistakes it names (never shipped in a release: engine/hints.py), `report.py` its HTML section and demo.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.engine import hints, kit
from autograder.engine.files import ROOT
from autograder.engine.pack import Function, Pack, Param
from autograder.packs.composition import cases, checks, report
from autograder.transformer_lens.specs import DEFAULT_MODEL_DIR

NAME = "composition"
NOTEBOOK_GLOBALS = ("model", "cfg", "device")  # the notebook's model, its config and its device

FUNCTIONS = (
    Function(
        cases.F_KCOMP,
        (Param("model", "model"), Param("prev_token_head_index", "int"), Param("ind_head_index", "int")),
        globals=NOTEBOOK_GLOBALS,
    ),
    # A float, a 0-d tensor or a numpy float: the tests take each (own_form: see engine/pack.py).
    Function(
        cases.F_SCORE,
        (Param("W_A", "tensor"), Param("W_B", "tensor")),
        globals=NOTEBOOK_GLOBALS,
        own_form=True,
    ),
    Function(
        cases.F_TABLES,
        (Param("model", "model"),),
        globals=NOTEBOOK_GLOBALS,
        stand_ins=(cases.F_SCORE, cases.F_BATCHED),
    ),
    Function(cases.F_RANDOM, (), globals=NOTEBOOK_GLOBALS, stand_ins=(cases.F_SCORE,)),
    Function(
        cases.F_BATCHED,
        (Param("W_As", "FactoredMatrix"), Param("W_Bs", "FactoredMatrix")),
        globals=NOTEBOOK_GLOBALS,
        own_form=True,  # (*A_idx, *B_idx) or flattened to [prod(A_idx), prod(B_idx)]
    ),
    Function(
        cases.F_ABLATION,
        (Param("prev_head_index", "int | None"), Param("ind_head_index", "int")),
        globals=(*NOTEBOOK_GLOBALS, "rep_tokens", "seq_len"),
    ),
)


def hint_form(function: str, case, got):
    """A submission's answer in the form of the simulated mistakes' outputs (engine/hints.py): a
    number as a one-element array, the tables stacked (Q, K, V), a FactoredMatrix as a sample of its
    product's rows, the batched scores flattened."""
    if function == cases.F_KCOMP:
        matrix = kit.factored(got)
        return None if matrix is None else matrix.rows(cases.HINT_ROWS)
    if function == cases.F_TABLES:
        if not isinstance(got, dict) or any(kit.floats(got.get(k)) is None for k in "QKV"):
            return None
        tables = [kit.floats(got[k]) for k in "QKV"]
        return np.stack(tables) if len({t.shape for t in tables}) == 1 else None
    if function == cases.F_BATCHED:  # flattened: (*A_idx, *B_idx) and [prod(A_idx), prod(B_idx)] alike
        values = kit.floats(got)
        return None if values is None else values.ravel()
    value = kit.number(got)  # one-element arrays, as the release's table stores numbers
    return np.asarray([value]) if value is not None else kit.floats(got)


# mistakes.py where it is here; in a release (which never ships it), the public inputs' table
HINTS, ERROR_HINT = hints.for_pack(__name__, Path(__file__).parent / "expected", hint_form)

PACK = Pack(
    name=NAME,
    title="Composition: the K-composition circuit, composition scores and ablation",
    functions=FUNCTIONS,
    tests=checks.TESTS,
    inputs=cases.inputs,
    package=Path(__file__).parent,
    solution=ROOT / "solutions" / f"{NAME}.py",
    exercise=ROOT / "exercises" / f"{NAME}.py",
    nbgrader_source=ROOT / "nbgrader" / "source" / NAME / f"{NAME}.ipynb",
    fixtures="autograder.transformer_lens.composition_fixtures",
    preload=("transformer_lens", "einops", "jaxtyping", "plotly.express"),
    readable=(DEFAULT_MODEL_DIR,),
    hints=HINTS,
    error_hint=ERROR_HINT,
    report=report.sections,
    report_cases=report.CASES,
    demo=report.demo,
)
