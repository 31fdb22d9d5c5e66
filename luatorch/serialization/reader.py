"""Reading Torch7 objects: checked record reads shared with Lua, and a pure-Python loader.

The record functions (`obj_head`, `class_head`, `tensor_head`, ...) each read one record of
Torch7's object format and check every claimed size against the bytes left, raising
`CorruptFileError` ("NAME: corrupt file at byte N: ...") otherwise.  Lua's `File:readObject`
walks objects with them; `read_python` walks them here, without running any Lua, for
`inspect_file` and for tests.
"""

from __future__ import annotations

import re
import sys
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from luatorch.serialization.fileio import ELEM, MAX_DIMS, CorruptFileError, TorchFile
from luatorch.tensor import Storage, Tensor

TYPE_NIL = 0
TYPE_NUMBER = 1
TYPE_STRING = 2
TYPE_TABLE = 3
TYPE_TORCH = 4
TYPE_BOOLEAN = 5
TYPE_FUNCTION = 6
TYPE_LEGACY_RECUR_FUNCTION = 7
TYPE_RECUR_FUNCTION = 8
REFERENCED = (TYPE_TABLE, TYPE_TORCH, TYPE_LEGACY_RECUR_FUNCTION, TYPE_RECUR_FUNCTION)
PRIMITIVE = (TYPE_NIL, TYPE_NUMBER, TYPE_STRING, TYPE_BOOLEAN)

MAX_DEPTH = 1000  # nesting of tables/objects a file may use (hostile files nest forever)

_VERSION_RE = re.compile(rb"^V (.*)$", re.S)
_NUM_RE = re.compile(rb"^[ \t\n\r\f\v]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     rb"[ \t\n\r\f\v]*$")

# CUDA / half classes and the CPU class they load as, with the element type stored in the file
_CUDA_ELEM = {"": "Float", "Double": "Double", "Long": "Long", "Int": "Int", "Short": "Short",
              "Char": "Char", "Byte": "Byte", "Half": "Half", "Float": "Float"}
_CPU_OF = {"Half": "Float"}


def tensor_class(name: str) -> Optional[Tuple[str, str, str]]:
    """('Tensor'|'Storage', CPU type, element type in the file) for tensor/storage class names.

    torch.CudaTensor loads as FloatTensor, torch.CudaLongStorage as LongStorage, CUDA half
    classes as Float (their 2-byte elements converted); torch.HalfTensor stays Half.
    """
    m = re.match(r"^torch\.(Cuda)?([A-Za-z]*?)(Tensor|Storage)$", name)
    if not m:
        return None
    cuda, elem, what = m.group(1), m.group(2), m.group(3)
    if cuda:
        if elem not in _CUDA_ELEM:
            return None
        elem = _CUDA_ELEM[elem]
        return what, _CPU_OF.get(elem, elem), elem
    if elem not in ELEM:
        return None
    return what, elem, elem


# ------------------------------------------------------------------------------------------------
# Checked record reads
# ------------------------------------------------------------------------------------------------
def _left(f: TorchFile) -> int:
    return f.remaining()


def read_int(f: TorchFile, what: str) -> int:
    pos = f.pos()
    if f.binary and _left(f) < 4:
        raise f.corrupt(pos, f"unexpected end of file reading {what} "
                             f"(needs 4 bytes, {_left(f)} left)")
    if f.binary:
        return int(f.read_binary_scalar("Int"))
    a = f.read_raw("Int", 1)
    if a.shape[0] != 1:
        raise f.corrupt(pos, f"expected an integer ({what})")
    return int(a[0])


def read_long(f: TorchFile, what: str) -> int:
    pos = f.pos()
    w = f.elem_size("Long")
    if f.binary and _left(f) < w:
        raise f.corrupt(pos, f"unexpected end of file reading {what} "
                             f"(needs {w} bytes, {_left(f)} left)")
    a = f.read_raw("Long", 1)
    if a.shape[0] != 1:
        raise f.corrupt(pos, f"expected an integer ({what})")
    return int(a[0])


def read_longs(f: TorchFile, n: int, what: str) -> List[int]:
    if n == 0:
        return []
    pos = f.pos()
    a = f.read_raw("Long", n)
    if a.shape[0] != n:
        raise f.corrupt(pos, f"unexpected end of file reading {what}")
    return [int(v) for v in a.tolist()]


def read_double(f: TorchFile) -> float:
    pos = f.pos()
    if f.binary and _left(f) < 8:
        raise f.corrupt(pos, f"unexpected end of file reading a number "
                             f"(needs 8 bytes, {_left(f)} left)")
    if f.binary:
        return float(f.read_binary_scalar("Double"))
    a = f.read_raw("Double", 1)
    if a.shape[0] != 1:
        raise f.corrupt(pos, "expected a number")
    return float(a[0])


def read_count(f: TorchFile, per_item: int, what: str) -> int:
    """A count field (int) that the rest of the file must be able to hold."""
    pos = f.pos()
    n = read_int(f, what)
    check_count(f, pos, n, per_item, what)
    return n


def check_count(f: TorchFile, pos: int, n: int, per_item: int, what: str) -> None:
    left = _left(f)
    if n < 0:
        raise f.corrupt(pos, f"negative {what} {n}")
    if n * per_item > left:
        raise f.corrupt(pos, f"{what} {n:.6g} exceeds remaining {left} bytes"
                        if n >= 1e6 else f"{what} {n} exceeds remaining {left} bytes")


def read_str(f: TorchFile, what: str) -> bytes:
    pos = f.pos()
    n = read_count(f, 1, what + " length")
    data = f.read_chars(n) if n else b""
    if len(data) != n:
        raise f.corrupt(pos, f"unexpected end of file reading {what}")
    return data


def obj_head(f: TorchFile) -> Tuple[int, Any, int]:
    """(type, value-or-index, position) of the next object record."""
    pos = f.pos()
    t = read_int(f, "object type")
    if t == TYPE_NIL:
        return t, None, pos
    if t == TYPE_NUMBER:
        return t, read_double(f), pos
    if t == TYPE_STRING:
        return t, read_str(f, "string"), pos
    if t == TYPE_BOOLEAN:
        return t, read_int(f, "boolean") == 1, pos
    if t in REFERENCED:
        return t, read_int(f, "reference index"), pos
    if t == TYPE_FUNCTION:
        return t, None, pos
    raise f.corrupt(pos, f"unknown object type {t}")


def class_head(f: TorchFile) -> Tuple[float, bytes]:
    """(version number, class name) of a torch object record (version 0: before versioning)."""
    first = read_str(f, "class name")
    m = _VERSION_RE.match(first)
    if m and _NUM_RE.match(m.group(1)):
        v = float(m.group(1))
        return (int(v) if v.is_integer() else v), read_str(f, "class name")
    return 0, first


def table_size(f: TorchFile) -> int:
    # every entry is at least two records of one int each
    return read_count(f, 8 if f.binary else 2, "table size")


def func_bytes(f: TorchFile) -> bytes:
    return read_str(f, "function bytecode")


class TensorHead:
    """Geometry of a tensor record, checked against its storage once that is read."""

    __slots__ = ("pos", "size", "stride", "offset")

    def __init__(self, pos: int, size: List[int], stride: List[int], offset: int):
        self.pos = pos
        self.size = size
        self.stride = stride
        self.offset = offset


def tensor_head(f: TorchFile) -> TensorHead:
    pos = f.pos()
    nd = read_int(f, "tensor dimension count")
    if nd < 0 or nd > MAX_DIMS:
        raise f.corrupt(pos, f"tensor with {nd} dimensions (0 to {MAX_DIMS} supported)")
    check_count(f, pos, 2 * nd + 1, f.elem_size("Long"), "tensor header")
    size = read_longs(f, nd, "tensor sizes")
    stride = read_longs(f, nd, "tensor strides")
    offset = read_long(f, "tensor offset")
    return TensorHead(pos, size, stride, offset)


def check_geometry(f: TorchFile, head: TensorHead, st_size: Optional[int]) -> Tuple[tuple, tuple]:
    """Validated (size, stride); an empty size when some dimension is 0."""
    size, stride, off = head.size, head.stride, head.offset
    if any(s < 0 for s in size):
        raise f.corrupt(head.pos, f"negative tensor size {size}")
    if any(s < 0 for s in stride):
        raise f.corrupt(head.pos, f"negative tensor stride {stride}")
    if size and all(size) and off < 1:
        raise f.corrupt(head.pos, f"tensor offset {off} (offsets start at 1)")
    if not size or not all(size):
        return (), ()
    need = off - 1 + sum((s - 1) * t for s, t in zip(size, stride)) + 1
    if st_size is None:
        raise f.corrupt(head.pos, "tensor of size " + "x".join(map(str, size))
                        + " has no storage")
    if need > st_size:
        raise f.corrupt(head.pos, f"tensor geometry needs {need} elements, storage holds "
                                  f"{st_size}")
    return tuple(size), tuple(stride)


def storage_data(f: TorchFile, cpu: str, elem: str) -> np.ndarray:
    """The elements of a storage record (converted from `elem` to `cpu` type if they differ)."""
    pos = f.pos()
    n = read_long(f, "storage size")
    check_count(f, pos, n, f.elem_size(elem), "storage size")
    start = f.pos()
    arr = f.read_raw(elem, n)
    if arr.shape[0] != n:
        raise f.corrupt(start, f"storage of {n} elements: only {arr.shape[0]} could be read")
    if elem != cpu:
        arr = arr.astype(ELEM[cpu])
    return arr


def set_tensor(f: TorchFile, t: Tensor, head: TensorHead, st: Optional[Storage]) -> None:
    """Point tensor `t` at storage `st` with the geometry of `head`, after checking both."""
    if st is not None and st.dtype != t.dtype:
        raise f.corrupt(head.pos, f"tensor of {t.dtype} elements refers to a storage of "
                                  f"{st.dtype} elements")
    size, stride = check_geometry(f, head, None if st is None else st.size())
    if st is None:
        return
    t.set_geometry(st, max(head.offset - 1, 0), size, stride if size else None)


# ------------------------------------------------------------------------------------------------
# Pure-Python objects
# ------------------------------------------------------------------------------------------------
class LuaTable(dict):
    """A Lua table read without Lua: keys and values in file order."""


class TorchObject:
    """An instance of a torch class read without Lua: class name, version and fields."""

    def __init__(self, typename: str, version: Any = 1, fields: Any = None):
        self.typename = typename
        self.version = version
        self.fields = LuaTable() if fields is None else fields

    def __getitem__(self, k: Any) -> Any:
        return self.fields[k]

    def get(self, k: Any, default: Any = None) -> Any:
        return self.fields.get(k, default) if isinstance(self.fields, dict) else default

    def __repr__(self) -> str:
        return f"<TorchObject {self.typename}>"


class LuaFunction:
    """A serialized Lua function: its bytecode and upvalues, never run."""

    def __init__(self, bytecode: bytes, upvalues: Any = None):
        self.bytecode = bytecode
        self.upvalues = upvalues

    def __repr__(self) -> str:
        return f"<LuaFunction {len(self.bytecode)} bytes of bytecode>"


def _to_str(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def read_python(f: TorchFile, tensors: str = "numpy") -> Any:
    """The next object as Python values, running no code from the file.

    Tables become `LuaTable` (a dict), tensors NumPy arrays (`tensors='numpy'`) or `Tensor`
    handles (`'tensor'`), storages 1-D arrays, other torch classes `TorchObject`, functions
    `LuaFunction`.
    """
    objects: Dict[int, Any] = {}
    storages: Dict[int, Storage] = {}

    def rd(depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise f.corrupt(None, f"objects nested deeper than {MAX_DEPTH} levels")
        t, v, pos = obj_head(f)
        if t in PRIMITIVE:
            return v
        if t == TYPE_FUNCTION:
            code = func_bytes(f)
            return LuaFunction(code, rd(depth + 1))
        if v in objects:
            return objects[v]
        index = v
        if t in (TYPE_RECUR_FUNCTION, TYPE_LEGACY_RECUR_FUNCTION):
            fn = LuaFunction(func_bytes(f))
            objects[index] = fn
            fn.upvalues = rd(depth + 1)
            return fn
        if t == TYPE_TABLE:
            n = table_size(f)
            tab = LuaTable()
            objects[index] = tab
            for _ in range(n):
                kpos = f.pos()
                k = rd(depth + 1)
                val = rd(depth + 1)
                if k is None:
                    raise f.corrupt(kpos, "table key is nil")
                try:
                    hash(k)
                except TypeError:
                    k = _KeyRef(k)
                if val is not None:
                    tab[k] = val
            return tab
        version, cname_b = class_head(f)
        cname = _to_str(cname_b)
        tc = tensor_class(cname)
        if tc is not None:
            what, cpu, elem = tc
            if what == "Storage":
                arr = storage_data(f, cpu, elem)
                st = Storage(arr)
                storages[id(arr)] = st
                objects[index] = arr
                return arr
            head = tensor_head(f)
            sto = rd(depth + 1)
            if sto is not None and not isinstance(sto, np.ndarray):
                raise f.corrupt(head.pos, "tensor storage is not a storage")
            if sto is not None and sto.dtype != ELEM[cpu]:
                raise f.corrupt(head.pos, f"tensor of type {cpu} refers to a storage of "
                                          f"{sto.dtype} elements")
            size, stride = check_geometry(f, head, None if sto is None else sto.shape[0])
            if tensors == "tensor":
                st = storages.get(id(sto)) if sto is not None else None
                tt = Tensor(st if st is not None else Storage(np.empty(0, ELEM[cpu])),
                            max(head.offset - 1, 0) if size else 0, size,
                            stride if size else None)
                objects[index] = tt
                return tt
            if not size:
                out = np.empty((0,), ELEM[cpu])
            else:
                isz = sto.itemsize
                out = np.ndarray(size, sto.dtype, buffer=sto, offset=(head.offset - 1) * isz,
                                 strides=tuple(s * isz for s in stride))
            objects[index] = out
            return out
        obj = TorchObject(cname, version)
        objects[index] = obj
        if cname == "nn.DataParallelTable":
            first = rd(depth + 1)
            if isinstance(first, dict) and "modules" in first:
                obj.fields = first
            else:
                obj.fields = rd(depth + 1)
            return obj
        obj.fields = rd(depth + 1)
        return obj

    # each nesting level costs a Python frame: make room for MAX_DEPTH of them
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 3 * MAX_DEPTH + 200))
    try:
        return rd(0)
    except RecursionError:
        raise f.corrupt(None, "objects nested too deeply") from None
    finally:
        sys.setrecursionlimit(old)


class _KeyRef:
    """A table used as a table key (unhashable in Python): compared by identity."""

    def __init__(self, obj: Any):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _KeyRef) and other.obj is self.obj

    def __repr__(self) -> str:
        return f"<table key {type(self.obj).__name__}>"


def load_python(path: str, fmt: Optional[str] = None, long_size: int = 0,
                tensors: str = "numpy") -> Any:
    """Read a .t7 file into Python values without Lua (see `read_python`)."""
    from luatorch.serialization.fileio import open_disk

    f = open_disk(path, "r")
    assert f is not None
    try:
        f.binary = detect_binary(f) if fmt is None else fmt == "binary"
        f.long_size = long_size
        return read_python(f, tensors)
    finally:
        f.close()


def detect_binary(f: TorchFile) -> bool:
    """Binary unless the file starts like ascii (a digit: binary files start with a small int)."""
    first = f.backend.peek(1)
    return not (first and first in b"0123456789-")


def loads_python(data: bytes, fmt: str = "binary", long_size: int = 0,
                 tensors: str = "numpy", name: str = "<string>") -> Any:
    """Like `load_python` for bytes in memory."""
    from luatorch.serialization.fileio import open_memory

    f = open_memory(None, "r", data=data, name=name)
    f.binary = fmt == "binary"
    f.long_size = long_size
    return read_python(f, tensors)


__all__ = ["obj_head", "class_head", "table_size", "func_bytes", "tensor_head", "set_tensor",
           "storage_data", "tensor_class", "read_python", "load_python", "loads_python",
           "LuaTable", "TorchObject", "LuaFunction", "CorruptFileError", "detect_binary",
           "MAX_DEPTH"]
