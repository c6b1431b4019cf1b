"""The wire format: what the judge accepts from a worker, and what it refuses."""

import json
import struct

import numpy as np
import pytest

from autograder.engine import wire


def test_frames_round_trip_in_pieces():
    frames = wire.pack({"event": "a"}) + wire.pack({"event": "b"}, b"xyz")
    reader = wire.FrameReader()
    got = []
    for i in range(len(frames)):  # one byte at a time: frames may arrive split anywhere
        got += reader.feed(frames[i : i + 1])
    assert got == [({"event": "a"}, b""), ({"event": "b"}, b"xyz")]


def test_oversized_frame_is_refused_before_it_is_read():
    reader = wire.FrameReader(max_json=100)
    with pytest.raises(wire.WireError, match="too large"):
        reader.feed(struct.pack(">II", 101, 0))


def test_frame_that_is_not_json_is_refused():
    with pytest.raises(wire.WireError, match="not JSON"):
        wire.FrameReader().feed(struct.pack(">II", 3, 0) + b"\x80ab")


def test_tensor_values_round_trip_through_safetensors():
    arrays = {"t0": np.arange(6, dtype=np.int64).reshape(2, 3), "t1": np.ones((2, 2), np.float32)}
    back = wire.blob_to_arrays(wire.arrays_to_blob(arrays))
    assert back.keys() == arrays.keys()
    assert all(np.array_equal(back[k], arrays[k]) and back[k].dtype == arrays[k].dtype for k in arrays)


def test_malformed_blob_is_refused():
    with pytest.raises(wire.WireError, match="malformed"):
        wire.blob_to_arrays(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")


def test_pickle_bytes_are_never_unpickled():
    import pickle

    payload = pickle.dumps({"score": 100})
    with pytest.raises(wire.WireError):
        wire.blob_to_arrays(payload)
    with pytest.raises(wire.WireError):
        wire.FrameReader().feed(struct.pack(">II", len(payload), 0) + payload)


def test_decode_builds_only_plain_values():
    arrays = {"t0": np.zeros((1, 3), np.int64)}
    document = {
        "type": "tuple",
        "items": [
            {"type": "tensor", "ref": "t0", "dtype": "int64", "device": "cpu"},
            {"type": "object", "class": "Evil", "repr": "x" * 10_000},
            3,
            "s",
        ],
    }
    value = wire.decode(document, arrays)
    assert isinstance(value, tuple) and isinstance(value[0], wire.Tensor) and value[0].shape == (1, 3)
    assert isinstance(value[1], wire.Opaque) and len(value[1].text) <= 500
    assert value[2:] == (3, "s")


@pytest.mark.parametrize(
    "document",
    [
        {"type": "tensor", "ref": "missing"},
        {"type": "list", "items": "not a list"},
        {"type": "dict", "items": [[1, 2, 3]]},
        {"type": "bogus"},
        [1, 2],  # an untagged list
        {"no": "type"},
    ],
)
def test_decode_refuses_malformed_values(document):
    with pytest.raises(wire.WireError):
        wire.decode(document, {})


def test_decode_refuses_deep_nesting():
    document = 1
    for _ in range(100):
        document = {"type": "list", "items": [document]}
    with pytest.raises(wire.WireError, match="deeply"):
        wire.decode(json.loads(json.dumps(document)), {})


def test_encode_decoded_inverts_decode():
    arrays = {"t0": np.arange(4, dtype=np.float32)}
    document = {
        "type": "list",
        "items": [
            {"type": "tensor", "ref": "t0", "dtype": "float32", "device": "cpu"},
            {"type": "dict", "items": [["a", None]]},
        ],
    }
    value = wire.decode(document, arrays)
    again: dict = {}
    encoded = wire.encode_decoded(value, again)
    twice = wire.decode(encoded, again)
    assert np.array_equal(twice[0].values, arrays["t0"]) and twice[1] == {"a": None}


def test_decode_counts_what_it_builds():
    document = {"type": "list", "items": [0] * (wire.MAX_NODES + 1)}
    with pytest.raises(wire.WireError, match="items"):
        wire.decode(document, {})


def test_deeply_nested_json_is_refused_not_a_crash():
    text = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(wire.WireError):
        wire.FrameReader(max_json=1 << 20).feed(struct.pack(">II", len(text), 0) + text)


def test_every_string_is_cleaned():
    value = wire.decode({"type": "list", "items": ["a\x1b]8;;http://x\x07b", "\ud800", "ok\n\ttab"]}, {})
    assert value == ["a\\x1b]8;;http://x\\x07b", "?", "ok\n\ttab"]
    assert "\x1b" not in wire.clean("\x1b[2J") and wire.clean("\u202eevil") == "\\u202eevil"


def test_records_decode_to_their_fields():
    arrays = {"t0": np.ones((2, 2), np.float32)}
    document = {
        "type": "record",
        "class": "ActivationCache",
        "fields": {
            "has_batch_dim": True,
            "patterns": {"type": "list", "items": [{"type": "tensor", "ref": "t0"}]},
        },
    }
    value = wire.decode(document, arrays)
    assert wire.is_record(value, "ActivationCache") and value.has_batch_dim is True
    assert value.patterns[0].shape == (2, 2)
    assert wire.decode(wire.encode_decoded(value, {}), {"t0": arrays["t0"]}).cls == "ActivationCache"
