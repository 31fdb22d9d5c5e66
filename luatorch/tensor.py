"""Storage and Tensor: a 1-D buffer plus offset / size / stride, with Torch7's view semantics.

Indices here are 0-based; the 1-based Lua world is translated in `luatorch.bridge`.
"""

from __future__ import annotations

import weakref
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from luatorch import backend
from luatorch.backend import cpu
from luatorch.backend.cpu import Device


class TorchError(Exception):
    """An error with Torch7's wording; the runtime shows it as a Lua error at the caller's line."""


# Torch7 type name -> NumPy dtype.  Order matters: it is the order of `torch.*Tensor` classes.
TYPES = {
    "Byte": np.dtype(np.uint8),
    "Char": np.dtype(np.int8),
    "Short": np.dtype(np.int16),
    "Int": np.dtype(np.int32),
    "Long": np.dtype(np.int64),
    "Float": np.dtype(np.float32),
    "Half": np.dtype(np.float16),
    "Double": np.dtype(np.float64),
}
DTYPE_NAME = {v: k for k, v in TYPES.items()}
# cutorch's types: the same element types on a GPU ('Cuda' is float, as torch.CudaTensor).
CUDA_NAME = {k: ("Cuda" if k == "Float" else "Cuda" + k) for k in TYPES}
CUDA_TYPES = {CUDA_NAME[k]: v for k, v in TYPES.items()}

# Bytes allocated since the Lua collector last ran: the runtime runs Lua's collector when
# buffers pile up, since Lua cannot see their size (Torch7 solved this with heap tracking).
# `epoch` counts those collections: the other Lua states of the process (threads workers)
# catch up at their next safe point, since a buffer allocated in one state is often dropped
# in another (a loader's batch, dropped by the training state).
GC_EVERY = 64 << 20
_alloc = {"since_gc": 0, "epoch": 0}
_gc_hook: list = []


# How many times a GPU tensor's geometry or a GPU storage's buffer changed (resize, set,
# reallocation): cutorch.graph replays a captured step only while this stands still, since a
# captured kernel keeps the addresses and sizes it was launched with.
GPU_EPOCH = [0]


def _track(nbytes: int) -> None:
    _alloc["since_gc"] += nbytes
    if _alloc["since_gc"] > GC_EVERY and _gc_hook:
        _alloc["since_gc"] = 0
        _alloc["epoch"] += 1
        _gc_hook[0]()


class _Views(list):
    """Weak references to the tensors viewing a storage (cheaper than a WeakSet per tensor)."""

    # `limit`: the length at which dead references are next dropped.  It doubles with the
    # live count, so that a storage with thousands of views awaiting Lua's collector (a loop
    # selecting rows) is not rescanned every few appends
    __slots__ = ("limit",)

    def __init__(self) -> None:
        super().__init__()
        self.limit = 64

    def live(self) -> list:
        return [t for t in (r() for r in list.__iter__(self)) if t is not None]

    def compact(self) -> None:
        self[:] = [r for r in list.__iter__(self) if r() is not None]
        self.limit = max(64, 2 * list.__len__(self))

    def discard(self, t: "Tensor") -> None:
        self[:] = [r for r in list.__iter__(self) if r() is not t and r() is not None]

    def __len__(self) -> int:
        return len(self.live())

    def __iter__(self):
        return iter(self.live())


_ref = weakref.ref
_ALL = slice(None)


class Storage:
    """A resizable 1-D buffer on one device; tensors are views into it."""

    __slots__ = ("buf", "device", "views", "__weakref__")

    def __init__(self, buf: Any, device: Device = cpu):
        self.buf = buf
        self.device = device
        self.views = _Views()
        if buf.nbytes:
            _track(buf.nbytes)

    @classmethod
    def new(cls, n: int, dtype: Any, device: Device = cpu) -> "Storage":
        """A storage of `n` zero-filled elements (Torch7 leaves them undefined)."""
        return cls(device.zeros(n, dtype), device)

    @property
    def dtype(self) -> np.dtype:
        return self.buf.dtype

    def size(self) -> int:
        return self.buf.shape[0]

    def resize(self, n: int) -> None:
        """Reallocate to `n` elements, keeping the common prefix; every view follows."""
        old = self.buf
        if n == old.shape[0]:
            return
        if isinstance(old, np.memmap):
            raise TorchError("cannot realloc mapped data")
        dev = self.device
        if dev.index >= 0:
            GPU_EPOCH[0] += 1
            # NOTE: as THCStorage_resize, a GPU storage is reallocated on the current device
            # (its old contents copied over from wherever they were)
            gpus = backend.gpus
            if gpus.devices:
                dev = gpus.devices[gpus.current]
        new = dev.zeros(n, old.dtype)
        m = min(n, old.shape[0])
        if m:
            new[:m] = old[:m] if dev is self.device else dev.send(old[:m])
        self.buf = new
        self.device = dev
        _track(new.nbytes)
        for t in self.views.live():
            t._refresh()


def contiguous_strides(size: Sequence[int]) -> tuple:
    """Row-major element strides for `size`."""
    st = []
    acc = 1
    for s in reversed(size):
        st.append(acc)
        acc *= s
    return tuple(reversed(st))


class Tensor:
    """A strided view of a Storage.  `a` is the cached NumPy/CuPy view used by kernels."""

    __slots__ = ("storage", "offset", "size", "stride", "a", "__weakref__")

    def __init__(self, storage: Storage, offset: int = 0, size: Iterable[int] = (),
                 stride: Optional[Iterable[int]] = None, a: Any = None):
        size = tuple(size)
        if 0 in size:
            size = ()
        self.storage = storage
        self.offset = offset
        self.size = size
        self.stride = tuple(stride) if stride is not None else contiguous_strides(size)
        views = storage.views
        views.append(_ref(self))
        if list.__len__(views) >= views.limit:
            views.compact()
        if a is not None:
            self.a = a
        elif size:
            self.a = storage.device.view(storage.buf, offset, size, self.stride)
        else:
            self.a = storage.buf[0:0]

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def empty(cls, size: Sequence[int], dtype: Any, device: Device = cpu) -> "Tensor":
        """A new contiguous tensor (zero-filled)."""
        size = tuple(int(s) for s in size)
        n = 1
        for s in size:
            n *= s
        if not size:
            n = 0
        return cls(Storage.new(n, dtype, device), 0, size)

    @classmethod
    def uninitialized(cls, size: Sequence[int], dtype: Any, device: Device = cpu) -> "Tensor":
        """A new contiguous tensor whose contents the caller overwrites at once."""
        size = tuple(int(s) for s in size)
        n = 1
        for s in size:
            n *= s
        return cls(Storage(device.empty(n if size else 0, dtype), device), 0, size)

    @classmethod
    def from_array(cls, arr: Any, dtype: Any = None, device: Device = cpu) -> "Tensor":
        """A new tensor holding a copy of `arr`."""
        arr = device.xp.asarray(device.send(arr) if device is not cpu else arr)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        buf = device.xp.ascontiguousarray(arr).reshape(-1).copy()
        return cls(Storage(buf, device), 0, arr.shape)

    @classmethod
    def wrap(cls, arr: Any, device: Device = cpu) -> "Tensor":
        """A tensor sharing memory with `arr` when it is a positive-strided view, else a copy."""
        if arr.ndim == 0:
            arr = arr.reshape(1)
        isz = arr.itemsize
        if arr.size and all(s >= 0 and s % isz == 0 for s in arr.strides):
            base = arr
            while base.base is not None and isinstance(base.base, type(arr)):
                base = base.base
            if base.flags.c_contiguous and base.ndim >= 1:
                flat = base.reshape(-1)
                off_bytes = arr.__array_interface__["data"][0] - flat.__array_interface__["data"][0]
                if 0 <= off_bytes and off_bytes % isz == 0:
                    st = Storage(flat, device)
                    strides = tuple(s // isz for s in arr.strides)
                    return cls(st, off_bytes // isz, arr.shape, strides)
        return cls.from_array(arr, device=device)

    # -- geometry -----------------------------------------------------------------------------
    def _refresh(self) -> None:
        st = self.storage
        if self.size:
            self.a = st.device.view(st.buf, self.offset, self.size, self.stride)
        else:
            self.a = st.buf[0:0]

    @property
    def dtype(self) -> np.dtype:
        return self.storage.buf.dtype

    @property
    def xp(self) -> Any:
        return self.storage.device.xp

    def dim(self) -> int:
        return len(self.size)

    def numel(self) -> int:
        return self.a.size

    def is_contiguous(self) -> bool:
        return self.stride == contiguous_strides(self.size) or all(
            s == 1 for s in self.size)

    def set_geometry(self, storage: Storage, offset: int, size: Sequence[int],
                     stride: Optional[Sequence[int]] = None) -> None:
        """Point this tensor at `storage` with the given geometry (Torch7's `set`)."""
        same = storage is self.storage
        if not same:
            self.storage.views.discard(self)
            self.storage = storage
            storage.views.append(_ref(self))
        size = tuple(int(s) for s in size)
        if any(s == 0 for s in size):
            size = ()
        stride = (tuple(int(s) for s in stride) if stride is not None
                  else contiguous_strides(size))
        if storage.device.index >= 0 and not (same and self.offset == offset
                                              and self.size == size and self.stride == stride):
            GPU_EPOCH[0] += 1
        self.offset = int(offset)
        self.size = size
        self.stride = stride
        need = self.offset + sum((s - 1) * t for s, t in zip(size, self.stride)) + 1 if size else 0
        if need > storage.size():
            storage.resize(need)
        else:
            self._refresh()

    def resize(self, size: Sequence[int]) -> None:
        """Torch7 resize: contiguous strides, storage grown only when too small.

        A tensor that already has the size keeps its geometry, strided or not, as TH's resizeNd.
        """
        size = tuple(int(s) for s in size)
        if any(s < 0 for s in size):
            raise TorchError("invalid size: sizes must be non-negative")
        if size == self.size:
            return
        self.set_geometry(self.storage, self.offset, size)

    def view_of(self, offset: int, size: Sequence[int], stride: Sequence[int]) -> "Tensor":
        """A new tensor on the same storage."""
        return Tensor(self.storage, offset, size, stride)

    def _dim(self, d: int) -> int:
        n = len(self.size)
        if d < 0:
            d += n
        if not 0 <= d < n:
            raise TorchError(f"dimension {d + 1} out of range of {n}D tensor")
        return d

    def narrow(self, d: int, start: int, length: int) -> "Tensor":
        d = self._dim(d)
        if start < 0 or length < 1 or start + length > self.size[d]:
            raise TorchError("out of range")
        size = list(self.size)
        size[d] = length
        # NOTE: indexing the parent's array is a view of the same memory, several times
        # cheaper than building one over the storage's buffer
        a = self.a[(_ALL,) * d + (slice(start, start + length),)]
        return Tensor(self.storage, self.offset + start * self.stride[d], size, self.stride, a)

    def select(self, d: int, i: int) -> "Tensor":
        d = self._dim(d)
        if len(self.size) == 1:
            raise TorchError("cannot select on a vector")
        if i < 0:
            i += self.size[d]
        if not 0 <= i < self.size[d]:
            raise TorchError("out of range")
        size = self.size[:d] + self.size[d + 1:]
        stride = self.stride[:d] + self.stride[d + 1:]
        return Tensor(self.storage, self.offset + i * self.stride[d], size, stride,
                      self.a[(_ALL,) * d + (i,)])

    def transpose(self, d1: int, d2: int) -> "Tensor":
        d1, d2 = self._dim(d1), self._dim(d2)
        size, stride = list(self.size), list(self.stride)
        size[d1], size[d2] = size[d2], size[d1]
        stride[d1], stride[d2] = stride[d2], stride[d1]
        return self.view_of(self.offset, size, stride)

    def permute(self, dims: Sequence[int]) -> "Tensor":
        dims = [self._dim(d) for d in dims]
        if sorted(dims) != list(range(len(self.size))):
            raise TorchError("invalid permutation")
        return self.view_of(self.offset, [self.size[d] for d in dims],
                            [self.stride[d] for d in dims])

    def unfold(self, d: int, size: int, step: int) -> "Tensor":
        d = self._dim(d) if self.size else 0
        if size > self.size[d]:
            raise TorchError(f"size '{size}' is bigger than dimension {d + 1} of the tensor")
        if step <= 0:
            raise TorchError("step must be positive")
        sz = list(self.size)
        st = list(self.stride)
        sz[d] = (self.size[d] - size) // step + 1
        st[d] = self.stride[d] * step
        return self.view_of(self.offset, sz + [size], st + [self.stride[d]])

    def view(self, size: Sequence[int]) -> "Tensor":
        size = list(size)
        n = self.numel()
        if size.count(-1) > 1:
            raise TorchError("only one dimension can be inferred")
        if -1 in size:
            known = 1
            for s in size:
                if s != -1:
                    known *= s
            if known == 0 or n % known:
                raise TorchError("size mismatch: cannot infer the -1 dimension")
            size[size.index(-1)] = n // known
        m = 1
        for s in size:
            m *= s
        if m != n:
            raise TorchError(f"size mismatch: cannot view {n} elements as "
                             f"{'x'.join(str(s) for s in size)}")
        if not self.is_contiguous():
            raise TorchError("input is not contiguous")
        return self.view_of(self.offset, size, contiguous_strides(size))

    def expand(self, size: Sequence[int]) -> "Tensor":
        size = list(size)
        if not self.size and size and all(s > 0 for s in size):
            # an empty tensor has nothing to repeat: a view of it would read past its storage
            raise TorchError("expand: cannot expand an empty tensor")
        if len(size) < len(self.size):
            raise TorchError("the number of dimensions provided must be greater or equal "
                             "tensor.dim()")
        pad = len(size) - len(self.size)
        osz = [1] * pad + list(self.size)
        ost = [0] * pad + list(self.stride)
        st = []
        for i, s in enumerate(size):
            if osz[i] == s:
                st.append(ost[i])
            elif osz[i] == 1:
                st.append(0)
            else:
                raise TorchError("incorrect size: only supporting singleton expansion "
                                 "(size=1)")
        return self.view_of(self.offset, size, st)

    def squeeze(self, d: Optional[int] = None) -> "Tensor":
        if d is None:
            keep = [i for i, s in enumerate(self.size) if s != 1]
            if not keep and self.size:
                keep = []
                return self.view_of(self.offset, [1], [1])
        else:
            d = self._dim(d)
            if self.size[d] != 1 or len(self.size) == 1:
                return self.view_of(self.offset, self.size, self.stride)
            keep = [i for i in range(len(self.size)) if i != d]
        return self.view_of(self.offset, [self.size[i] for i in keep],
                            [self.stride[i] for i in keep])

    def unsqueeze(self, d: int) -> "Tensor":
        n = len(self.size)
        if d < 0:
            d += n + 1
        if not 0 <= d <= n:
            raise TorchError(f"dimension {d + 1} out of range")
        size = list(self.size)
        stride = list(self.stride)
        st = stride[d] * size[d] if d < n else 1
        size.insert(d, 1)
        stride.insert(d, st)
        return self.view_of(self.offset, size, stride)

    # -- data -----------------------------------------------------------------------------------
    def contiguous(self) -> "Tensor":
        """Self when contiguous, else a contiguous copy."""
        if self.is_contiguous():
            return self
        return self.clone()

    def clone(self, device: Optional[Device] = None) -> "Tensor":
        """A contiguous copy, on `device` (default: this tensor's own)."""
        dev = device or self.storage.device
        out = Tensor.uninitialized(self.size, self.dtype, dev)
        if self.size:
            out.a[...] = self.a if dev is self.storage.device else dev.send(self.a)
        return out

    def copy_from(self, src: "Tensor") -> None:
        """Element-wise copy in row-major order; element counts must match, shapes need not."""
        n = self.numel()
        if src.numel() != n:
            raise TorchError(f"inconsistent tensor size, expected tensor {_sz(self.size)} and "
                             f"src {_sz(src.size)} to have the same number of elements, but got "
                             f"{n} and {src.numel()} elements respectively")
        if n == 0:
            return
        s = src.a
        dev = self.storage.device
        if src.storage.device is not dev:
            s = dev.send(s)
        if s.shape != self.a.shape:
            s = s.reshape(self.a.shape) if src.is_contiguous() else s.copy().reshape(self.a.shape)
        if s.dtype != self.dtype and self.dtype.kind in "iu" and s.dtype.kind == "f":
            s = self.xp.trunc(s)
        self.a[...] = s


def _sz(size: Sequence[int]) -> str:
    return "[" + " x ".join(str(s) for s in size) + "]"


def size_str(size: Sequence[int]) -> str:
    """Torch7's `[2 x 3]` spelling of a size."""
    return _sz(size)
