"""The result channel between a sandboxed worker and the grader: length-prefixed frames, never pickle.

The worker (the process that imports a student's code) sends raw numbers to
the grader over a pipe whose write end the sandbox passes to it; the grader
computes every verdict itself. This module is both sides of that pipe.

Wire format
===========
A stream is a sequence of frames. One frame is::

    b"GADF"                      4 bytes, magic
    header_length                4 bytes, unsigned big-endian
    payload_length               8 bytes, unsigned big-endian
    header                       header_length bytes of UTF-8 JSON (an object)
    payload                      payload_length bytes: the arrays' raw bytes, one after another

The header is ``{"v": 1, "kind": str, "data": <any JSON value>, "arrays":
[{"name": str, "dtype": str, "shape": [int, ...]}, ...]}``. Each array's bytes
are C-ordered and little-endian; its length is ``prod(shape) * itemsize`` and the
lengths add up to ``payload_length``. Only the dtypes of :data:`DTYPES` travel
(booleans, integers, floats and complex numbers: no object, string or
structured arrays), so decoding never runs code.

The reader trusts nothing: a bad magic, an oversized header or payload, JSON
that is not an object, an unknown dtype, a shape that does not match the
payload, a duplicated array name... ends the stream there. The frames read
before it are kept, the rest counts as *no data* and
:attr:`DecodedStream.error` says why. A stream that stops in the middle of a
frame (the worker was killed while writing) keeps its complete frames and sets
:attr:`DecodedStream.truncated`.

Worker side
===========
The sandbox puts the descriptor number in the environment variable
:data:`RESULT_FD_ENV`. Call :func:`open_channel` **before** importing any
student code: it moves the descriptor to a high number, closes the original
and removes the variable, so that casual code (``os.close(3)``, a subprocess)
does not stumble on it. It cannot stop a hostile submission running in the same
process from writing frames too; that is why the worker sends raw numbers and
the grader decides (a forged number can at worst fail the forger's own op).

Examples
--------
>>> import numpy as np
>>> blob = encode_frame("op", {"name": "Sum"}, {"grad": np.ones(3)})
>>> stream = decode_stream(blob)
>>> stream.frames[0].kind, stream.frames[0].data, stream.frames[0].arrays["grad"].tolist()
('op', {'name': 'Sum'}, [1.0, 1.0, 1.0])
>>> decode_stream(blob[:-5]).truncated
True
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "DTYPES",
    "MAGIC",
    "RESULT_FD_ENV",
    "VERSION",
    "Channel",
    "DecodedStream",
    "Frame",
    "FrameLimits",
    "ProtocolError",
    "decode_stream",
    "encode_frame",
    "open_channel",
]

#: First four bytes of every frame.
MAGIC = b"GADF"
#: Value of the header's ``"v"`` field.
VERSION = 1
#: Environment variable holding the result descriptor's number inside the sandbox.
RESULT_FD_ENV = "GAD_RESULT_FD"
#: The dtypes (``numpy.dtype.str``) an array may have on the wire.
DTYPES = frozenset({"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"})

_PREFIX = struct.Struct(">4sIQ")


class ProtocolError(ValueError):
    """A frame that cannot be encoded (wrong dtype, bad name, too large, data that is not JSON)."""


@dataclass(frozen=True)
class FrameLimits:
    """Upper bounds the reader enforces on every frame.

    Parameters
    ----------
    max_header_bytes
        Largest JSON header.
    max_payload_bytes
        Largest payload (all arrays of one frame together).
    max_arrays
        Most arrays in one frame.
    max_ndim
        Most dimensions of one array.
    max_name_length
        Longest array name or frame kind (characters).
    max_frames
        Most frames in one stream; the rest is dropped with an error.
    """

    max_header_bytes: int = 1 << 20
    max_payload_bytes: int = 64 << 20
    max_arrays: int = 256
    max_ndim: int = 8
    max_name_length: int = 200
    max_frames: int = 10_000


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    kind
        What the frame carries, chosen by the worker (``"op"``, ``"done"``...).
    data
        The header's JSON value (``None`` when the worker sent none).
    arrays
        Arrays by name, in the order sent. They are read-only views of the received bytes.
    """

    kind: str
    data: Any = None
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class DecodedStream:
    """What :func:`decode_stream` could read.

    Attributes
    ----------
    frames
        The valid frames, in order, up to the first problem.
    error
        Why the reader stopped early (``None`` when the whole stream was valid).
    truncated
        The stream ended inside a frame (the worker stopped while writing).
    """

    frames: tuple[Frame, ...]
    error: str | None = None
    truncated: bool = False


# -- encoding (worker side) ------------------------------------------------------------------------
def encode_frame(
    kind: str,
    data: Any = None,
    arrays: Mapping[str, Any] | None = None,
    *,
    limits: FrameLimits | None = None,
) -> bytes:
    """Encode one frame.

    Parameters
    ----------
    kind
        A short label (at most ``limits.max_name_length`` characters).
    data
        Any JSON-serialisable value; NumPy scalars are converted, NaN and
        infinities are allowed.
    arrays
        Name to array-like; each is converted with :func:`numpy.asarray` and must
        have one of the :data:`DTYPES` (big-endian input is converted).
    limits
        The limits the reader will apply (default :class:`FrameLimits`);
        exceeding them raises here rather than being dropped there.

    Returns
    -------
    bytes
        The frame, ready to write.

    Raises
    ------
    ProtocolError
        Unsupported dtype, bad name, data that JSON cannot hold, or a frame over the limits.
    """
    limits = limits or FrameLimits()
    _check_name(kind, "kind", limits)
    specs, chunks = [], []
    for name, value in (arrays or {}).items():
        _check_name(name, "array name", limits)
        array = np.asarray(value)
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        if array.dtype.str not in DTYPES:
            raise ProtocolError(f"array {name!r} has dtype {array.dtype}, which cannot be sent (see DTYPES)")
        if array.ndim > limits.max_ndim:
            raise ProtocolError(f"array {name!r} has {array.ndim} dimensions, more than {limits.max_ndim}")
        specs.append({"name": name, "dtype": array.dtype.str, "shape": list(array.shape)})
        chunks.append(np.ascontiguousarray(array).tobytes())
    if len(specs) > limits.max_arrays:
        raise ProtocolError(f"{len(specs)} arrays in one frame, more than {limits.max_arrays}")
    try:
        header = json.dumps(
            {"v": VERSION, "kind": kind, "data": data, "arrays": specs}, default=_json_default, separators=(",", ":")
        ).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise ProtocolError(f"data cannot be sent as JSON: {error}") from error
    payload = b"".join(chunks)
    if len(header) > limits.max_header_bytes:
        raise ProtocolError(f"header of {len(header)} bytes, more than {limits.max_header_bytes}")
    if len(payload) > limits.max_payload_bytes:
        raise ProtocolError(f"payload of {len(payload)} bytes, more than {limits.max_payload_bytes}")
    return _PREFIX.pack(MAGIC, len(header), len(payload)) + header + payload


def _check_name(name: Any, what: str, limits: FrameLimits) -> None:
    if not isinstance(name, str) or not name or len(name) > limits.max_name_length:
        raise ProtocolError(f"{what} must be a non-empty string of at most {limits.max_name_length} characters")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Channel:
    """The worker's end of the result pipe.

    Parameters
    ----------
    fd
        A descriptor open for writing (owned by the channel from now on).
    limits
        Checked before sending, see :func:`encode_frame`.
    """

    def __init__(self, fd: int, *, limits: FrameLimits | None = None) -> None:
        self.fd = fd
        self.limits = limits or FrameLimits()

    def send(self, kind: str, data: Any = None, arrays: Mapping[str, Any] | None = None) -> None:
        """Encode and write one frame completely (partial writes are resumed).

        Raises
        ------
        ProtocolError
            The frame cannot be encoded.
        BrokenPipeError
            The grader closed its end.
        """
        view = memoryview(encode_frame(kind, data, arrays, limits=self.limits))
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def close(self) -> None:
        """Close the descriptor (the grader then sees the end of the stream)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Channel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_channel(environ: dict[str, str] | None = None, *, high_fd: int = 200) -> Channel | None:
    """Open the result channel the sandbox passed to this process.

    Reads :data:`RESULT_FD_ENV`, duplicates the descriptor to ``high_fd`` or above
    (out of the way of code that closes or reuses small numbers), closes the
    original and deletes the variable from ``environ``.

    Parameters
    ----------
    environ
        The environment to read and clean (default :data:`os.environ`).
    high_fd
        Lowest descriptor number to move the channel to.

    Returns
    -------
    Channel or None
        ``None`` when the variable is missing or does not name an open descriptor.
    """
    environ = os.environ if environ is None else environ
    value = environ.pop(RESULT_FD_ENV, None)
    if value is None or not value.isdigit():
        return None
    fd = int(value)
    try:
        moved = _dup_high(fd, high_fd)
    except OSError:
        return None
    os.close(fd)
    return Channel(moved)


def _dup_high(fd: int, low: int) -> int:
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low)


# -- decoding (grader side) ------------------------------------------------------------------------
def decode_stream(data: bytes | bytearray | memoryview, *, limits: FrameLimits | None = None) -> DecodedStream:
    """Decode every frame of ``data``, stopping at the first invalid one.

    Parameters
    ----------
    data
        The bytes read from the pipe (already capped by the reader).
    limits
        Bounds on each frame (default :class:`FrameLimits`).

    Returns
    -------
    DecodedStream
        The valid frames and, when the stream was cut or malformed, why.
    """
    limits = limits or FrameLimits()
    buffer = bytes(data)
    frames: list[Frame] = []
    offset = 0
    while offset < len(buffer):
        if len(frames) >= limits.max_frames:
            return DecodedStream(tuple(frames), f"more than {limits.max_frames} frames")
        if len(buffer) - offset < _PREFIX.size:
            return DecodedStream(tuple(frames), "the stream ends inside a frame", truncated=True)
        magic, header_length, payload_length = _PREFIX.unpack_from(buffer, offset)
        if magic != MAGIC:
            return DecodedStream(tuple(frames), f"frame {len(frames) + 1}: bad magic bytes")
        if header_length > limits.max_header_bytes or payload_length > limits.max_payload_bytes:
            return DecodedStream(tuple(frames), f"frame {len(frames) + 1}: header or payload over the limits")
        start = offset + _PREFIX.size
        end = start + header_length + payload_length
        if end > len(buffer):
            return DecodedStream(tuple(frames), "the stream ends inside a frame", truncated=True)
        try:
            frame = _decode_frame(buffer, start, header_length, payload_length, limits)
        except _Malformed as error:
            return DecodedStream(tuple(frames), f"frame {len(frames) + 1}: {error}")
        frames.append(frame)
        offset = end
    return DecodedStream(tuple(frames))


class _Malformed(Exception):
    pass


def _decode_frame(buffer: bytes, start: int, header_length: int, payload_length: int, limits: FrameLimits) -> Frame:
    try:
        header = json.loads(buffer[start : start + header_length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise _Malformed(f"header is not JSON ({type(error).__name__})") from None
    if not isinstance(header, dict) or header.get("v") != VERSION:
        raise _Malformed("header is not a version-1 object")
    kind, specs = header.get("kind"), header.get("arrays", [])
    if not isinstance(kind, str) or not kind or len(kind) > limits.max_name_length:
        raise _Malformed("missing or invalid kind")
    if not isinstance(specs, list) or len(specs) > limits.max_arrays:
        raise _Malformed("invalid list of arrays")
    arrays: dict[str, np.ndarray] = {}
    position = start + header_length
    for spec in specs:
        name, dtype, shape, size = _array_spec(spec, limits)
        if name in arrays:
            raise _Malformed(f"array {name!r} sent twice")
        if size > start + header_length + payload_length - position:
            raise _Malformed(f"array {name!r} is longer than the payload")
        array = np.frombuffer(buffer, dtype=dtype, count=size // dtype.itemsize, offset=position).reshape(shape)
        arrays[name] = array
        position += size
    if position != start + header_length + payload_length:
        raise _Malformed("payload length does not match the arrays")
    return Frame(kind=kind, data=header.get("data"), arrays=arrays)


def _array_spec(spec: Any, limits: FrameLimits) -> tuple[str, np.dtype, tuple[int, ...], int]:
    if not isinstance(spec, dict):
        raise _Malformed("array description is not an object")
    name, dtype_str, shape = spec.get("name"), spec.get("dtype"), spec.get("shape")
    if not isinstance(name, str) or not name or len(name) > limits.max_name_length:
        raise _Malformed("invalid array name")
    if dtype_str not in DTYPES:
        raise _Malformed(f"array {name!r}: dtype {str(dtype_str)[:20]!r} not allowed")
    if (
        not isinstance(shape, list)
        or len(shape) > limits.max_ndim
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise _Malformed(f"array {name!r}: invalid shape")
    dtype = np.dtype(dtype_str)
    count = math.prod(shape)
    if count * dtype.itemsize > limits.max_payload_bytes:
        raise _Malformed(f"array {name!r}: too large")
    return name, dtype, tuple(shape), count * dtype.itemsize
