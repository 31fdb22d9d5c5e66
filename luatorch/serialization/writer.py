"""Writing Torch7 objects: record writes shared with Lua, and a pure-Python writer.

`write_python` writes Python values (dicts, lists, numbers, strings, NumPy arrays, and the
`TorchObject`/`LuaFunction` values the pure-Python reader makes) in Torch7's object format, so
Python data can be handed to Torch7 (or luatorch) without Lua.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List

import numpy as np

from luatorch.backend import cpu
from luatorch.serialization.fileio import TorchFile
from luatorch.serialization.reader import (TYPE_BOOLEAN, TYPE_NIL, TYPE_NUMBER,
                                           TYPE_RECUR_FUNCTION, TYPE_STRING, TYPE_TABLE,
                                           TYPE_TORCH, LuaFunction, TorchObject, _KeyRef)
from luatorch.tensor import DTYPE_NAME, Storage, Tensor, TorchError


def w_int(f: TorchFile, v: int) -> None:
    f.write_scalar("Int", v)


def w_nil(f: TorchFile) -> None:
    f.write_scalar("Int", TYPE_NIL)


def w_number(f: TorchFile, v: float) -> None:
    f.write_scalar("Int", TYPE_NUMBER)
    f.write_scalar("Double", v)


def w_bool(f: TorchFile, v: bool) -> None:
    f.write_scalar("Int", TYPE_BOOLEAN)
    f.write_scalar("Int", 1 if v else 0)


def w_chars(f: TorchFile, data: bytes) -> None:
    """A length-prefixed byte string (Torch7 writes writeInt(#s) then writeChar(s))."""
    f.write_scalar("Int", len(data))
    f.write_chars(data)


def w_string(f: TorchFile, data: bytes) -> None:
    f.write_scalar("Int", TYPE_STRING)
    w_chars(f, data)


def w_ref(f: TorchFile, t: int, index: int) -> None:
    f.write_scalar("Int", t)
    f.write_scalar("Int", index)


def w_class(f: TorchFile, version: bytes, name: bytes) -> None:
    w_chars(f, version)
    w_chars(f, name)


def w_tensor_head(f: TorchFile, t: Tensor) -> None:
    nd = len(t.size)
    f.write_scalar("Int", nd)
    f.write_array("Long", np.array(t.size, np.int64))
    f.write_array("Long", np.array(t.stride[:nd], np.int64))
    f.write_scalar("Long", t.offset + 1)


def w_storage(f: TorchFile, st: Storage) -> None:
    n = st.size()
    f.write_scalar("Long", n)
    buf = st.buf
    if not isinstance(buf, np.ndarray):
        buf = cpu.send(buf)
    f.write_array(DTYPE_NAME[buf.dtype], buf)


# ------------------------------------------------------------------------------------------------
# Pure-Python writer
# ------------------------------------------------------------------------------------------------
_ARRAY_TYPE = {np.dtype(np.float64): "Double", np.dtype(np.float32): "Float",
               np.dtype(np.float16): "Half", np.dtype(np.int64): "Long",
               np.dtype(np.int32): "Int", np.dtype(np.int16): "Short", np.dtype(np.int8): "Char",
               np.dtype(np.uint8): "Byte", np.dtype(np.bool_): "Byte"}


class _Writer:
    def __init__(self, f: TorchFile):
        self.f = f
        self.index: Dict[int, int] = {}
        self.keep: List[Any] = []   # keeps ids valid while writing
        self.n = 0

    def _ref(self, obj: Any, t: int) -> bool:
        """Write the reference record; True when the object itself must follow."""
        key = id(obj)
        if key in self.index:
            w_ref(self.f, t, self.index[key])
            return False
        self.n += 1
        self.index[key] = self.n
        self.keep.append(obj)
        w_ref(self.f, t, self.n)
        return True

    def write(self, obj: Any) -> None:
        f = self.f
        if isinstance(obj, _KeyRef):
            obj = obj.obj
        if obj is None:
            w_nil(f)
        elif isinstance(obj, (bool, np.bool_)):
            w_bool(f, bool(obj))
        elif isinstance(obj, (int, float, np.integer, np.floating)):
            w_number(f, float(obj))
        elif isinstance(obj, str):
            w_string(f, obj.encode("utf-8"))
        elif isinstance(obj, (bytes, bytearray, memoryview)):
            w_string(f, bytes(obj))
        elif isinstance(obj, np.ndarray) and obj.ndim == 0:
            self.write(obj.item())
        elif isinstance(obj, (dict, list, tuple)):
            if self._ref(obj, TYPE_TABLE):
                items = obj.items() if isinstance(obj, dict) else (
                    (i + 1, v) for i, v in enumerate(obj))
                items = [(k, v) for k, v in items if v is not None and k is not None]
                w_int(f, len(items))
                for k, v in items:
                    self.write(k)
                    self.write(v)
        elif isinstance(obj, np.ndarray):
            self._array(obj)
        elif isinstance(obj, Tensor):
            self._tensor(obj)
        elif isinstance(obj, Storage):
            if self._ref(obj, TYPE_TORCH):
                w_class(f, b"V 1", f"torch.{DTYPE_NAME[obj.dtype]}Storage".encode())
                w_storage(f, obj)
        elif isinstance(obj, TorchObject):
            if self._ref(obj, TYPE_TORCH):
                w_class(f, f"V {obj.version}".encode(), obj.typename.encode())
                self.write(obj.fields)
        elif isinstance(obj, LuaFunction):
            if self._ref(obj, TYPE_RECUR_FUNCTION):
                w_chars(f, obj.bytecode)
                self.write(obj.upvalues if obj.upvalues is not None else {})
        else:
            raise TorchError(f"cannot serialize a Python {type(obj).__name__}")

    def _array(self, a: np.ndarray) -> None:
        kind = _ARRAY_TYPE.get(a.dtype)
        if kind is None:
            raise TorchError(f"cannot save a NumPy array of dtype {a.dtype} "
                             "(Torch7 has no such tensor type)")
        if not self._ref(a, TYPE_TORCH):
            return
        from luatorch.tensor import TYPES, contiguous_strides
        f = self.f
        w_class(f, b"V 1", f"torch.{kind}Tensor".encode())
        data = np.ascontiguousarray(a, dtype=TYPES[kind])
        shape = data.shape if data.size else ()
        f.write_scalar("Int", len(shape))
        f.write_array("Long", np.array(shape, np.int64))
        f.write_array("Long", np.array(contiguous_strides(shape), np.int64))
        f.write_scalar("Long", 1)
        if data.size:
            self.n += 1
            w_ref(f, TYPE_TORCH, self.n)
            w_class(f, b"V 1", f"torch.{kind}Storage".encode())
            f.write_scalar("Long", data.size)
            f.write_array(kind, data.reshape(-1))
        else:
            w_nil(f)

    def _tensor(self, t: Tensor) -> None:
        if not self._ref(t, TYPE_TORCH):
            return
        kind = DTYPE_NAME[t.dtype]
        w_class(self.f, b"V 1", f"torch.{kind}Tensor".encode())
        w_tensor_head(self.f, t)
        st = t.storage
        if not t.size and st.size() == 0:
            w_nil(self.f)
        else:
            self.write(st)


def write_python(f: TorchFile, obj: Any) -> None:
    """Write `obj` (Python values, NumPy arrays, TorchObject...) as one Torch7 object."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 5000))
    try:
        _Writer(f).write(obj)
    except RecursionError:
        raise TorchError("cannot serialize: objects nested too deeply") from None
    finally:
        sys.setrecursionlimit(old)


def dumps_python(obj: Any, fmt: str = "binary") -> bytes:
    """`obj` serialized to bytes (binary or ascii), without Lua."""
    from luatorch.serialization.fileio import open_memory

    f = open_memory(None, "w")
    f.binary = fmt == "binary"
    write_python(f, obj)
    return f.backend.getvalue()


def save_python(path: str, obj: Any, fmt: str = "binary") -> None:
    """Write `obj` to `path` atomically, without Lua."""
    from luatorch.serialization.fileio import open_atomic

    f = open_atomic(path)
    f.binary = fmt == "binary"
    try:
        write_python(f, obj)
    except BaseException:
        f.abort()
        raise
    f.close()


__all__ = ["w_int", "w_nil", "w_number", "w_bool", "w_string", "w_ref", "w_class",
           "w_tensor_head", "w_storage", "w_chars", "write_python", "dumps_python",
           "save_python", "TYPE_TORCH"]
