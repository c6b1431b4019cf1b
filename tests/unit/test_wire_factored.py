"""FactoredMatrix on the wire: it travels as its two factors (never pickled, never its product), is
decoded into `wire.Factored`, bounded as any returned tensor is, and rebuilt for a stand-in's replay.
Numpy scalars travel as the numbers they hold."""

from __future__ import annotations

import numpy as np
import pytest
import torch as t
from safetensors.torch import save as save_tensors
from transformer_lens import FactoredMatrix

from autograder.engine import wire, worker
from autograder.transformer_lens.fixtures import Fixtures, encode_factored


class _Factoring:
    """The part of the TransformerLens fixtures that the encoder asks about return values."""

    encode = staticmethod(lambda value, encoder: encode_factored(value, encoder))
    rebuild = Fixtures.rebuild


def _round_trip(value):
    tensors: dict = {}
    document = worker.Encoder(tensors, _Factoring())(value)
    blob = save_tensors(tensors) if tensors else b""
    # Through a real frame: the JSON must be plain, the tensors a safetensors blob.
    ((parsed, back),) = wire.FrameReader().feed(wire.pack(document, blob))
    return document, wire.decode(parsed, wire.blob_to_arrays(back))


def _circuit(vocab=50, d_model=12, d_head=4, seed=0):
    g = t.Generator().manual_seed(seed)
    W_E, W_U = t.randn(vocab, d_model, generator=g), t.randn(d_model, vocab, generator=g)
    W_V, W_O = t.randn(d_model, d_head, generator=g), t.randn(d_head, d_model, generator=g)
    return W_E, W_V, W_O, W_U


def test_a_factored_matrix_travels_as_its_factors_and_means_its_product():
    W_E, W_V, W_O, W_U = _circuit()
    matrix = W_E @ FactoredMatrix(W_V, W_O) @ W_U
    document, got = _round_trip(matrix)
    assert document["type"] == "factored"
    assert isinstance(got, wire.Factored)
    assert got.shape == (50, 50) and got.A.shape == (50, 4) and got.B.shape == (4, 50)
    assert np.allclose(got.AB, (W_E @ W_V @ W_O @ W_U).double().numpy(), rtol=1e-5, atol=1e-4)
    assert np.allclose(got.rows([3, 7]), got.AB[[3, 7]], rtol=1e-5, atol=1e-5)
    assert np.allclose(got.T.AB, got.AB.T) and got.T.shape == (50, 50)


def test_leading_dimensions_broadcast_as_in_transformer_lens():
    A, B = t.randn(3, 6, 2), t.randn(2, 5)
    _, got = _round_trip(FactoredMatrix(A, B))
    assert got.shape == (3, 6, 5)
    assert np.allclose(got.AB, (A @ B).numpy(), atol=1e-5)


def test_a_factored_matrix_inside_a_list_and_a_stored_answer_round_trip():
    W_E, W_V, W_O, W_U = _circuit()
    _, got = _round_trip([FactoredMatrix(W_E @ W_V, W_O @ W_U), 0.5])
    arrays = wire.Arrays()
    stored = wire.encode_decoded(got, arrays)
    again = wire.decode(stored, wire.blob_to_arrays(wire.arrays_to_blob(arrays)))
    assert isinstance(again[0], wire.Factored) and np.array_equal(again[0].AB, got[0].AB)
    assert again[1] == 0.5


def test_factors_too_large_send_back_a_description_not_the_values(monkeypatch):
    monkeypatch.setattr(worker, "MAX_ELEMENTS", 100)
    A, B = t.randn(50, 4), t.randn(4, 50)
    document, got = _round_trip(FactoredMatrix(A, B))
    assert document["type"] == "object" and isinstance(got, wire.Opaque)
    assert "too large" in got.text


def test_factors_changed_by_hand_that_do_not_multiply_are_described():
    matrix = FactoredMatrix(t.randn(5, 3), t.randn(3, 5))
    matrix.B = t.randn(4, 5)
    document, got = _round_trip(matrix)
    assert isinstance(got, wire.Opaque) and "do not multiply" in got.text


def test_integer_factors_travel_as_floats():
    _, got = _round_trip(FactoredMatrix(t.ones(4, 2, dtype=t.int64), t.ones(2, 3, dtype=t.int64)))
    assert isinstance(got, wire.Factored) and np.array_equal(got.AB, np.full((4, 3), 2.0))


@pytest.mark.parametrize(
    "document",
    [
        {"type": "factored", "A": {"type": "tensor", "ref": "a"}, "B": {"type": "tensor", "ref": "b"}},
        {"type": "factored", "A": {"type": "tensor", "ref": "a"}, "B": 3},
        {"type": "factored", "A": {"type": "tensor", "ref": "v"}, "B": {"type": "tensor", "ref": "v"}},
        {"type": "factored", "A": {"type": "tensor", "ref": "i"}, "B": {"type": "tensor", "ref": "i"}},
        {"type": "factored", "A": {"type": "tensor", "ref": "p"}, "B": {"type": "tensor", "ref": "q"}},
        {"type": "factored"},
    ],
)
def test_malformed_factored_matrices_are_refused(document):
    arrays = {
        "a": np.zeros((4, 3), np.float32),
        "b": np.zeros((2, 5), np.float32),  # inner dimensions differ
        "v": np.zeros(3, np.float32),  # not a matrix
        "i": np.zeros((3, 3), np.int64),  # not floats
        "p": np.zeros((2, 3, 3), np.float32),
        "q": np.zeros((4, 3, 3), np.float32),  # leading dimensions do not broadcast
    }
    with pytest.raises(wire.WireError, match="factored matrix|missing tensor|malformed"):
        wire.decode(document, arrays)


def test_a_stand_ins_recorded_factored_result_is_rebuilt_as_a_factored_matrix():
    A, B = t.randn(6, 2), t.randn(2, 6)
    tensors: dict = {}
    document = worker.Encoder(tensors, _Factoring())(FactoredMatrix(A, B))
    rebuilt = worker.to_torch(document, tensors, _Factoring())
    assert isinstance(rebuilt, FactoredMatrix)
    assert t.allclose(rebuilt.AB, A @ B)


@pytest.mark.parametrize(
    "value",
    [np.float32(0.25), np.float64(0.25), t.tensor(0.25).item(), np.array(0.25, np.float32)[()], 0.25],
)
def test_numpy_scalars_travel_as_the_numbers_they_hold(value):
    document, got = _round_trip(value)
    assert got == pytest.approx(0.25) and type(got) is float


def test_numpy_integer_and_bool_scalars_travel_as_numbers():
    assert _round_trip(np.int64(7))[1] == 7 and _round_trip(np.bool_(True))[1] is True


def test_rows_and_probes_are_the_products_own():
    rng = np.random.default_rng(3)
    matrix = wire.Factored(rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 7)))
    vector = rng.standard_normal(7)
    assert np.allclose(matrix.rows([1, 4]), matrix.AB[:, [1, 4]])
    assert np.allclose(matrix.probe(vector), matrix.AB @ vector)
