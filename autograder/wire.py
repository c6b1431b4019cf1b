"""Plain data between the judge and the sandboxed worker: JSON plus tensors, never pickle.

A message is one frame: an 8-byte header (JSON length, tensor-blob length, big-endian u32 each), the
JSON document, then an optional safetensors blob holding the tensors the JSON refers to by name
(`{"tensor": "t0", ...}`). Both parsers (json, safetensors) only ever build plain values, so a
message from a hostile worker can at worst be malformed, which the reader reports as such.

This module imports neither torch nor numpy at the top: the worker encodes torch tensors, the judge
decodes into numpy arrays, and each side imports only what it uses.
"""

from __future__ import annotations

import json
import struct
from typing import Any

HEADER = struct.Struct(">II")
MAX_JSON_BYTES = 8 << 20
MAX_BLOB_BYTES = 256 << 20


class WireError(ValueError):
    """A frame that is not well formed, or too large."""


def pack(document: Any, blob: bytes = b"") -> bytes:
    """One frame: `document` as JSON, then `blob` (a safetensors file, or nothing)."""
    text = json.dumps(document, separators=(",", ":"), allow_nan=True).encode()
    return HEADER.pack(len(text), len(blob)) + text + blob


class FrameReader:
    """Splits a byte stream into frames; feed it bytes as they arrive, take whole frames out."""

    def __init__(self, max_json: int = MAX_JSON_BYTES, max_blob: int = MAX_BLOB_BYTES):
        self.buffer = bytearray()
        self.max_json, self.max_blob = max_json, max_blob

    def feed(self, data: bytes) -> list[tuple[Any, bytes]]:
        self.buffer += data
        frames = []
        while len(self.buffer) >= HEADER.size:
            json_len, blob_len = HEADER.unpack_from(self.buffer)
            if json_len > self.max_json or blob_len > self.max_blob:
                raise WireError(f"frame too large ({json_len} + {blob_len} bytes)")
            end = HEADER.size + json_len + blob_len
            if len(self.buffer) < end:
                break
            text = bytes(self.buffer[HEADER.size : HEADER.size + json_len])
            blob = bytes(self.buffer[HEADER.size + json_len : end])
            del self.buffer[:end]
            try:
                document = json.loads(text)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise WireError(f"frame is not JSON: {error}") from None
            frames.append((document, blob))
        return frames


def read_frame(stream) -> tuple[Any, bytes] | None:
    """Reads one frame from a blocking binary stream; None at a clean end of stream."""
    header = stream.read(HEADER.size)
    if not header:
        return None
    if len(header) < HEADER.size:
        raise WireError("stream ended inside a frame header")
    json_len, blob_len = HEADER.unpack(header)
    if json_len > MAX_JSON_BYTES or blob_len > MAX_BLOB_BYTES:
        raise WireError(f"frame too large ({json_len} + {blob_len} bytes)")
    body = stream.read(json_len + blob_len)
    if len(body) < json_len + blob_len:
        raise WireError("stream ended inside a frame")
    return json.loads(body[:json_len]), body[json_len:]


# --- tensors on the judge's side: numpy only ---------------------------------------------------


def arrays_to_blob(arrays: dict) -> bytes:
    """numpy arrays -> safetensors bytes (empty dict -> no blob)."""
    if not arrays:
        return b""
    from safetensors.numpy import save

    return save({name: _contiguous(array) for name, array in arrays.items()})


def blob_to_arrays(blob: bytes) -> dict:
    """safetensors bytes -> numpy arrays. Raises WireError on anything malformed."""
    if not blob:
        return {}
    from safetensors.numpy import load

    try:
        return load(blob)
    except Exception as error:  # safetensors raises its own error types for malformed input
        raise WireError(f"tensor blob is malformed: {error}") from None


def _contiguous(array):
    import numpy as np

    return np.ascontiguousarray(array)


def decode(document: Any, arrays: dict, depth: int = 0) -> Any:
    """A value as the worker encoded it (see `worker.encode`) -> plain Python values for the judge.

    JSON scalars stay as they are; tagged dicts become lists, tuples, dicts, `Tensor`, `Cache` or
    `Opaque`. Anything else is malformed.
    """
    if depth > 64:
        raise WireError("value nested too deeply")
    if document is None or isinstance(document, (bool, int, float, str)):
        return document
    if not isinstance(document, dict) or not isinstance(document.get("type"), str):
        raise WireError(f"malformed value: {str(document)[:80]}")
    kind = document["type"]
    if kind in ("list", "tuple"):
        items = [decode(item, arrays, depth + 1) for item in _list(document.get("items"))]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {str(k): decode(v, arrays, depth + 1) for k, v in _pairs(document.get("items"))}
    if kind in ("tensor", "ndarray"):
        ref = document.get("ref")
        if not isinstance(ref, str) or ref not in arrays:
            raise WireError(f"value refers to a missing tensor {ref!r}")
        return Tensor(
            arrays[ref], str(document.get("dtype", arrays[ref].dtype)), document.get("device"), kind
        )
    if kind == "cache":
        patterns = [decode(item, arrays, depth + 1) for item in _list(document.get("patterns"))]
        return Cache(patterns, bool(document.get("has_batch_dim")), str(document.get("error") or ""))
    if kind == "object":
        return Opaque(str(document.get("class", "?"))[:200], str(document.get("repr", ""))[:500])
    raise WireError(f"unknown value type {kind!r}")


def _list(value) -> list:
    if not isinstance(value, list):
        raise WireError("malformed list")
    return value


def _pairs(value) -> list:
    if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
        raise WireError("malformed dict")
    return value


class Tensor:
    """A tensor as the judge sees it: its values (numpy), and the dtype and device it had."""

    __slots__ = ("values", "dtype", "device", "kind")

    def __init__(self, values, dtype: str, device: str | None, kind: str = "tensor"):
        self.values, self.dtype, self.device, self.kind = values, dtype, device, kind

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    def __repr__(self) -> str:
        return f"{self.kind} of shape {list(self.shape)} and dtype {self.dtype}"


class Cache:
    """An ActivationCache as the judge sees it: the attention pattern of each layer."""

    __slots__ = ("patterns", "has_batch_dim", "error")

    def __init__(self, patterns: list, has_batch_dim: bool, error: str = ""):
        self.patterns, self.has_batch_dim, self.error = patterns, has_batch_dim, error

    def __repr__(self) -> str:
        return f"ActivationCache with {len(self.patterns)} layers of patterns"


class Opaque:
    """A value the worker could not turn into plain data: only its class name and repr travel."""

    __slots__ = ("cls", "text")

    def __init__(self, cls: str, text: str):
        self.cls, self.text = cls, text

    def __repr__(self) -> str:
        return f"{self.cls} object ({self.text[:60]})"


class Channel:
    """Frames over a Unix stream socket, with file descriptors riding along (SCM_RIGHTS).

    Descriptors are attached to the first byte of the frame they belong to, so they arrive in the
    same order as the frames that use them.
    """

    def __init__(self, sock):
        self.sock = sock
        self.reader = FrameReader()
        self.frames: list[tuple[Any, bytes]] = []
        self.fds: list[int] = []

    def send(self, document: Any, blob: bytes = b"", fds: tuple[int, ...] = ()) -> None:
        import socket

        data = pack(document, blob)
        if fds:
            socket.send_fds(self.sock, [data[:1]], list(fds))
            data = data[1:]
        self.sock.sendall(data)

    def fill(self) -> None:
        """Reads what is there (blocking until something is); EOFError when the peer has gone."""
        import socket

        data, fds, _, _ = socket.recv_fds(self.sock, 1 << 20, 16)
        self.fds += fds
        if not data:
            raise EOFError("the other end of the channel has closed")
        self.frames += self.reader.feed(data)

    def receive(self) -> tuple[Any, bytes]:
        while not self.frames:
            self.fill()
        return self.frames.pop(0)

    def take_fds(self, count: int) -> list[int]:
        if len(self.fds) < count:
            raise WireError(f"expected {count} file descriptors, have {len(self.fds)}")
        taken, self.fds = self.fds[:count], self.fds[count:]
        return taken


def encode_decoded(value: Any, arrays: dict) -> Any:
    """The inverse of `decode`, on the judge's side: for storing decoded values (numpy arrays go to
    `arrays`, to be saved with `arrays_to_blob`)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [encode_decoded(item, arrays) for item in value]
        return {"type": "list" if isinstance(value, list) else "tuple", "items": items}
    if isinstance(value, dict):
        return {"type": "dict", "items": [[k, encode_decoded(v, arrays)] for k, v in value.items()]}
    if isinstance(value, Tensor):
        ref = f"t{len(arrays)}"
        arrays[ref] = value.values
        return {"type": value.kind, "ref": ref, "dtype": value.dtype, "device": value.device}
    if isinstance(value, Cache):
        patterns = [encode_decoded(p, arrays) for p in value.patterns]
        return {
            "type": "cache",
            "has_batch_dim": value.has_batch_dim,
            "patterns": patterns,
            "error": value.error,
        }
    if isinstance(value, Opaque):
        return {"type": "object", "class": value.cls, "repr": value.text}
    raise TypeError(f"cannot encode {type(value).__name__}")
