"""Door functions for tensor/storage construction, geometry, element access and copies.

Every function here is called from Lua with Python `Tensor`/`Storage` handles and plain
numbers; 1-based Lua indices and dimensions become 0-based here and nowhere deeper.
"""

from __future__ import annotations

import os
import weakref
from typing import Any, Optional

import numpy as np

from luatorch import tensor as T
from luatorch import backend
from luatorch.backend import cpu
from luatorch.kernels.pointwise import ival
from luatorch.tensor import TYPES, Storage, Tensor, TorchError, size_str

DT = TYPES  # type name ('Float') -> dtype


def _dtype(name: str) -> np.dtype:
    try:
        return DT[name]
    except KeyError:
        dt = T.CUDA_TYPES.get(name)
        if dt is None:
            raise TorchError(f"unknown tensor type {name}") from None
        return dt


NO_GPU = ("cuda runtime error (38) : no CUDA-capable device is detected (run with "
          "--virtual-gpus N, or LUATORCH_VIRTUAL_GPUS=N, to simulate N GPUs; a real one needs "
          "CuPy: pip install 'luatorch[cuda]')")


def current_gpu() -> Any:
    """The current GPU, or a Torch7-style error when there is none."""
    dev = backend.current_gpu()
    if dev is None:
        raise TorchError(NO_GPU)
    return dev


def _device(dev: Any, tname: str = "") -> Any:
    """`dev`, else the device type `tname` lives on: the CPU, or for CUDA types the current GPU."""
    if dev is not None:
        return dev
    if tname in DT or not tname:
        return cpu
    return current_gpu()


# -- construction ---------------------------------------------------------------------------------
def t_new(tname: str, dev: Any = None) -> Tensor:
    """An empty tensor (no dimension)."""
    d = _device(dev, tname)
    return Tensor(Storage(d.empty(0, _dtype(tname)), d), 0, ())


def t_new_size(tname: str, dev: Any, *sizes: int) -> Tensor:
    """A new contiguous tensor of the given sizes."""
    for s in sizes:
        if not isinstance(s, int) or s < 0:
            raise TorchError("bad argument: sizes must be non-negative integers")
    return Tensor.empty(sizes, _dtype(tname), _device(dev, tname))


def t_new_from_storage(tname: str, st: Storage, offset: int, sizes: Any, strides: Any) -> Tensor:
    """Tensor over an existing storage; `offset` is 1-based, sizes/strides are Storages or None."""
    size = tuple(int(v) for v in sizes.buf) if sizes is not None else (st.size() - offset + 1,)
    stride = tuple(int(v) for v in strides.buf) if strides is not None else None
    t = Tensor(st, offset - 1, size, stride)
    _check_in_storage(t)
    return t


def t_new_from_storage_args(tname: str, st: Storage, offset: int, *ss: int) -> Tensor:
    """Tensor over a storage from size/stride pairs (stride may be nil => contiguous)."""
    size = []
    stride = []
    for i in range(0, len(ss), 2):
        if ss[i] is None:
            break
        size.append(int(ss[i]))
        stride.append(ss[i + 1] if i + 1 < len(ss) else None)
    if any(s is None for s in stride):
        cs = T.contiguous_strides(size)
        stride = [cs[i] if s is None else int(s) for i, s in enumerate(stride)]
    t = Tensor(st, offset - 1, size, stride)
    _check_in_storage(t)
    return t


def _check_in_storage(t: Tensor) -> None:
    if not t.size:
        return
    need = t.offset + sum((s - 1) * st for s, st in zip(t.size, t.stride)) + 1
    if t.offset < 0 or need > t.storage.size():
        raise TorchError("Storage size is too small for the requested tensor geometry")


def t_new_view(t: Tensor) -> Tensor:
    """A new tensor sharing `t`'s storage and geometry."""
    return Tensor(t.storage, t.offset, t.size, t.stride)


def t_from_flat(tname: str, values: Any, *sizes: int) -> Tensor:
    """A tensor of `sizes` from a flat Lua table of numbers."""
    n = 1
    for s in sizes:
        n *= s
    vals = np.fromiter((values[i] for i in range(1, n + 1)), dtype=np.float64, count=n)
    return Tensor.from_array(vals.reshape(sizes), _dtype(tname), _device(None, tname))


def t_typename(t: Tensor) -> str:
    """'Float', 'Double', ... for a tensor or storage ('Cuda', 'CudaDouble', ... on a GPU)."""
    name = T.DTYPE_NAME[t.dtype]
    return name if t.storage.device.index < 0 else T.CUDA_NAME[name]


def t_device(t: Tensor) -> Any:
    """The device object a tensor lives on."""
    return t.storage.device


# -- geometry queries -----------------------------------------------------------------------------
def t_dim(t: Tensor) -> int:
    return len(t.size)


def t_numel(t: Tensor) -> int:
    return t.a.size if t.size else 0


def t_size(t: Tensor) -> tuple:
    """All sizes, as multiple return values."""
    return t.size


def t_size_d(t: Tensor, d: int) -> int:
    # Torch7 takes no negative dimension here (x:size(-1) fails, as every dimension argument)
    n = len(t.size)
    if not 1 <= d <= n:
        raise TorchError(f"bad argument #1 to 'size' (dimension {d} out of range of {n}D tensor)")
    return t.size[d - 1]


def t_stride(t: Tensor) -> tuple:
    return t.stride


def t_stride_d(t: Tensor, d: int) -> int:
    # Torch7 takes no negative dimension here (x:stride(-1) fails, as every dimension argument)
    n = len(t.size)
    if not 1 <= d <= n:
        raise TorchError(f"bad argument #1 to 'stride' (dimension {d} out of range of {n}D tensor)")
    return t.stride[d - 1]


def t_size_storage(t: Tensor) -> Storage:
    """Sizes as a new LongStorage."""
    return Storage(np.array(t.size, dtype=np.int64))


def t_stride_storage(t: Tensor) -> Storage:
    return Storage(np.array(t.stride, dtype=np.int64))


def t_storage(t: Tensor) -> Storage:
    return t.storage


def t_offset(t: Tensor) -> int:
    """1-based storage offset, as Torch7 reports it."""
    return t.offset + 1


def t_is_contiguous(t: Tensor) -> bool:
    return t.is_contiguous()


def t_is_same_size(a: Tensor, b: Tensor) -> bool:
    return a.size == b.size


def t_is_size(t: Tensor, s: Storage) -> bool:
    return t.size == tuple(int(v) for v in s.buf)


def t_pointer(t: Any) -> int:
    return id(t)


def t_data_ptr(t: Tensor) -> int:
    """Address of the tensor's first element (CPU only), for LuaJIT FFI element access."""
    if t.xp is not np:
        raise TorchError("data pointer is only available for CPU tensors")
    return t.storage.buf.ctypes.data + t.offset * t.dtype.itemsize


def t_same_storage(a: Tensor, b: Tensor) -> bool:
    return a.storage is b.storage


# -- geometry changes -----------------------------------------------------------------------------
def t_resize(t: Tensor, *sizes: int) -> None:
    t.resize(sizes)


def t_resize_storage(t: Tensor, sizes: Storage, strides: Optional[Storage] = None) -> None:
    size = tuple(int(v) for v in sizes.buf)
    if strides is None:
        t.resize(size)
    else:
        t.set_geometry(t.storage, t.offset, size, tuple(int(v) for v in strides.buf))


def t_resize_as(t: Tensor, src: Tensor) -> None:
    if t.size != src.size:
        t.resize(src.size)


def t_set(t: Tensor, src: Tensor) -> None:
    t.set_geometry(src.storage, src.offset, src.size, src.stride)


def t_set_storage(t: Tensor, st: Storage, offset: int, sizes: Any, strides: Any) -> None:
    size = tuple(int(v) for v in sizes.buf) if sizes is not None else (st.size() - offset + 1,)
    stride = tuple(int(v) for v in strides.buf) if strides is not None else None
    t.set_geometry(st, offset - 1, size, stride)


def t_set_empty(t: Tensor) -> None:
    t.set_geometry(Storage(t.storage.device.empty(0, t.dtype), t.storage.device), 0, ())


def t_narrow(t: Tensor, d: int, start: int, length: int) -> Tensor:
    n = t.size[d - 1] if 1 <= d <= len(t.size) else 0
    if start < 0:
        start += n + 1
    if start < 1 or length < 1 or start + length - 1 > n:
        raise TorchError(f"bad argument #{3 if start < 1 else 4} to 'narrow' (out of range)")
    return t.narrow(d - 1, start - 1, length)


def t_sub(t: Tensor, *ranges: int) -> Tensor:
    """sub(d1s, d1e, d2s, d2e, ...), 1-based inclusive, negatives count from the end."""
    out = t
    for i in range(0, len(ranges), 2):
        d = i // 2
        if d >= len(t.size):
            raise TorchError("bad argument to 'sub' (too many dimensions)")
        n = t.size[d]
        s, e = ranges[i], ranges[i + 1]
        if s < 0:
            s += n + 1
        if e < 0:
            e += n + 1
        if s < 1 or s > n:
            raise TorchError(f"bad argument #{i + 1} to 'sub' (out of range)")
        if e < s or e > n:
            raise TorchError(f"bad argument #{i + 2} to 'sub' (end index out of range)")
        out = out.narrow(d, s - 1, e - s + 1)
    return out if out is not t else Tensor(t.storage, t.offset, t.size, t.stride)


def _truncated(v: float, what: str) -> int:
    """A fractional index cut to an integer, as Torch7's luaL_checklong did."""
    if v != v or v in (float("inf"), float("-inf")):
        raise TorchError(f"{what} {_numstr(v)} out of range")
    return int(v)


def t_select(t: Tensor, d: int, i: int) -> Tensor:
    if type(i) is float:
        i = _truncated(i, "index")
    n = len(t.size)
    if not 1 <= d <= n:
        raise TorchError(f"bad argument #1 to 'select' (dimension {d} out of range of {n}D tensor)")
    sz = t.size[d - 1]
    # unlike x[i], select takes no index from the end (TH's select checks 0 <= i < size)
    if not 1 <= i <= sz:
        raise TorchError(f"bad argument #2 to 'select' (index {i} out of range, size {sz})")
    if n == 1:
        raise TorchError("bad argument #1 to 'select' (cannot select on a vector)")
    return t.select(d - 1, i - 1)


def t_select_any(t: Tensor, d: int, i: int) -> Any:
    """x:select(d, i), or the element as a number when x is a vector (Torch7's select)."""
    if len(t.size) == 1:
        if type(i) is float:
            i = _truncated(i, "index")
        if not 1 <= i <= t.size[0]:
            raise TorchError(f"bad argument #2 to 'select' (index {i} out of range, "
                             f"size {t.size[0]})")
        return t_get1(t, i)
    return t_select(t, d, i)


def _dimarg(d: int, n: int, fname: str) -> None:
    """Torch7 takes no dimension below 1 here (only `sub` and `x[...]` count from the end)."""
    if d < 1:
        raise TorchError(f"bad argument #{n} to '{fname}' (dimension {_numstr(d)} out of range)")


def _numstr(v: Any) -> str:
    return "%.14g" % v if isinstance(v, (int, float)) else str(v)


def t_transpose(t: Tensor, d1: int, d2: int) -> Tensor:
    if d1 < 1 or d2 < 1:
        _dimarg(d1, 1, "transpose")
        _dimarg(d2, 2, "transpose")
    return t.transpose(d1 - 1, d2 - 1)


def t_t(t: Tensor) -> Tensor:
    if len(t.size) != 2:
        raise TorchError("t() expects a 2D tensor, but self is " + str(len(t.size)) + "D")
    return t.transpose(0, 1)


def t_permute(t: Tensor, *dims: int) -> Tensor:
    for i, d in enumerate(dims):
        if not isinstance(d, (int, float)):
            raise TorchError(f"bad argument #{i + 1} to 'permute' (number expected)")
        _dimarg(d, i + 1, "permute")
    return t.permute([int(d) - 1 for d in dims])


def t_unfold(t: Tensor, d: int, size: int, step: int) -> Tensor:
    return t.unfold(d - 1, size, step)


def t_view(t: Tensor, *sizes: int) -> Tensor:
    return t.view(sizes)


def t_view_storage(t: Tensor, s: Storage) -> Tensor:
    return t.view(tuple(int(v) for v in s.buf))


def t_expand(t: Tensor, *sizes: int) -> Tensor:
    return t.expand(sizes)


def t_expand_storage(t: Tensor, s: Storage) -> Tensor:
    return t.expand(tuple(int(v) for v in s.buf))


def t_squeeze(t: Tensor, d: Optional[int] = None) -> Tensor:
    if d is not None:
        _dimarg(d, 1, "squeeze")
    return t.squeeze(None if d is None else d - 1)


def t_squeeze_any(t: Tensor, d: Optional[int] = None) -> Any:
    """torch.squeeze: a one-element vector left over is the number itself, as in Torch7,
    unless one dimension of a tensor of several was squeezed."""
    if d is not None:
        _dimarg(d, 2, "squeeze")
    s = t.squeeze(None if d is None else d - 1)
    if len(s.size) == 1 and s.size[0] == 1 and (d is None or len(t.size) == 1):
        return s.a.item(0)
    return s


def t_squeeze_(t: Tensor, d: Optional[int] = None) -> None:
    if d is not None:
        _dimarg(d, 1, "squeeze")
    s = t.squeeze(None if d is None else d - 1)
    t.set_geometry(s.storage, s.offset, s.size, s.stride)


def t_unsqueeze(t: Tensor, d: int) -> Tensor:
    _dimarg(d, 1, "unsqueeze")
    return t.unsqueeze(d - 1)


def _home(t: Tensor) -> Any:
    """Where a new tensor made from `t` goes: the CPU for a CPU tensor, else the current GPU
    (cutorch allocates every new storage there, whichever device the source lives on)."""
    dev = t.storage.device
    if dev.index < 0:
        return dev
    return backend.current_gpu() or dev


def t_contiguous(t: Tensor) -> Tensor:
    """`t` itself when contiguous (Lua keeps the same object), else a contiguous copy on the
    current device (cutorch's newContiguous is a newClone)."""
    return t if t.is_contiguous() else t.clone(_home(t))


def t_clone(t: Tensor) -> Tensor:
    """A contiguous copy of `t`: for a GPU tensor, on the current GPU."""
    return t.clone(_home(t))


# -- data ----------------------------------------------------------------------------------------
def t_copy(dst: Tensor, src: Tensor) -> None:
    dst.copy_from(src)


def _cnum(buf: Any, v: Any) -> Any:
    """`v` as C converts a double to `buf`'s element type (NumPy refuses out-of-range ints)."""
    return ival(buf.dtype, v) if buf.dtype.kind in "iu" else v


def t_fill(t: Tensor, v: float) -> None:
    if t.size:
        try:
            t.a.fill(v)
        except (OverflowError, ValueError):
            t.a.fill(_cnum(t.a, v))


def t_zero(t: Tensor) -> None:
    if t.size:
        t.a.fill(0)


def t_get1(t: Tensor, i: int) -> Any:
    """x[i] on a 1-D tensor."""
    if type(i) is float:
        i = _truncated(i, "index")
    n = t.size[0]
    if i < 0:
        i += n + 1
    if not 1 <= i <= n:
        raise TorchError(f"index out of bound: index {i} is out of range for a tensor of size {n}")
    return t.a.item(i - 1)


def t_set1(t: Tensor, i: int, v: float) -> None:
    n = t.size[0]
    if i < 0:
        i += n + 1
    if not 1 <= i <= n:
        raise TorchError(f"index out of bound: index {i} is out of range for a tensor of size {n}")
    try:
        t.a[i - 1] = v
    except (OverflowError, ValueError):
        t.a[i - 1] = _cnum(t.a, v)


def _elem_index(t: Tensor, idx: tuple) -> tuple:
    if len(idx) != len(t.size):
        raise TorchError(f"wrong number of indices: {len(idx)} for a {len(t.size)}D tensor")
    out = []
    for d, i in enumerate(idx):
        n = t.size[d]
        if i < 0:
            i += n + 1
        if not 1 <= i <= n:
            raise TorchError(f"index out of bound: index {i} at dimension {d + 1} is out of range "
                             f"(size {n})")
        out.append(i - 1)
    return tuple(out)


def t_get(t: Tensor, *idx: int) -> Any:
    """x[{i,j,...}] with one index per dimension."""
    return t.a.item(_elem_index(t, idx))


def t_setv(t: Tensor, v: float, *idx: int) -> None:
    i = _elem_index(t, idx)
    try:
        t.a[i] = v
    except (OverflowError, ValueError):
        t.a[i] = _cnum(t.a, v)


def t_get_storage_idx(t: Tensor, s: Storage) -> Any:
    return t.a.item(_elem_index(t, tuple(int(v) for v in s.buf)))


def t_equal(a: Tensor, b: Tensor) -> bool:
    if a.size != b.size:
        return False
    if not a.size:
        return True
    return bool(a.xp.array_equal(a.a, b.a))


def t_typeconv(t: Tensor, tname: str) -> Tensor:
    """A copy of `t` converted to type `tname` (same sizes)."""
    # NOTE: as cutorch's Tensor:type, a converted tensor goes to the type's device: the CPU,
    # or the current GPU (so :cuda() on a tensor of GPU 2 while GPU 1 is current moves it)
    out = Tensor.empty(t.size, _dtype(tname), _device(None, tname))
    if t.size:
        out.copy_from(t)
    return out


# -- storages ------------------------------------------------------------------------------------
def s_new(tname: str, n: int = 0, dev: Any = None) -> Storage:
    if not isinstance(n, int) or n < 0:
        raise TorchError("bad argument #1 to 'Storage' (size must be a non-negative integer)")
    return Storage.new(n, _dtype(tname), _device(dev, tname))


def s_new_mapped(tname: str, path: str, shared: bool, n: int, sharedmem: bool) -> Storage:
    """torch.XStorage(filename [, shared [, size [, sharedMem]]]): a storage over a mapped file.

    As TH's map allocator: shared maps write to the file (created or grown to `n` elements),
    private ones are copy-on-write over a file that must hold them; `n` 0 maps the whole file.
    A shared-memory storage lives in /dev/shm (shm_open's name) and is removed when freed.
    """
    dt = _dtype(tname)
    n = int(n or 0)
    if n < 0:
        raise TorchError("bad argument #3 to 'Storage' (size must be non-negative)")
    sharedmem = bool(shared and sharedmem)
    if sharedmem:
        path = os.path.join("/dev/shm", path.lstrip("/"))
    try:
        if shared:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                have = os.fstat(fd).st_size
                if n and have < n * dt.itemsize:
                    os.ftruncate(fd, n * dt.itemsize)
            finally:
                os.close(fd)
        else:
            have = os.stat(path).st_size
            if n and have < n * dt.itemsize:
                raise TorchError(f"file <{path}> size is smaller than the required mapping size "
                                 f"<{n * dt.itemsize}>")
    except OSError as e:
        raise TorchError(f"unable to open file <{path}> in read-write mode "
                         f"({e.strerror})" if shared else
                         f"unable to open file <{path}> in read-only mode ({e.strerror})") from None
    if not n:
        n = have // dt.itemsize
        if not n:
            raise TorchError(f"unable to mmap an empty file <{path}>")
    buf = np.memmap(path, dtype=dt, mode="r+" if shared else "c", shape=(n,))
    st = Storage(buf)
    if sharedmem:
        weakref.finalize(st, _unlink_quietly, path)
    return st


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def s_from_table(tname: str, values: Any, n: int) -> Storage:
    vals = np.fromiter((values[i] for i in range(1, n + 1)), dtype=np.float64, count=n)
    dev = _device(None, tname)
    return Storage(dev.send(vals.astype(_dtype(tname))), dev)


def s_view(st: Storage, offset: int, n: int) -> Storage:
    """A storage sharing memory with `st` from 1-based `offset` (Torch7's Storage(st, off, n))."""
    if offset < 1 or n < 0 or offset - 1 + n > st.size():
        raise TorchError("bad argument to 'Storage' (out of bounds)")
    return Storage(st.buf[offset - 1:offset - 1 + n], st.device)


def s_size(st: Storage) -> int:
    return st.size()


def s_get(st: Storage, i: int) -> Any:
    n = st.size()
    if not 1 <= i <= n:
        raise TorchError(f"index out of bound: index {i} is out of range for a storage of size {n}")
    return st.buf.item(i - 1)


def s_set(st: Storage, i: int, v: float) -> None:
    n = st.size()
    if not 1 <= i <= n:
        raise TorchError(f"index out of bound: index {i} is out of range for a storage of size {n}")
    try:
        st.buf[i - 1] = v
    except (OverflowError, ValueError):
        st.buf[i - 1] = _cnum(st.buf, v)


def s_resize(st: Storage, n: int) -> None:
    st.resize(n)


def s_fill(st: Storage, v: float) -> None:
    try:
        st.buf.fill(v)
    except (OverflowError, ValueError):
        st.buf.fill(_cnum(st.buf, v))


def s_copy(dst: Storage, src: Any) -> None:
    buf = src.buf if isinstance(src, Storage) else src.a.reshape(-1)
    if buf.shape[0] != dst.size():
        raise TorchError(f"size mismatch in storage copy: {dst.size()} and {buf.shape[0]}")
    dst.buf[...] = dst.device.send(buf)


def s_values(st: Storage) -> tuple:
    """All values as multiple returns (small storages only, e.g. sizes)."""
    return tuple(st.buf.tolist())


def s_typename(st: Storage) -> str:
    name = T.DTYPE_NAME[st.dtype]
    return name if st.device.index < 0 else T.CUDA_NAME[name]


def s_data_ptr(st: Storage) -> int:
    return st.buf.ctypes.data


def s_as_tensor(st: Storage) -> Tensor:
    """A 1-D tensor over the whole storage (used to share element-wise code)."""
    return Tensor(st, 0, (st.size(),))


def s_bytes(st: Storage) -> bytes:
    """The raw bytes of a Byte/Char storage (for `storage:string()`)."""
    return st.buf.tobytes()


def s_from_string(st: Storage, data: bytes) -> None:
    if isinstance(data, str):
        data = data.encode("latin-1")
    arr = np.frombuffer(data, dtype=np.uint8).view(st.dtype)
    st.resize(arr.shape[0])
    st.buf[...] = arr


def size_string(*sizes: int) -> str:
    """`[2 x 3]`-style text for error messages."""
    return size_str(sizes)


EXPORTS = {k: v for k, v in dict(globals()).items()
           if (k.startswith("t_") or k.startswith("s_")) and callable(v)}
EXPORTS["size_string"] = size_string
