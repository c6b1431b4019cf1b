"""Plain data between the judge and the sandboxed worker: JSON plus tensors, never pickle.

A message is one frame: an 8-byte header (JSON length, tensor-blob length, big-endian u32 each), the
JSON document, then an optional safetensors blob holding the tensors the JSON refers to by name
(`{"type": "tensor", "ref": "t0", ...}`). Both parsers (json, safetensors) only ever build plain
values, so a message from a hostile worker can at worst be malformed or large, which the reader
reports as such: sizes are checked before anything is parsed, and decoding counts what it builds.
Every string that comes back is cleaned (`output.text.clean`): no control characters, no lone
surrogates.

This module imports neither torch nor numpy at the top: the worker encodes torch tensors, the judge
decodes into numpy arrays, and each side imports only what it uses.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from autograder.output.text import clean  # also `wire.clean`, where frames are read

HEADER = struct.Struct(">II")
MAX_JSON_BYTES = 4 << 20  # per frame from a worker; the worker's own caps keep honest frames far below
MAX_BLOB_BYTES = 64 << 20
MAX_NODES = 100_000  # values decoded per document
MAX_DEPTH = 64


class WireError(ValueError):
    """A frame that is not well formed, or too large."""


def pack(document: Any, blob: bytes = b"") -> bytes:
    """One frame: `document` as JSON, then `blob` (a safetensors file, or nothing)."""
    text = json.dumps(document, separators=(",", ":"), allow_nan=True).encode("utf-8", "surrogatepass")
    return HEADER.pack(len(text), len(blob)) + text + blob


def parse_json(text: bytes) -> Any:
    try:
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"frame is not JSON: {str(error)[:100]}") from None
    except RecursionError:
        raise WireError("frame is nested too deeply") from None
    except ValueError as error:  # an integer of too many digits, say
        raise WireError(f"frame is not usable JSON: {str(error)[:100]}") from None


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
                raise WireError(f"frame too large ({json_len:,} + {blob_len:,} bytes)")
            end = HEADER.size + json_len + blob_len
            if len(self.buffer) < end:
                break
            text = bytes(self.buffer[HEADER.size : HEADER.size + json_len])
            blob = bytes(self.buffer[HEADER.size + json_len : end])
            del self.buffer[:end]
            frames.append((parse_json(text), blob))
        return frames


# --- tensors on the judge's side: numpy only ---------------------------------------------------


def arrays_to_blob(arrays: dict) -> bytes:
    """numpy arrays -> safetensors bytes (empty dict -> no blob)."""
    if not arrays:
        return b""
    import numpy as np
    from safetensors.numpy import save

    return save({name: np.ascontiguousarray(array) for name, array in arrays.items()})


def blob_to_arrays(blob: bytes) -> dict:
    """safetensors bytes -> numpy arrays. Raises WireError on anything malformed."""
    if not blob:
        return {}
    from safetensors.numpy import load

    try:
        return load(blob)
    except Exception as error:  # safetensors raises its own error types for malformed input
        raise WireError(f"tensor blob is malformed: {str(error)[:100]}") from None


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


class Record:
    """An object the pack's fixtures encode field by field (an ActivationCache: its patterns)."""

    __slots__ = ("cls", "fields")

    def __init__(self, cls: str, fields: dict):
        self.cls, self.fields = cls, fields

    def __getattr__(self, name: str):
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"{self.cls} record"


class Opaque:
    """A value the worker could not turn into plain data: only its class name and repr travel."""

    __slots__ = ("cls", "text")

    def __init__(self, cls: str, text: str):
        self.cls, self.text = cls, text

    def __repr__(self) -> str:
        return f"{self.cls} object ({self.text[:60]})"


class Factored:
    """A `FactoredMatrix` as the judge sees it: its factors `A` [..., m, k] and `B` [..., k, n] (numpy),
    and the dtype and device they had. It stands for the product `A @ B`, which is what it means:
    checks compare products (`AB`, `rows`), shapes and transposes, never the factors themselves, as
    the same matrix has many factorings (`FactoredMatrix(W_E @ W_V, W_O @ W_U)` or the reference's
    `W_E @ FactoredMatrix(W_V, W_O) @ W_U`). The product is computed here, on the judging side, only
    when asked for: a vocabulary-sized one never travels."""

    __slots__ = ("A", "B", "dtype", "device")

    def __init__(self, A, B, dtype: str = "float32", device: str | None = None):
        self.A, self.B, self.dtype, self.device = A, B, dtype, device

    @property
    def shape(self) -> tuple[int, ...]:
        """The product's shape: the factors' leading dimensions broadcast, then [m, n]."""
        import numpy as np

        batch = np.broadcast_shapes(self.A.shape[:-2], self.B.shape[:-2])
        return (*batch, int(self.A.shape[-2]), int(self.B.shape[-1]))

    @property
    def ldim(self) -> int:
        return int(self.A.shape[-2])

    @property
    def rdim(self) -> int:
        return int(self.B.shape[-1])

    @property
    def mdim(self) -> int:
        return int(self.A.shape[-1])

    @property
    def AB(self):  # noqa: N802 (TransformerLens's name)
        """The product, as float64 (computed on each call: keep it if you need it twice). It is
        multiplied in the factors' own precision, as the worker would have (float32 is ten times
        faster here, and as exact as the answer it judges)."""
        import numpy as np

        return np.matmul(self.A, self.B).astype(np.float64)

    def rows(self, index):
        """Only the product's rows `index` (a list of row numbers): `AB[..., index, :]`, cheaply."""
        import numpy as np

        # einsum, not matmul: for a few rows, BLAS's threads cost more than the product (10x, measured);
        # in the factors' own precision, as AB.
        return np.einsum("...ik,...kj->...ij", self.A[..., index, :], self.B).astype(np.float64)

    def probe(self, vector):
        """The product times `vector` ([n]), without forming the product: `A @ (B @ vector)`."""
        import numpy as np

        inner = np.einsum("...kj,j->...k", self.B.astype(np.float64), vector)
        return np.einsum("...ik,...k->...i", self.A.astype(np.float64), inner)

    @property
    def T(self) -> Factored:  # noqa: N802 (numpy's and TransformerLens's name)
        """The transpose, as factors: (A B)ᵀ = Bᵀ Aᵀ."""
        return Factored(self.B.swapaxes(-1, -2), self.A.swapaxes(-1, -2), self.dtype, self.device)

    @property
    def nbytes(self) -> int:
        return int(self.A.nbytes + self.B.nbytes)

    def __repr__(self) -> str:
        factors = f"{list(self.A.shape)} @ {list(self.B.shape)}"
        return f"FactoredMatrix of shape {list(self.shape)} (factors {factors})"


def is_record(value: Any, cls: str) -> bool:
    return isinstance(value, Record) and value.cls == cls


class _Decoder:
    def __init__(self, arrays: dict):
        self.arrays, self.nodes = arrays, 0

    def __call__(self, document: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise WireError(f"value has more than {MAX_NODES:,} items")
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if document is None or isinstance(document, (bool, int, float)):
            return document
        if isinstance(document, str):
            return clean(document[:10_000])
        if not isinstance(document, dict) or not isinstance(document.get("type"), str):
            raise WireError(f"malformed value: {clean(str(document)[:80])}")
        kind = document["type"]
        if kind in ("list", "tuple"):
            items = [self(item, depth + 1) for item in _list(document.get("items"))]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            return {clean(str(k)[:1000]): self(v, depth + 1) for k, v in _pairs(document.get("items"))}
        if kind in ("tensor", "ndarray"):
            ref = document.get("ref")
            if not isinstance(ref, str) or ref not in self.arrays:
                raise WireError("value refers to a missing tensor")
            dtype = clean(str(document.get("dtype", self.arrays[ref].dtype))[:40])
            device = document.get("device")
            return Tensor(
                self.arrays[ref], dtype, clean(str(device)[:40]) if device is not None else None, kind
            )
        if kind == "record":
            fields = document.get("fields")
            if not isinstance(fields, dict):
                raise WireError("malformed record")
            return Record(
                clean(str(document.get("class", "?"))[:200]),
                {clean(str(k)[:100]): self(v, depth + 1) for k, v in list(fields.items())[:100]},
            )
        if kind == "factored":
            return self.factored(document, depth)
        if kind == "object":
            return Opaque(
                clean(str(document.get("class", "?"))[:200]), clean(str(document.get("repr", ""))[:500])
            )
        raise WireError(f"unknown value type {clean(kind[:40])!r}")

    def factored(self, document: dict, depth: int) -> Factored:
        """Two float tensors whose shapes multiply: [..., m, k] @ [..., k, n], leading dims broadcast."""
        A, B = (self(document.get(name), depth + 1) for name in ("A", "B"))
        if not (isinstance(A, Tensor) and isinstance(B, Tensor)):
            raise WireError("malformed factored matrix: its factors are not tensors")
        if not all(x.values.ndim >= 2 and x.values.dtype.kind == "f" for x in (A, B)):
            raise WireError("malformed factored matrix: its factors are not float matrices")
        if A.shape[-1] != B.shape[-2]:
            raise WireError(
                f"malformed factored matrix: factors of shapes {list(A.shape)} and {list(B.shape)}"
            )
        import numpy as np

        try:
            np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
        except ValueError:
            raise WireError("malformed factored matrix: its factors' leading dimensions differ") from None
        return Factored(A.values, B.values, A.dtype, A.device)


def decode(document: Any, arrays: dict) -> Any:
    """A value as the worker encoded it (see `worker.Encoder`) -> plain Python values for the judge:
    JSON scalars, lists, tuples, dicts, `Tensor`, `Factored`, `Record` or `Opaque`. Anything else is
    malformed."""
    return _Decoder(arrays)(document)


def _list(value) -> list:
    if not isinstance(value, list):
        raise WireError("malformed list")
    return value


def _pairs(value) -> list:
    if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
        raise WireError("malformed dict")
    return value


class Channel:
    """Frames over a Unix stream socket, with file descriptors riding along (SCM_RIGHTS).

    Descriptors are attached to the first byte of the frame they belong to, so they arrive in the
    same order as the frames that use them. Only trusted processes (the judge and its templates)
    talk on a channel, so its frames may be as large as a submission's source.
    """

    def __init__(self, sock):
        self.sock = sock
        self.reader = FrameReader(max_json=64 << 20, max_blob=256 << 20)
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


class Arrays(dict):
    """Arrays to store, each distinct one once (the same cache's patterns recur across cases)."""

    def add(self, values) -> str:
        import hashlib

        import numpy as np

        values = np.ascontiguousarray(values)
        key = hashlib.sha1(values.tobytes() + str((values.shape, values.dtype)).encode()).hexdigest()
        self.names = getattr(self, "names", {})
        if key not in self.names:
            self.names[key] = f"t{len(self.names)}"
        return self.names[key]


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
        ref = arrays.add(value.values) if isinstance(arrays, Arrays) else f"t{len(arrays)}"
        arrays[ref] = value.values
        return {"type": value.kind, "ref": ref, "dtype": value.dtype, "device": value.device}
    if isinstance(value, Factored):
        factors = [Tensor(x, value.dtype, value.device) for x in (value.A, value.B)]
        A, B = (encode_decoded(x, arrays) for x in factors)
        return {"type": "factored", "A": A, "B": B}
    if isinstance(value, Record):
        return {
            "type": "record",
            "class": value.cls,
            "fields": {k: encode_decoded(v, arrays) for k, v in value.fields.items()},
        }
    if isinstance(value, Opaque):
        return {"type": "object", "class": value.cls, "repr": value.text}
    raise TypeError(f"cannot encode {type(value).__name__}")


# An outcome's stand_in_calls[name + OWN]: the calls of a stand-in that the student's own function
# answered (a release has no reference code for calls the reference's recording does not cover).
OWN = ":own"
