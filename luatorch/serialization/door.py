"""Door functions for lua/torch/File.lua: files, typed reads/writes, and object records.

Lua walks objects (tables, classes and their read/write hooks, references); each call here reads
or writes one record, so crossings are per object, never per element.  Strings travel from Lua
as (address, length) of the Lua string's bytes (any bytes, NUL and 255 included), and come back
as Python bytes.
"""

from __future__ import annotations

import ctypes
from typing import Any, Optional

import numpy as np

from luatorch.serialization import reader as R
from luatorch.serialization import writer as W
from luatorch.serialization.fileio import (ELEM, TorchFile, adopt, open_atomic, open_disk,
                                           open_memory)
from luatorch.tensor import Storage, Tensor, TorchError

_FLAGS = {"isQuiet": "quiet", "isReadable": "readable", "isWritable": "writable",
          "isBinary": "binary", "isAutoSpacing": "autospacing", "hasError": "has_error"}


class PyBytes:
    """Bytes handed to Lua as an opaque object, so they come back to Python undecoded."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __repr__(self) -> str:
        return f"PyBytes({self.data!r})"


def _bytes(addr: int, n: int) -> bytes:
    return ctypes.string_at(int(addr), int(n)) if n else b""


def _kind(tname: str) -> str:
    if tname not in ELEM:
        raise TorchError(f"unknown element type {tname}")
    return tname


def tf_pybytes(addr: int, n: int) -> PyBytes:
    """A Lua string's bytes as an opaque Python object (for the Python API)."""
    return PyBytes(_bytes(addr, n))


# -- opening / control ----------------------------------------------------------------------------
def tf_open_disk(path: str, mode: Optional[str], quiet: Any) -> Optional[TorchFile]:
    return open_disk(path, mode or "r", bool(quiet))


def tf_open_atomic(path: str) -> TorchFile:
    return open_atomic(path)


def tf_open_memory(st: Optional[Storage], mode: Optional[str]) -> TorchFile:
    return open_memory(st, mode or "rw")


def tf_open_memory_bytes(addr: int, n: int, mode: Optional[str], name: Optional[str]) -> TorchFile:
    """A memory file holding a copy of a Lua string's bytes (torch.deserialize)."""
    return open_memory(None, mode or "r", data=_bytes(addr, n), name=name or "<string>")


def tf_flag(f: TorchFile, name: str) -> bool:
    return bool(getattr(f, _FLAGS[name]))


def tf_setflag(f: TorchFile, name: str, value: Any) -> None:
    f._open()
    if name == "long_size":
        if value not in (0, 4, 8):
            raise TorchError("bad argument #1 to 'longSize' (Invalid long size specified)")
        value = int(value)
    elif name == "order":
        value = {"native": "<" if np.little_endian else ">", "little": "<", "big": ">"}[value]
    setattr(f, name, value)


def tf_is_opened(f: TorchFile) -> bool:
    return f.is_opened()


def tf_name(f: TorchFile) -> str:
    return f.name


def tf_close(f: TorchFile) -> None:
    f.close()


def tf_abort(f: TorchFile) -> None:
    f.abort()


def tf_seek(f: TorchFile, p: int) -> None:
    if p < 1:
        raise TorchError("bad argument #1 to 'seek' (position has to be greater than 0!)")
    f.seek(int(p) - 1)


def tf_seek_end(f: TorchFile) -> None:
    f.seek_end()


def tf_position(f: TorchFile) -> int:
    return f.pos() + 1


def tf_synchronize(f: TorchFile) -> None:
    f.synchronize()


def tf_clear_error(f: TorchFile) -> None:
    f.has_error = False


def tf_storage(f: TorchFile) -> Storage:
    """The CharStorage behind a memory file (contents plus a trailing NUL)."""
    f._open()
    return f.backend.get_storage()


# -- typed reads / writes (the File methods) ------------------------------------------------------
def tf_read_scalar(f: TorchFile, tname: str) -> Any:
    return f.read_scalar(_kind(tname))


def tf_read_n(f: TorchFile, tname: str, n: Any) -> Storage:
    """readTYPE(n): a new storage with the elements actually read."""
    if not isinstance(n, (int, float)) or n < 0:
        raise TorchError("bad argument #1 (non-negative number expected)")
    return Storage(np.ascontiguousarray(f.read_array(_kind(tname), int(n))))


def tf_read_into(f: TorchFile, tname: str, st: Storage) -> int:
    """readTYPE(storage): fill the storage, return the count read."""
    a = f.read_array(_kind(tname), st.size())
    k = a.shape[0]
    if k:
        st.buf[:k] = st.device.send(a) if st.device.xp is not np else a
    return k


def tf_write_scalar(f: TorchFile, tname: str, v: Any) -> None:
    f.write_scalar(_kind(tname), v)


def tf_write_storage(f: TorchFile, tname: str, st: Storage) -> int:
    buf = st.buf if isinstance(st.buf, np.ndarray) else st.device.send(st.buf)
    return f.write_array(_kind(tname), np.asarray(buf))


def tf_read_string(f: TorchFile, fmt: str) -> bytes:
    return f.read_string(fmt)


def tf_write_string(f: TorchFile, addr: int, n: int) -> int:
    return f.write_raw(_bytes(addr, n))


def tf_write_chars_ptr(f: TorchFile, addr: int, n: int) -> int:
    """writeChar of a Lua string's bytes (as a CharStorage would be written)."""
    return f.write_chars(_bytes(addr, n))


# -- object records: reading ----------------------------------------------------------------------
def tf_obj_head(f: TorchFile) -> tuple:
    return R.obj_head(f)


def tf_class_head(f: TorchFile) -> tuple:
    return R.class_head(f)


def tf_table_size(f: TorchFile) -> int:
    return R.table_size(f)


def tf_func_bytes(f: TorchFile) -> bytes:
    return R.func_bytes(f)


def tf_tensor_head(f: TorchFile) -> R.TensorHead:
    return R.tensor_head(f)


def tf_tensor_set(f: TorchFile, t: Tensor, head: R.TensorHead, st: Optional[Storage]) -> None:
    R.set_tensor(f, t, head, st)


def tf_storage_data(f: TorchFile, cpu: str, elem: str) -> Storage:
    """A new storage holding the next storage record's elements."""
    return Storage(R.storage_data(f, cpu, elem))


def tf_storage_into(f: TorchFile, st: Storage, elem: Optional[str] = None) -> None:
    """Storage:read(file): replace the storage's contents with the next storage record."""
    from luatorch.tensor import DTYPE_NAME

    cpu = DTYPE_NAME[st.dtype]
    adopt(st, R.storage_data(f, cpu, elem or cpu))


def tf_read_prims(f: TorchFile, maxpairs: int) -> tuple:
    """Up to maxpairs table entries whose key and value are both plain values, in one crossing.

    Returns (count, k1, v1, k2, v2, ...); stops (rewinding) before the first entry holding a
    table, torch object or function, which Lua then reads record by record.
    """
    out: list = [0]
    n = 0
    prim = R.PRIMITIVE
    b = f.backend
    while n < maxpairs:
        start = b.tell()
        t, k, kpos = R.obj_head(f)
        if t not in prim:
            b.seek(start)
            break
        t2, v, _ = R.obj_head(f)
        if t2 not in prim:
            b.seek(start)
            break
        if k is None or k != k:
            raise f.corrupt(kpos, "table key is nil" if k is None else "table key is NaN")
        out.append(k)
        out.append(v)
        n += 1
    out[0] = n
    return tuple(out)


def tf_detect_binary(f: TorchFile) -> bool:
    """True unless the file starts like an ascii Torch7 file."""
    return R.detect_binary(f)


def tf_getvalue(f: TorchFile) -> bytes:
    """A memory file's contents."""
    f._open()
    return f.backend.getvalue()


def tf_fail(f: TorchFile, pos: Optional[int], msg: str) -> None:
    """Raise the one-line corrupt-file error for a problem Lua found."""
    raise f.corrupt(pos, msg)


def tf_refuse(f: TorchFile, pos: int) -> None:
    raise TorchError(f"{f.name}: refusing to load a serialized Lua function at byte {pos} "
                     "(pass {trustFunctions=true} to torch.load, or --trust-functions, "
                     "only for files you trust)")


def tf_pos(f: TorchFile) -> int:
    """0-based byte offset (for messages)."""
    return f.pos()


# -- object records: writing ----------------------------------------------------------------------
def tf_w_nil(f: TorchFile) -> None:
    W.w_nil(f)


def tf_w_num(f: TorchFile, v: float) -> None:
    W.w_number(f, v)


def tf_w_bool(f: TorchFile, v: Any) -> None:
    W.w_bool(f, bool(v))


def tf_w_str(f: TorchFile, addr: int, n: int) -> None:
    W.w_string(f, _bytes(addr, n))


def tf_w_numpair(f: TorchFile, k: float, v: float) -> None:
    W.w_number(f, k)
    W.w_number(f, v)


def tf_w_strnum(f: TorchFile, addr: int, n: int, v: float) -> None:
    W.w_string(f, _bytes(addr, n))
    W.w_number(f, v)


def tf_w_ref(f: TorchFile, t: int, index: int) -> None:
    W.w_ref(f, t, index)


def tf_w_int(f: TorchFile, v: int) -> None:
    W.w_int(f, v)


def tf_w_class(f: TorchFile, version: str, addr: int, n: int) -> None:
    W.w_class(f, version.encode("latin-1"), _bytes(addr, n))


def tf_w_chars(f: TorchFile, addr: int, n: int) -> None:
    W.w_chars(f, _bytes(addr, n))


def tf_w_tensor(f: TorchFile, t: Tensor) -> None:
    W.w_tensor_head(f, t)


def tf_w_storage(f: TorchFile, st: Storage) -> None:
    W.w_storage(f, st)


EXPORTS = {k: v for k, v in dict(globals()).items() if k.startswith("tf_") and callable(v)}
