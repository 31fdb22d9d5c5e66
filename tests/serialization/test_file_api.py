"""torch.DiskFile / torch.MemoryFile methods, formats, and Torch7's class mappings on load."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError
from luatorch.serialization import fileio
from luatorch.serialization.reader import TYPE_TORCH, TorchObject
from luatorch.serialization.writer import _Writer, dumps_python, w_class, w_ref
from tests.serialization.conftest import lua_bytes


def test_ascii_text_format(srt, tmp_path):
    """Torch7's ascii layout: a space between elements of one write, a newline after it."""
    p = str(tmp_path / "a.txt")
    srt.execute(f"""
      local f = torch.DiskFile('{p}', 'w')
      f:writeInt(42)
      f:writeDouble(0.1)
      f:writeFloat(0.1)
      f:writeLong(torch.LongStorage({{1, -2, 3}}))
      f:writeChar(torch.CharStorage():string('hi'))
      f:writeString('raw')
      f:writeBool(true)
      f:noAutoSpacing()
      f:writeInt(torch.IntStorage({{1, 2}}))
      f:close()""")
    with open(p, "rb") as fh:
        assert fh.read() == b"42\n0.10000000000000001\n0.100000001\n1 -2 3\nhi\nraw1\n12"


def test_typed_reads_and_writes(srt, tmp_path):
    for fmt in ("binary", "ascii"):
        p = str(tmp_path / f"t_{fmt}")
        srt.execute(f"""
          local f = torch.DiskFile('{p}', 'w'):{fmt}()
          f:writeByte(200); f:writeChar(-5); f:writeShort(-300); f:writeInt(70000)
          f:writeLong(2^40); f:writeFloat(1.5); f:writeDouble(-2.25); f:writeBool(false)
          f:writeDouble(torch.DoubleStorage({{1, 2, 3}}))
          f:writeString('line one\\nline two\\nrest')
          f:close()
          f = torch.DiskFile('{p}', 'r'):{fmt}()
          __v = {{f:readByte(), f:readChar(), f:readShort(), f:readInt(), f:readLong(),
                 f:readFloat(), f:readDouble(), f:readBool()}}
          __s = f:readDouble(3)
          __l1 = f:readString('*l')
          __l2 = f:readString('*l')
          __rest = f:readString('*a')
          f:close()""")
        v = srt.eval("__v")
        assert [v[i] for i in range(1, 9)] == [200, -5, -300, 70000, 2 ** 40, 1.5, -2.25, False]
        assert srt.eval("torch.type(__s) == 'torch.DoubleStorage' and __s[3] == 3") is True
        assert srt.eval("__l1") == "line one" and srt.eval("__l2") == "line two"
        assert srt.eval("__rest") == "rest"


def test_read_into_storage_and_counts(srt):
    srt.execute("""
      local f = torch.MemoryFile():binary()
      __n = f:writeInt(torch.IntStorage({5, 6, 7}))
      f:seek(1)
      __st = torch.IntStorage(2)
      __k = f:readInt(__st)
      __pos = f:position()""")
    assert srt.eval("__n") == 3 and srt.eval("__k") == 2
    assert srt.eval("__st[2]") == 6 and srt.eval("__pos") == 9


def test_quiet_has_error_clear_error(srt):
    srt.execute("""
      local f = torch.MemoryFile():binary()
      f:writeInt(1)
      f:seek(1)
      f:quiet()
      __a = f:readInt()
      __b = f:readInt()
      __e = f:hasError()
      f:clearError()
      __e2 = f:hasError()
      __q = f:isQuiet()
      __st = f:readDouble(10)""")
    assert srt.eval("__a") == 1 and srt.eval("__e") is True and srt.eval("__e2") is False
    assert srt.eval("__q") is True and srt.eval("__st:size()") == 0
    with pytest.raises(LuaError, match=r"MemoryFile: read error at byte 4: read 0 blocks "
                                       r"instead of 1"):
        srt.execute("local f = torch.MemoryFile():binary(); f:writeInt(1); f:seek(1); "
                    "f:readInt(); f:readInt()")


def test_seek_position_seekend_and_modes(srt, tmp_path):
    p = str(tmp_path / "s.bin")
    srt.execute(f"""
      local f = torch.DiskFile('{p}', 'w'):binary()
      f:writeInt(torch.IntStorage({{10, 20, 30}}))
      f:close()
      f = torch.DiskFile('{p}', 'rw'):binary()
      f:seek(5)
      __x = f:readInt()
      f:seekEnd()
      __end = f:position()
      f:writeInt(40)
      f:seek(1)
      f:writeInt(11)
      f:seek(1)
      __all = f:readInt(4)
      __str = tostring(f)
      __rd, __wr, __bin = f:isReadable(), f:isWritable(), f:isBinary()
      f:close()
      __closed = tostring(f)""")
    assert srt.eval("__x") == 20 and srt.eval("__end") == 13
    assert [srt.eval(f"__all[{i}]") for i in range(1, 5)] == [11, 20, 30, 40]
    assert srt.eval("__str") == f"torch.DiskFile on <{p}> [status: open -- mode rw]"
    assert srt.eval("__closed") == f"torch.DiskFile on <{p}> [status: closed -- mode rw]"
    assert srt.eval("__rd and __wr and __bin") is True
    with pytest.raises(LuaError, match="attempt to use a closed file"):
        srt.execute(f"local f = torch.DiskFile('{p}'); f:close(); f:readInt()")
    with pytest.raises(LuaError, match="attempt to write in a read-only file"):
        srt.execute(f"torch.DiskFile('{p}', 'r'):writeInt(1)")
    with pytest.raises(LuaError, match="attempt to read in a write-only file"):
        srt.execute(f"torch.DiskFile('{p}.2', 'w'):readInt()")


def test_disk_file_open_errors(srt, tmp_path):
    missing = str(tmp_path / "nope" / "x")
    assert srt.eval(f"torch.DiskFile('{missing}', 'r', true) == nil") is True
    with pytest.raises(LuaError, match=r"cannot open <.*nope/x> in mode r"):
        srt.execute(f"torch.DiskFile('{missing}', 'r')")
    with pytest.raises(LuaError, match=r"file mode should be 'r','w' or 'rw'"):
        srt.execute(f"torch.DiskFile('{missing}', 'x')")


def test_memory_file_storage(srt):
    srt.execute("""
      local f = torch.MemoryFile()
      f:writeString('abc')
      __st = f:storage()
      __m = torch.MemoryFile(__st, 'r')
      __txt = __m:readString('*a')
      __mode = tostring(torch.MemoryFile('w'))""")
    assert srt.eval("__st:size()") == 4 and srt.eval("__st[4]") == 0
    assert srt.eval("__txt") == "abc"
    assert srt.eval("__mode") == "torch.MemoryFile [status: open -- mode:  w]"
    with pytest.raises(LuaError, match="terminated by 0"):
        srt.execute("torch.MemoryFile(torch.CharStorage():string('ab'))")


def test_memory_file_growth(srt):
    # a memory file's own buffer grows by at least 1 KB (a thread job's few hundred bytes took
    # ~15 reallocations from one byte); a storage the caller gave grows only as far as needed,
    # since the caller sees its size; storage() trims both to the contents and their NUL
    srt.execute("""
      local f = torch.MemoryFile()
      f:binary()
      f:writeInt(7)
      __own = f:storage():size()
      __given = torch.CharStorage(1):fill(0)
      local g = torch.MemoryFile(__given, 'w')
      g:binary()
      g:writeInt(7)
      __gsize = __given:size()""")
    assert srt.eval("__own") == 5
    assert 5 <= srt.eval("__gsize") < 64


def test_scalar_reads_of_a_memory_file_match_numpy():
    f = fileio.open_memory(None, "rw")
    f.binary = True
    for v in (0, -1, 2**31 - 1, -(2**31)):
        f.write_scalar("Int", v)
    for v in (0.0, -2.5, float("inf"), 1e-310):
        f.write_scalar("Double", v)
    f.seek(0)
    ints = [f.read_binary_scalar("Int") for _ in range(4)]
    dbls = [f.read_binary_scalar("Double") for _ in range(4)]
    assert ints == [0, -1, 2**31 - 1, -(2**31)] and all(type(v) is int for v in ints)
    assert dbls == [0.0, -2.5, float("inf"), 1e-310] and all(type(v) is float for v in dbls)
    f.write_scalar("Double", float("nan"))
    f.seek(f.pos() - 8)
    nan = f.read_binary_scalar("Double")
    assert nan != nan


def test_serialize_to_storage(srt):
    srt.execute("__st = torch.serializeToStorage({1, 2}); "
                "__y = torch.deserializeFromStorage(__st)")
    assert srt.eval("__y[2]") == 2


def test_endianness(srt, tmp_path):
    p = str(tmp_path / "be")
    srt.execute(f"""
      local f = torch.DiskFile('{p}', 'w'):binary():bigEndianEncoding()
      f:writeInt(1); f:writeDouble(2.5)
      f:close()
      f = torch.DiskFile('{p}', 'r'):binary():bigEndianEncoding()
      __a, __b = f:readInt(), f:readDouble()""")
    with open(p, "rb") as fh:
        assert fh.read(4) == b"\x00\x00\x00\x01"
    assert srt.eval("__a") == 1 and srt.eval("__b") == 2.5
    assert srt.eval("torch.DiskFile.isLittleEndianCPU()") is (np.little_endian is True)


def test_format_autodetect(srt, tmp_path):
    p = str(tmp_path / "asc.t7")
    srt.execute(f"torch.save('{p}', {{7, 'x'}}, 'ascii')")
    assert srt.eval(f"torch.load('{p}')[1]") == 7


# ------------------------------------------------------------------------------------------------
# longSize 4 (files from Windows Torch7)
# ------------------------------------------------------------------------------------------------
def _long4_bytes(obj) -> bytes:
    f = fileio.open_memory(None, "rw")
    f.binary = True
    f.binary = True
    f.long_size = 4
    _Writer(f).write(obj)
    return f.backend.getvalue()


def test_long_size_4(srt, tmp_path):
    arr = np.arange(-3, 9, dtype=np.int64).reshape(3, 4)
    data = _long4_bytes({"t": arr, "x": 1.5})
    assert data != dumps_python({"t": arr, "x": 1.5})
    p = str(tmp_path / "win.t7")
    with open(p, "wb") as fh:
        fh.write(data)
    srt.execute(f"__y = torch.load('{p}', 'binary', {{longSize = 4}})")
    assert srt.eval("torch.type(__y.t)") == "torch.LongTensor"
    assert srt.eval("__y.t[3][4]") == 8 and srt.eval("__y.t[1][1]") == -3
    assert srt.eval("__y.x") == 1.5
    srt.execute(f"local f = torch.DiskFile('{p}'):binary():longSize(4); __z = f:readObject()")
    assert srt.eval("__z.t:sum()") == int(arr.sum())
    # read with the wrong long size: a clean error, never a huge allocation
    with pytest.raises(LuaError, match=r"win\.t7: corrupt file at byte \d+"):
        srt.execute(f"torch.load('{p}', 'binary')")
    # and written back with 4-byte longs
    q = str(tmp_path / "win2.t7")
    srt.execute(f"local f = torch.DiskFile('{q}', 'w'):binary():longSize(4); "
                "f:writeObject(__y); f:close()")
    with open(q, "rb") as fh:
        assert fh.read() == data


# ------------------------------------------------------------------------------------------------
# CUDA, cudnn and DataParallelTable checkpoints on a CPU machine
# ------------------------------------------------------------------------------------------------
class _CudaWriter(_Writer):
    """Writes NumPy arrays as CUDA tensors (torch.Cuda*Tensor / torch.Cuda*Storage)."""

    PREFIX = {np.dtype(np.float32): "", np.dtype(np.float64): "Double",
              np.dtype(np.int64): "Long", np.dtype(np.float16): "Half",
              np.dtype(np.uint8): "Byte", np.dtype(np.int32): "Int"}
    KIND = {np.dtype(np.float32): "Float", np.dtype(np.float64): "Double",
            np.dtype(np.int64): "Long", np.dtype(np.float16): "Half",
            np.dtype(np.uint8): "Byte", np.dtype(np.int32): "Int"}

    def _array(self, a):
        f = self.f
        if not self._ref(a, TYPE_TORCH):
            return
        pre = self.PREFIX[a.dtype]
        w_class(f, b"V 1", f"torch.Cuda{pre}Tensor".encode())
        f.write_scalar("Int", a.ndim)
        f.write_array("Long", np.array(a.shape, np.int64))
        f.write_array("Long", np.array([s // a.itemsize for s in a.strides], np.int64))
        f.write_scalar("Long", 1)
        self.n += 1
        w_ref(f, TYPE_TORCH, self.n)
        w_class(f, b"V 1", f"torch.Cuda{pre}Storage".encode())
        f.write_scalar("Long", a.size)
        f.write_array(self.KIND[a.dtype], np.ascontiguousarray(a).reshape(-1))

    def record(self, name: str, *payload):
        """A torch object record whose body is several objects (custom write hooks)."""
        key = object()
        if self._ref(key, TYPE_TORCH):
            w_class(self.f, b"V 1", name.encode())
            for p in payload:
                self.write(p)


def _cuda_bytes(obj, *records) -> bytes:
    f = fileio.open_memory(None, "rw")
    f.binary = True
    f.binary = True
    w = _CudaWriter(f)
    if records:
        w.record(*records)
    else:
        w.write(obj)
    return f.backend.getvalue()


def test_cuda_tensors_load_as_cpu(srt):
    arrs = {"f": np.arange(6, dtype=np.float32).reshape(2, 3),
            "d": np.linspace(0, 1, 5), "l": np.array([1, 2 ** 40], np.int64),
            "h": np.array([0.5, -2.0, 65504.0], np.float16),
            "b": np.array([0, 255], np.uint8), "i": np.array([-1, 7], np.int32)}
    srt.lua.globals()["__data"] = _cuda_bytes(arrs)
    srt.execute("__y = torch.deserialize(__data)")
    assert srt.eval("torch.type(__y.f)") == "torch.FloatTensor"
    assert srt.eval("torch.type(__y.d)") == "torch.DoubleTensor"
    assert srt.eval("torch.type(__y.l)") == "torch.LongTensor"
    assert srt.eval("torch.type(__y.h)") == "torch.FloatTensor"
    assert srt.eval("torch.type(__y.b)") == "torch.ByteTensor"
    assert srt.eval("torch.type(__y.i)") == "torch.IntTensor"
    assert srt.eval("__y.f[2][3]") == 5 and srt.eval("__y.l[2]") == 2 ** 40
    assert srt.eval("__y.h[3]") == 65504.0 and srt.eval("__y.h[1]") == 0.5


def test_cuda_module_loads_as_cpu_module(srt):
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    lin = TorchObject("nn.Linear", 1, {
        "weight": w, "bias": np.array([1.0, -1.0], np.float32),
        "gradWeight": np.zeros((2, 3), np.float32), "gradBias": np.zeros(2, np.float32),
        "output": np.zeros(2, np.float32), "gradInput": np.zeros(3, np.float32),
        "_type": "torch.CudaTensor"})
    relu = TorchObject("cudnn.ReLU", 1, {"inplace": False, "_type": "torch.CudaTensor",
                                          "output": np.zeros(1, np.float32),
                                          "gradInput": np.zeros(1, np.float32)})
    seq = TorchObject("nn.Sequential", 1, {"modules": [lin, relu], "_type": "torch.CudaTensor",
                                           "output": np.zeros(1, np.float32),
                                           "gradInput": np.zeros(1, np.float32)})
    srt.lua.globals()["__data"] = _cuda_bytes(seq)
    srt.execute("__m = torch.deserialize(__data)")
    assert srt.eval("torch.type(__m.modules[2])") == "nn.ReLU"
    assert srt.eval("__m._type") == "torch.FloatTensor"
    assert srt.eval("__m.modules[1]._type") == "torch.FloatTensor"
    out = srt.eval("__m:forward(torch.FloatTensor({1, 1, 1})):totable()")
    assert [out[1], out[2]] == [4.0, 11.0]


def test_data_parallel_table_loads_as_first_replica(srt):
    inner = TorchObject("nn.Tanh", 1, {"output": np.zeros(1), "gradInput": np.zeros(1),
                                       "_type": "torch.DoubleTensor"})
    var = {"modules": [inner], "gpuAssignments": [1, 2], "dimension": 1}
    srt.lua.globals()["__data"] = _cuda_bytes(None, "nn.DataParallelTable", [1, 2], var)
    assert srt.eval("torch.type(torch.deserialize(__data))") == "nn.Tanh"
    # the older layout (fields only)
    srt.lua.globals()["__data"] = dumps_python(TorchObject("nn.DataParallelTable", 1, var))
    assert srt.eval("torch.type(torch.deserialize(__data))") == "nn.Tanh"


def test_unknown_class_error(srt):
    srt.lua.globals()["__data"] = dumps_python({"m": TorchObject("cudnn.BLSTM", 1, {})})
    with pytest.raises(LuaError) as e:
        srt.execute("torch.deserialize(__data)")
    msg = e.value.message
    assert "unknown Torch class <cudnn.BLSTM> at byte 21" in msg and "<string>" in msg
    assert "\n" not in msg


def test_strings_with_any_bytes(srt):
    data = bytes(range(256)) * 3
    srt.lua.globals()["__data"] = data
    srt.execute("__y = torch.deserialize(torch.serialize({__data, [__data] = 1}))")
    assert lua_bytes(srt, "__y[1]") == data
    assert srt.eval("__y[__data]") == 1


def test_storage_and_tensor_read_methods(srt):
    """Storage:read / Tensor:read refill existing objects (their views follow)."""
    srt.execute("""
      local f = torch.MemoryFile():binary()
      torch.DoubleStorage({1, 2, 3}):write(f)
      torch.Tensor({{4, 5}, {6, 7}}):write(f)
      f:seek(1)
      __s = torch.DoubleStorage(1)
      __v = torch.DoubleTensor(__s)
      __s:read(f)
      __t = torch.DoubleTensor()
      __t:read(f)""")
    assert srt.eval("__s:size()") == 3 and srt.eval("__s[3]") == 3
    assert srt.eval("__t:size(1)") == 2 and srt.eval("__t[2][2]") == 7


def test_memory_backend_follows_a_reallocated_storage():
    # the backend keeps a memoryview of the storage's bytes: it must follow the storage when
    # its buffer is replaced behind its back (a caller resizing the storage it gave)
    from luatorch.tensor import Storage

    st = Storage(np.zeros(4, np.int8))
    b = fileio.MemoryBackend(st)
    b.seek(0)
    b.write(b"ab")
    st.resize(64)
    b.write(b"cd")
    b.seek(0)
    assert b.read(4) == b"abcd" and b.peek(1) == b""
    b.seek(1)
    out = bytearray(3)
    assert b.readinto(memoryview(out)) == 3 and bytes(out) == b"bcd"


def test_a_loaded_table_the_script_drops_is_collected(tmp_path) -> None:
    """Regression: the record of loaded tables' key order held every loaded table (and its
    tensors) alive, up to 100,000 of them: torch.load in a loop kept each checkpoint."""
    from luatorch.runtime import Runtime

    rt = Runtime()
    path = tmp_path / "t.t7"
    rt.execute(f"""
      torch.save('{path}', {{alpha = 1, beta = torch.ones(1000), gamma = {{x = 2}}}})
      probe = setmetatable({{}}, {{__mode = 'v'}})
      probe[1] = torch.load('{path}')
      kept = torch.load('{path}')
      collectgarbage() collectgarbage()
    """)
    assert rt.eval("probe[1]") is None
    # a table still held keeps its order through a save and a load
    rt.execute(f"torch.save('{path}', kept) again = torch.load('{path}')")
    assert rt.eval("again.beta:sum()") == 1000 and rt.eval("again.gamma.x") == 2
