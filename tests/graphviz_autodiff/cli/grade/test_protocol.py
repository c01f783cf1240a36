"""The result channel's framing: round trips, and a reader that survives anything."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

from graphviz_autodiff.cli.grade.protocol import (
    MAGIC,
    RESULT_FD_ENV,
    FrameLimits,
    ProtocolError,
    decode_stream,
    encode_frame,
    open_channel,
)


def _raw_frame(header: object, payload: bytes = b"", *, header_bytes: bytes | None = None) -> bytes:
    body = header_bytes if header_bytes is not None else json.dumps(header).encode()
    return struct.pack(">4sIQ", MAGIC, len(body), len(payload)) + body + payload


class TestRoundTrip:
    def test_arrays_of_every_allowed_kind(self):
        arrays = {
            "f8": np.arange(6.0).reshape(2, 3),
            "f4": np.float32([1.5, -2.5]),
            "i8": np.array([[1, -2]], dtype=np.int64),
            "u1": np.array([255], dtype=np.uint8),
            "b": np.array([True, False]),
            "c": np.array([1 + 2j]),
            "scalar": np.float64(3.25),
            "empty": np.zeros((0, 4)),
            "nan": np.array([np.nan, np.inf, -np.inf]),
        }
        (frame,) = decode_stream(encode_frame("op", {"name": "Sum", "rel": float("nan")}, arrays)).frames
        assert frame.kind == "op"
        assert frame.data["name"] == "Sum" and np.isnan(frame.data["rel"])
        assert list(frame.arrays) == list(arrays)
        for name, value in arrays.items():
            got = frame.arrays[name]
            assert got.dtype == np.asarray(value).dtype and got.shape == np.shape(value)
            np.testing.assert_array_equal(got, value)
        assert not frame.arrays["f8"].flags.writeable

    def test_big_endian_and_non_contiguous_arrays_arrive_as_values(self):
        big = np.arange(4, dtype=">f8")
        strided = np.arange(12.0).reshape(3, 4).T
        (frame,) = decode_stream(encode_frame("x", arrays={"big": big, "strided": strided})).frames
        np.testing.assert_array_equal(frame.arrays["big"], big)
        np.testing.assert_array_equal(frame.arrays["strided"], strided)

    def test_several_frames_in_order_and_numpy_scalars_in_data(self):
        blob = b"".join(encode_frame(f"k{i}", {"i": np.int64(i), "v": np.arange(2)}) for i in range(5))
        stream = decode_stream(blob)
        assert stream.error is None and not stream.truncated
        assert [f.kind for f in stream.frames] == [f"k{i}" for i in range(5)]
        assert stream.frames[3].data == {"i": 3, "v": [0, 1]}


class TestEncoderRefuses:
    @pytest.mark.parametrize(
        "value",
        [np.array(["text"]), np.array([object()], dtype=object), np.zeros(2, dtype="M8[s]"), np.zeros(1, "i4,f8")],
    )
    def test_dtypes_outside_the_whitelist(self, value):
        with pytest.raises(ProtocolError, match="dtype"):
            encode_frame("x", arrays={"a": value})

    def test_data_that_is_not_json(self):
        with pytest.raises(ProtocolError, match="JSON"):
            encode_frame("x", {"f": object()})

    def test_bad_kind_and_limits(self):
        with pytest.raises(ProtocolError):
            encode_frame("")
        with pytest.raises(ProtocolError, match="payload"):
            encode_frame("x", arrays={"a": np.zeros(100)}, limits=FrameLimits(max_payload_bytes=10))


class TestReaderSurvives:
    def test_truncated_stream_keeps_complete_frames(self):
        good = encode_frame("a", 1)
        second = encode_frame("b", arrays={"x": np.ones(100)})
        for cut in (1, 10, len(second) - 1):
            stream = decode_stream(good + second[:cut])
            assert [f.kind for f in stream.frames] == ["a"]
            assert stream.truncated and stream.error

    def test_garbage_after_a_frame(self):
        stream = decode_stream(encode_frame("a") + b"\xff" * 40)
        assert [f.kind for f in stream.frames] == ["a"] and "magic" in stream.error

    @pytest.mark.parametrize(
        "header",
        [
            [1, 2],
            {"v": 2, "kind": "x", "arrays": []},
            {"v": 1, "kind": "", "arrays": []},
            {"v": 1, "kind": "x", "arrays": "no"},
            {"v": 1, "kind": "x", "arrays": [{"name": "a", "dtype": "|O", "shape": [1]}]},
            {"v": 1, "kind": "x", "arrays": [{"name": "a", "dtype": "<f8", "shape": [-1]}]},
            {"v": 1, "kind": "x", "arrays": [{"name": "a", "dtype": "<f8", "shape": [True]}]},
            {"v": 1, "kind": "x", "arrays": [{"name": "a", "dtype": "<f8", "shape": [10**12]}]},
            {"v": 1, "kind": "x", "arrays": [{"name": "a", "dtype": "<f8", "shape": [2]}]},
        ],
    )
    def test_malformed_headers_are_no_data(self, header):
        stream = decode_stream(encode_frame("ok") + _raw_frame(header, b"\0" * 8) + encode_frame("after"))
        assert [f.kind for f in stream.frames] == ["ok"]
        assert stream.error.startswith("frame 2")

    def test_duplicate_array_names_and_payload_mismatch(self):
        spec = {"name": "a", "dtype": "<f8", "shape": [1]}
        twice = _raw_frame({"v": 1, "kind": "x", "arrays": [spec, spec]}, b"\0" * 16)
        assert "twice" in decode_stream(twice).error
        extra = _raw_frame({"v": 1, "kind": "x", "arrays": [spec]}, b"\0" * 9)
        assert "payload" in decode_stream(extra).error

    def test_invalid_utf8_json_and_deep_nesting(self):
        assert decode_stream(_raw_frame(None, header_bytes=b"\xff\xfe{")).frames == ()
        deep = b"[" * 100_000 + b"]" * 100_000
        assert "JSON" in decode_stream(_raw_frame(None, header_bytes=deep)).error

    def test_oversized_lengths_are_rejected_before_reading(self):
        prefix = struct.pack(">4sIQ", MAGIC, 10, 1 << 60)
        stream = decode_stream(prefix + b"{}")
        assert stream.frames == () and "limits" in stream.error

    def test_frame_count_limit(self):
        stream = decode_stream(encode_frame("a") * 5, limits=FrameLimits(max_frames=3))
        assert len(stream.frames) == 3 and "more than 3" in stream.error


class TestChannel:
    def test_open_channel_moves_the_descriptor_and_cleans_the_environment(self):
        read, write = os.pipe()
        env = {RESULT_FD_ENV: str(write), "OTHER": "1"}
        channel = open_channel(env)
        try:
            assert channel is not None and channel.fd >= 200
            assert RESULT_FD_ENV not in env and env["OTHER"] == "1"
            with pytest.raises(OSError):
                os.fstat(write)
            channel.send("hello", {"n": 1}, {"x": np.arange(3)})
        finally:
            channel.close()
        data = b""
        while chunk := os.read(read, 65536):
            data += chunk
        os.close(read)
        (frame,) = decode_stream(data).frames
        assert frame.kind == "hello" and frame.arrays["x"].tolist() == [0, 1, 2]

    def test_no_channel_without_a_valid_variable(self):
        assert open_channel({}) is None
        assert open_channel({RESULT_FD_ENV: "abc"}) is None
        assert open_channel({RESULT_FD_ENV: "987654"}) is None
