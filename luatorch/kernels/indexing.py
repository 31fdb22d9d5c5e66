"""Index and mask operations of Torch7 (index, indexCopy/Add/Fill, gather, scatter, masked*,
nonzero), as door functions.

Indices arrive as LongTensors of 1-based positions and dimensions as 1-based numbers; both become
0-based here.  Masks are ByteTensors holding 0 or 1 with as many elements as the tensor they
mask (shapes need not match: elements pair up in row-major order, as in Torch7).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from luatorch.kernels.pointwise import scalar
from luatorch.tensor import Tensor, TorchError, size_str


def _dim(t: Tensor, dim: Any, argn: int, fname: str) -> int:
    """1-based dimension -> 0-based, checked against `t`."""
    n = len(t.size)
    d = int(dim) - 1
    if not 0 <= d < n:
        raise TorchError(f"bad argument #{argn} to '{fname}' (Indexing dim {int(dim)} is out of "
                         f"bounds of tensor of dimension {n})")
    return d


def _positions(idx: Tensor) -> Any:
    """The index tensor's values as integers (cutorch also takes a CudaTensor of positions)."""
    a = idx.a
    return a if a.dtype.kind in "iu" else a.astype(idx.xp.int64)


def _vector_index(idx: Tensor, n: int, argn: int, fname: str) -> Any:
    """A 1-D LongTensor of 1-based positions into a dimension of size `n`, as 0-based ints."""
    if len(idx.size) != 1:
        raise TorchError(f"bad argument #{argn} to '{fname}' (Index is supposed to be a vector)")
    ids = _positions(idx) - 1
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= n):
        raise TorchError(f"bad argument #{argn} to '{fname}' (index out of range)")
    return ids


def _key(d: int, ids: Any) -> tuple:
    return (slice(None),) * d + (ids,)


def ix_index(r: Tensor, src: Tensor, dim: Any, idx: Tensor) -> None:
    """res = the slices of `src` along `dim` named by `idx` (Torch7's index / indexSelect)."""
    if not src.size:
        raise TorchError("bad argument #1 to 'index' (Source tensor is empty)")
    d = _dim(src, dim, 2, "index")
    ids = _vector_index(idx, src.size[d], 3, "index")
    vals = src.xp.take(src.a, ids, axis=d)
    size = vals.shape
    if r.size != size:
        r.resize(size)
    if r.size:
        r.a[...] = vals


def _slices_source(t: Tensor, d: int, n: int, src: Tensor, fname: str) -> Any:
    """`src` seen as the `n` slices along `d` that t[..., ids, ...] expects."""
    shape = t.size[:d] + (n,) + t.size[d + 1:]
    if src.size == shape:
        return src.a
    if len(src.size) == len(shape) and src.size[d] != n:
        raise TorchError(f"bad argument #3 to '{fname}' (Number of indices should be equal to "
                         f"source:size(dim))")
    if src.numel() != int(np.prod(shape)):
        raise TorchError(f"bad argument #3 to '{fname}' (inconsistent tensor size: source "
                         f"{size_str(src.size)} for {n} slices of {size_str(t.size)})")
    return src.a.reshape(shape)


def ix_index_copy(t: Tensor, dim: Any, idx: Tensor, src: Tensor) -> None:
    """t's slices along `dim` named by `idx` receive src's slices in order."""
    d = _dim(t, dim, 1, "indexCopy")
    ids = _vector_index(idx, t.size[d], 2, "indexCopy")
    vals = _slices_source(t, d, ids.shape[0], src, "indexCopy")
    if t.storage is src.storage:
        vals = vals.copy()
    t.a[_key(d, ids)] = vals


def ix_index_add(t: Tensor, dim: Any, idx: Tensor, src: Tensor) -> None:
    """src's slices are added into t's slices named by `idx` (repeated indices accumulate)."""
    d = _dim(t, dim, 1, "indexAdd")
    ids = _vector_index(idx, t.size[d], 2, "indexAdd")
    vals = _slices_source(t, d, ids.shape[0], src, "indexAdd")
    if t.storage is src.storage:
        vals = vals.copy()
    t.xp.add.at(t.a, _key(d, ids), vals)


def ix_index_fill(t: Tensor, dim: Any, idx: Tensor, v: Any) -> None:
    """t's slices along `dim` named by `idx` are filled with `v`."""
    d = _dim(t, dim, 1, "indexFill")
    ids = _vector_index(idx, t.size[d], 2, "indexFill")
    t.a[_key(d, ids)] = scalar(t, v)


def _along_index(t: Tensor, idx: Tensor, d: int, fname: str, what: str) -> Any:
    """0-based positions of `idx` (same rank as `t`), checked against t.size[d]."""
    if len(idx.size) != len(t.size):
        raise TorchError(f"bad argument #3 to '{fname}' (Index tensor must have same dimensions "
                         f"as {what} tensor)")
    ids = _positions(idx) - 1
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= t.size[d]):
        raise TorchError(f"Invalid index in {fname}: index out of range")
    return ids


def ix_gather(r: Tensor, src: Tensor, dim: Any, idx: Tensor) -> None:
    """res[i][j] = src[idx[i][j]][j] for dim 1 (and alike for other dims); res has idx's size."""
    d = _dim(src, dim, 2, "gather")
    ids = _along_index(src, idx, d, "gather", "input")
    for i, (s, n) in enumerate(zip(src.size, idx.size)):
        if i != d and s != n:
            raise TorchError(f"inconsistent tensor size: index {size_str(idx.size)} and source "
                             f"{size_str(src.size)} differ outside dimension {d + 1}")
    vals = src.xp.take_along_axis(src.a, ids, axis=d)
    if r.size != idx.size:
        r.resize(idx.size)
    if r.size:
        r.a[...] = vals


def _scatter_checks(t: Tensor, idx: Tensor, d: int, other: Any = None) -> Any:
    ids = _along_index(t, idx, d, "scatter", "output")
    for i, (s, n) in enumerate(zip(t.size, idx.size)):
        if i != d and s != n:
            raise TorchError(f"inconsistent tensor size: index {size_str(idx.size)} and tensor "
                             f"{size_str(t.size)} differ outside dimension {d + 1}")
    return ids


def ix_scatter(t: Tensor, dim: Any, idx: Tensor, src: Tensor) -> None:
    """t[idx[i][j]][j] = src[i][j] for dim 1 (and alike for other dims)."""
    d = _dim(t, dim, 1, "scatter")
    ids = _scatter_checks(t, idx, d)
    if len(src.size) != len(t.size):
        raise TorchError("bad argument #4 to 'scatter' (Input tensor must have same dimensions "
                         "as output tensor)")
    key = tuple(slice(0, n) for n in idx.size)
    for s, n in zip(src.size, idx.size):
        if s < n:
            raise TorchError(f"inconsistent tensor size: index {size_str(idx.size)} and source "
                             f"{size_str(src.size)}")
    vals = src.a[key]
    if t.storage is src.storage:
        vals = vals.copy()
    t.xp.put_along_axis(t.a, ids, vals, axis=d)


def ix_scatter_fill(t: Tensor, dim: Any, idx: Tensor, v: Any) -> None:
    """t[idx[i][j]][j] = v for dim 1 (and alike for other dims)."""
    d = _dim(t, dim, 1, "scatter")
    ids = _scatter_checks(t, idx, d)
    t.xp.put_along_axis(t.a, ids, scalar(t, v), axis=d)


def _mask(t: Tensor, mask: Tensor, fname: str) -> Any:
    """The mask as a boolean array of `t`'s shape."""
    m = mask.a
    if m.size != t.a.size or (not t.size) != (not mask.size):
        raise TorchError(f"inconsistent tensor size, expected tensor {size_str(t.size)} and mask "
                         f"{size_str(mask.size)} to have the same number of elements, but got "
                         f"{t.numel()} and {mask.numel()} elements respectively")
    if m.size and int(m.max()) > 1:
        raise TorchError(f"bad argument #1 to '{fname}' (Mask tensor can take 0 and 1 values "
                         f"only)")
    if m.shape != t.a.shape:
        m = m.reshape(t.a.shape)
    return m.astype(bool)


def ix_masked_select(r: Tensor, src: Tensor, mask: Tensor) -> None:
    """res = the elements of `src` where `mask` is 1, as a 1-D tensor (row-major order)."""
    m = _mask(src, mask, "maskedSelect")
    vals = src.a[m] if src.size else src.a
    n = int(vals.shape[0])
    if r.size != ((n,) if n else ()):
        r.resize((n,))
    if n:
        r.a[...] = vals


def ix_masked_copy(t: Tensor, mask: Tensor, src: Tensor) -> None:
    """The elements of `t` where `mask` is 1 receive src's first elements, in order."""
    m = _mask(t, mask, "maskedCopy")
    if not t.size:
        return
    count = int(m.sum())
    if src.numel() < count:
        raise TorchError("bad argument #2 to 'maskedCopy' (Number of elements of src < number "
                         "of ones in mask)")
    vals = src.a.reshape(-1)[:count]
    if t.storage is src.storage:
        vals = vals.copy()
    t.a[m] = vals


def ix_masked_fill(t: Tensor, mask: Tensor, v: Any) -> None:
    """The elements of `t` where `mask` is 1 are set to `v`."""
    m = _mask(t, mask, "maskedFill")
    if t.size:
        t.a[m] = scalar(t, v)


def ix_nonzero(r: Tensor, src: Tensor) -> None:
    """res = an N x dim LongTensor of the 1-based positions of src's non-zero elements."""
    if not src.size:
        r.resize(())
        return
    xp = src.xp
    pos = xp.nonzero(src.a)
    n = int(pos[0].shape[0])
    if n == 0:
        r.resize(())
        return
    vals = xp.stack(pos, axis=1) + 1
    size = (n, len(src.size))
    if r.size != size:
        r.resize(size)
    r.a[...] = vals


EXPORTS = {k: v for k, v in dict(globals()).items() if k.startswith("ix_") and callable(v)}
