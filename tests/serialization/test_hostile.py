"""Hostile, truncated and corrupted files: one-line errors with file and offset, nothing worse."""

from __future__ import annotations

import os
import re
import resource

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luatorch.runtime import LuaError
from luatorch.serialization import fileio, loads_python
from luatorch.serialization.reader import TYPE_TABLE, TYPE_TORCH, LuaFunction, TorchObject
from luatorch.serialization.writer import (_Writer, dumps_python, w_class, w_int, w_number,
                                           w_ref, w_string)
from luatorch.tensor import TorchError
from tests.serialization.conftest import FIXTURES, REAL

# every error a hostile file may produce (all one line, naming the file and a byte offset)
OURS = re.compile(r"<string>: (corrupt file at byte \d+: |unknown Torch class <.*> at byte \d+ "
                  r"|refusing to load a serialized Lua function at byte \d+ )")


def _load(rt, data: bytes, fmt: str = "binary") -> str:
    """Deserialize in Lua; the type of what came out (the value stays in Lua)."""
    rt.lua.globals()["__data"] = data
    return rt.execute(f"__y = torch.deserialize(__data, '{fmt}') return torch.type(__y)")


def _expect_clean(rt, data: bytes, fmt: str = "binary", pattern: str = "") -> str:
    with pytest.raises(LuaError) as e:
        _load(rt, data, fmt)
    msg = e.value.message
    assert "\n" not in msg, msg
    assert OURS.search(msg), msg
    if pattern:
        assert re.search(pattern, msg), msg
    return msg


def _writer():
    f = fileio.open_memory(None, "w")
    f.binary = True
    return f


def _storage_record(n_claimed: int, payload: bytes = b"") -> bytes:
    f = _writer()
    w_ref(f, TYPE_TORCH, 1)
    w_class(f, b"V 1", b"torch.FloatStorage")
    f.write_scalar("Long", n_claimed)
    f.write_raw(payload)
    return f.backend.getvalue()


def test_storage_size_1e15(srt):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    msg = _expect_clean(srt, _storage_record(10 ** 15, b"\0" * 20),
                        pattern=r"corrupt file at byte 37: storage size 1e\+15 exceeds "
                                r"remaining 20 bytes")
    assert "<string>" in msg
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 200_000  # kB: nothing near the claimed 4 PB was allocated
    with pytest.raises(TorchError, match="storage size 1e\\+15 exceeds remaining 20 bytes"):
        loads_python(_storage_record(10 ** 15, b"\0" * 20))


def test_negative_and_oversized_counts(srt):
    _expect_clean(srt, _storage_record(-5), pattern="negative storage size")
    # a string claiming 2^31-1 bytes
    f = _writer()
    w_int(f, 2)
    w_int(f, 2 ** 31 - 1)
    f.write_raw(b"abc")
    _expect_clean(srt, f.backend.getvalue(), pattern=r"string length 2\.14748e\+09 exceeds")
    # a table claiming 10^9 entries
    f = _writer()
    w_ref(f, TYPE_TABLE, 1)
    w_int(f, 10 ** 9)
    _expect_clean(srt, f.backend.getvalue(), pattern=r"table size 1e\+09 exceeds")
    # a tensor with 10^9 dimensions
    f = _writer()
    w_ref(f, TYPE_TORCH, 1)
    w_class(f, b"V 1", b"torch.DoubleTensor")
    w_int(f, 10 ** 9)
    _expect_clean(srt, f.backend.getvalue(), pattern="tensor with 1000000000 dimensions")


def _tensor_record(size, stride, offset, storage_n, storage_cls=b"torch.DoubleStorage",
                   storage_ref=2) -> bytes:
    f = _writer()
    w_ref(f, TYPE_TORCH, 1)
    w_class(f, b"V 1", b"torch.DoubleTensor")
    w_int(f, len(size))
    f.write_array("Long", np.array(size, np.int64))
    f.write_array("Long", np.array(stride, np.int64))
    f.write_scalar("Long", offset)
    w_ref(f, TYPE_TORCH, storage_ref)
    if storage_ref == 2:
        w_class(f, b"V 1", storage_cls)
        f.write_scalar("Long", storage_n)
        kind = storage_cls.decode()[6:-7]
        f.write_array(kind, np.zeros(storage_n, fileio.ELEM[kind]))
    return f.backend.getvalue()


def test_tensor_geometry_checks(srt):
    # fine
    _load(srt, _tensor_record([2, 3], [3, 1], 1, 6))
    # sizes far beyond the storage
    _expect_clean(srt, _tensor_record([10 ** 6, 10 ** 6], [10 ** 6, 1], 1, 6),
                  pattern="tensor geometry needs 1000000000000 elements, storage holds 6")
    _expect_clean(srt, _tensor_record([2, 3], [3, 1], 5, 6), pattern="geometry needs 10")
    _expect_clean(srt, _tensor_record([2, 3], [-3, 1], 1, 6), pattern="negative tensor stride")
    _expect_clean(srt, _tensor_record([2, -3], [3, 1], 1, 6), pattern="negative tensor size")
    # a storage of another element type
    _expect_clean(srt, _tensor_record([2], [1], 1, 6, b"torch.FloatStorage"),
                  pattern="refers to a storage of")


def test_reference_loop(srt):
    """A tensor whose storage is a reference to the tensor itself."""
    msg = _expect_clean(srt, _tensor_record([2], [1], 1, 0, storage_ref=1),
                        pattern="the storage of a torch.DoubleTensor is a torch.DoubleTensor")
    assert "at byte 0" in msg
    # legitimate cycles (objects holding themselves) load fine
    f = _writer()
    w_ref(f, TYPE_TABLE, 1)
    w_int(f, 1)
    w_ref(f, TYPE_TABLE, 1)
    w_ref(f, TYPE_TABLE, 1)
    assert _load(srt, f.backend.getvalue()) == "table"
    srt.lua.globals()["__data"] = f.backend.getvalue()
    assert srt.eval("(function() local t = torch.deserialize(__data); return t[t] == t end)()")


def test_deep_nesting_is_bounded(srt):
    def nested(depth: int) -> bytes:
        f = _writer()
        for i in range(depth):
            w_ref(f, TYPE_TABLE, i + 1)
            w_int(f, 1)
            w_number(f, 1)
        w_number(f, 7)
        return f.backend.getvalue()

    srt.lua.globals()["__d"] = nested(900)
    assert srt.eval("(function() local t = torch.deserialize(__d); "
                    "for i = 1, 899 do t = t[1] end return t[1] end)()") == 7
    _expect_clean(srt, nested(5000), pattern="nested deeper than 1000 levels")
    with pytest.raises(TorchError, match="nested deeper than"):
        loads_python(nested(5000))


def test_unknown_type_and_classes(srt):
    f = _writer()
    w_int(f, 99)
    _expect_clean(srt, f.backend.getvalue(), pattern="at byte 0: unknown object type 99")
    msg = _expect_clean(srt, dumps_python([TorchObject("evil.Cl\nass", 1, {})]),
                        pattern=r"unknown Torch class <evil\.Cl\\10ass> at byte 24")
    assert "\n" not in msg
    # files are never created by readObject
    _expect_clean(srt, dumps_python(TorchObject("torch.DiskFile", 1, {"_h": 1})),
                  pattern="unknown Torch class <torch.DiskFile>")


def test_hook_failure_is_reported_with_offset(srt):
    """nn.Linear's read hook given a number instead of its field table."""
    f = _writer()
    w_ref(f, TYPE_TORCH, 1)
    w_class(f, b"V 1", b"nn.Linear")
    w_number(f, 3)
    _expect_clean(srt, f.backend.getvalue(), pattern=r"at byte 0: (cannot read <nn\.Linear>|"
                                                     r"<nn\.Linear> holds a number)")


def test_bad_keys(srt):
    f = _writer()
    w_ref(f, TYPE_TABLE, 1)
    w_int(f, 1)
    w_int(f, 0)        # nil key
    w_number(f, 1)
    _expect_clean(srt, f.backend.getvalue(), pattern="at byte 12: table key is nil")
    f = _writer()
    w_ref(f, TYPE_TABLE, 1)
    w_int(f, 1)
    w_number(f, float("nan"))
    w_string(f, b"v")
    _expect_clean(srt, f.backend.getvalue(), pattern="table key is NaN")


def _prefix_results(srt, data: bytes, fmt: str, step: int = 1):
    ok = []
    for n in range(0, len(data), step):
        try:
            _load(srt, data[:n], fmt)
            ok.append(n)
        except LuaError as e:
            assert "\n" not in e.message and OURS.search(e.message), (n, e.message)
    return ok


@pytest.mark.parametrize("name", ["mixed_table.t7", "mlp_io.t7"])
def test_truncation_at_every_offset_binary(srt, name):
    with open(os.path.join(REAL, name), "rb") as fh:
        data = fh.read()
    # every offset of the small one, every 5th of the larger one
    assert _prefix_results(srt, data, "binary", 1 if len(data) < 2000 else 5) == []
    for n in range(0, len(data), 7):
        with pytest.raises(TorchError, match="corrupt file at byte"):
            loads_python(data[:n])


@pytest.mark.parametrize("name", ["custom_class.t7", "recursive_class.t7", "doubletensor.t7",
                                  "recursive_kv_table.t7"])
def test_truncation_small_fixtures(srt, name):
    srt.execute("if not torch.getmetatable('Blah') then torch.class('Blah') end "
                "if not torch.getmetatable('A') then torch.class('A') end")
    with open(os.path.join(FIXTURES, name), "rb") as fh:
        data = fh.read()
    assert _prefix_results(srt, data, "binary") == []


def test_truncation_ascii(srt):
    """ascii has no framing: a cut inside a number that leaves a valid shorter number, at the
    very end of the object, can go unseen; every other cut is a clean error."""
    with open(os.path.join(REAL, "mixed_table_ascii.t7"), "rb") as fh:
        data = fh.read()
    ok = _prefix_results(srt, data, "ascii")
    digits = b"0123456789"
    for n in ok:
        assert n == len(data) - 1 or (data[n - 1] in digits and data[n] in digits), n
    assert len(ok) < 5


# ------------------------------------------------------------------------------------------------
# Property test: mutated fixtures only ever produce clean, documented errors
# ------------------------------------------------------------------------------------------------
def _seed_files() -> list:
    out = []
    for d, names in ((REAL, ["mixed_table.t7", "mlp_io.t7", "mixed_table_ascii.t7",
                             "mlp_io_ascii.t7"]),
                     (FIXTURES, ["custom_class.t7", "recursive_class.t7", "doubletensor.t7",
                                 "map_table2.t7", "recursive_kv_table.t7"])):
        for n in names:
            with open(os.path.join(d, n), "rb") as fh:
                out.append((fh.read(), "ascii" if "ascii" in n else "binary"))
    # a small model (read hooks run) and a file holding a function (refused)
    lin = TorchObject("nn.Linear", 1, {"weight": np.ones((2, 3)), "bias": np.zeros(2),
                                       "output": np.zeros(0), "_type": "torch.DoubleTensor"})
    seq = TorchObject("nn.Sequential", 1, {"modules": [lin, TorchObject("nn.ReLU", 1, {})],
                                           "output": np.zeros(2)})
    out.append((dumps_python({"model": seq, "note": "x"}), "binary"))
    out.append((dumps_python({"f": LuaFunction(b"\x1bLJ\x02junk", {1: "up"})}), "binary"))
    return out


SEEDS = _seed_files()
INTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2 ** 31, 2 ** 31 - 1, 10 ** 9, 255, 256, 65536]


@st.composite
def mutated(draw):
    data, fmt = draw(st.sampled_from(SEEDS))
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "int", "cut", "delete", "dup", "insert", "byte"]))
        if not buf:
            break
        i = draw(st.integers(0, len(buf) - 1))
        if op == "flip":
            buf[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte":
            buf[i] = draw(st.integers(0, 255))
        elif op == "int":
            v = draw(st.sampled_from(INTS))
            if fmt == "ascii":
                buf[i:i + 1] = str(v).encode()
            else:
                buf[i:i + 4] = int(v & 0xFFFFFFFF).to_bytes(4, "little")
        elif op == "cut":
            del buf[i:]
        elif op == "delete":
            del buf[i:i + draw(st.integers(1, 16))]
        elif op == "dup":
            j = min(len(buf), i + draw(st.integers(1, 32)))
            buf[j:j] = buf[i:j]
        else:
            buf[i:i] = bytes(draw(st.lists(st.integers(0, 255), min_size=1, max_size=8)))
    return bytes(buf), fmt


@settings(max_examples=1500, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_fuzz_lua_loader(srt, case):
    data, fmt = case
    srt.execute("if not torch.getmetatable('Blah') then torch.class('Blah') end "
                "if not torch.getmetatable('A') then torch.class('A') end")
    try:
        _load(srt, data, fmt)
    except LuaError as e:
        msg = e.message
        assert "\n" not in msg, msg
        assert OURS.search(msg), msg


@settings(max_examples=1500, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_fuzz_python_reader(case):
    data, fmt = case
    try:
        loads_python(data, fmt)
    except TorchError as e:
        msg = str(e)
        assert "\n" not in msg and re.match(r"<string>: corrupt file at byte \d+: ", msg), msg


@pytest.mark.parametrize("bad", [b"1_0", b"1e", b"0x10", b"nan(7)", b"--1", b"1.5.5", b"\xff"])
def test_ascii_bulk_numbers_fall_back_exactly(srt, bad):
    """Odd tokens inside a long ascii storage: read exactly as fscanf would, or a clean error."""
    vals = [str(float(i)).encode() for i in range(200)]
    vals[100] = bad
    body = b" ".join(vals) + b"\n"
    data = b"4\n1\n3\nV 1\n19\ntorch.DoubleStorage\n200\n" + body
    try:
        t = _load(srt, data, "ascii")
    except LuaError as e:
        assert "\n" not in e.message and OURS.search(e.message), e.message
        return
    assert t == "torch.DoubleStorage"
    assert srt.eval("__y[100]") == 99.0 and srt.eval("__y[1]") == 0.0


def test_wrong_format_is_a_clean_error(srt):
    with open(os.path.join(REAL, "mixed_table.t7"), "rb") as fh:
        _expect_clean(srt, fh.read(), "ascii")
    with open(os.path.join(REAL, "mixed_table_ascii.t7"), "rb") as fh:
        _expect_clean(srt, fh.read(), "binary")


def test_python_writer_rejects_unknown_values():
    with pytest.raises(TorchError, match="cannot serialize a Python set"):
        dumps_python({1, 2})
    with pytest.raises(TorchError, match="dtype complex128"):
        dumps_python(np.zeros(2, complex))


def test_writer_index_counter():
    """The reference indices written by the pure-Python writer follow Torch7's numbering."""
    a = np.zeros(2)
    w = _writer()
    _Writer(w).write([a, a])
    x = loads_python(w.backend.getvalue())
    assert x[1.0] is x[2.0]


def test_write_depth_bound(srt):
    """What torch.save writes, torch.load reads: nesting past the bound fails when writing."""
    with pytest.raises(LuaError, match="cannot write objects nested deeper than 1000 levels"):
        srt.execute("local t = {} local c = t for i = 1, 5000 do c.n = {} c = c.n end "
                    "torch.serialize(t)")
    assert srt.eval("torch.type(torch.deserialize(torch.serialize((function() local t = {} "
                    "local c = t for i = 1, 990 do c.n = {} c = c.n end return t end)())))"
                    ) == "table"
