"""Spatial reshaping kernels of nn (THNN's job): zero / reflection / replication padding (2-D and
3-D), nearest and bilinear up-sampling, pixel shuffle.  One door call per updateOutput /
updateGradInput.

Forward passes gather with one index array per padded (or up-sampled) axis.  Backward passes fold
gradOutput back one axis at a time: output positions that read the same input position are
grouped (`_fold`), and the k-th member of every group is added in one vectorised step, so the
Python loop runs over the largest group size (the pad width, the scale), never over pixels.
Arrays come from the tensors' own module (`t.xp`); float32 stays float32.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from luatorch.kernels.activation import fit
from luatorch.kernels.common import on_axis, table_cache
from luatorch.tensor import Tensor, TorchError, size_str

_cached = table_cache(256)  # index maps and fold steps, per geometry


def _frame(x: Tensor, nd: int) -> tuple:
    if len(x.size) not in (nd + 1, nd + 2):
        raise TorchError(f"{nd + 1}D or {nd + 2}D (batch mode) tensor expected for input, but "
                         f"got: {size_str(x.size)}")
    return x.size[:-nd], x.size[-nd:]


def _groups(xp: Any, idx: np.ndarray, n: int) -> list:
    """For an index map (output position -> input position), the steps of its fold: per step
    (input positions or None for all of them in order, output positions), each input position
    at most once per step."""
    def make() -> list:
        order = np.argsort(idx, kind="stable")
        uniq, starts, counts = np.unique(idx[order], return_index=True, return_counts=True)
        steps = []
        for k in range(int(counts.max()) if counts.size else 0):
            ok = counts > k
            ins = uniq[ok]
            full = ins.size == n and bool((ins == np.arange(n)).all())
            steps.append((None if full else xp.asarray(ins), xp.asarray(order[starts[ok] + k])))
        return steps
    return _cached(("groups", xp.__name__, idx.tobytes(), n), make)


def _fold(xp: Any, src: Any, idx: np.ndarray, n: int, axis: int, out: Any = None) -> Any:
    """out[..., i, ...] = sum of src[..., j, ...] over the j with idx[j] == i (axis from the
    end); the transpose of gathering with `idx`."""
    shape = list(src.shape)
    shape[src.ndim - axis] = n
    if out is None:
        out = xp.zeros(shape, dtype=src.dtype)
    else:
        out[...] = 0
    for ins, outs in _groups(xp, idx, n):
        part = xp.take(src, outs, axis=src.ndim - axis)
        if ins is None:
            out += part
        else:
            out[on_axis(axis, ins)] += part
    return out


# -- padding -------------------------------------------------------------------------------------
def _pad_map(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Input position read by every output position of one padded axis."""
    r = np.arange(n + before + after) - before
    if mode == "reflect":
        r = np.abs(r)
        r = (n - 1) - np.abs((n - 1) - r)
    else:
        r = np.clip(r, 0, n - 1)
    return r


def _pad_index(xp: Any, n: int, before: int, after: int, mode: str) -> Any:
    """`_pad_map` as an array of the tensors' module (kept)."""
    return _cached(("padmap", xp.__name__, n, before, after, mode),
                   lambda: xp.asarray(_pad_map(n, before, after, mode)))


def _pads(nd: int, pl: int, pr: int, pt: int, pb: int, pf: int, pk: int) -> list:
    """(before, after) per padded axis, outermost first: (front, back), (top, bottom), (left,
    right)."""
    p = [(int(pt), int(pb)), (int(pl), int(pr))]
    return ([(int(pf), int(pk))] + p) if nd == 3 else p


def _pad_check(x: Tensor, nd: int, pads: list, mode: str) -> tuple:
    if mode == "zero":
        if len(x.size) not in (nd + 1, nd + 2):
            raise TorchError(f"input must be {nd + 1} or {nd + 2}-dimensional")
        lead, sizes = x.size[:-nd], x.size[-nd:]
    else:
        lead, sizes = _frame(x, nd)
    outs = tuple(n + a + b for n, (a, b) in zip(sizes, pads))
    if any(o < 1 for o in outs):
        if mode == "zero":
            raise TorchError("input is too small")
        names = "DHW"[-nd:]
        ins = ", ".join(f"{c}: {n}" for c, n in zip(names, sizes))
        ots = " ".join(f"{c}: {o}" for c, o in zip(names, outs))
        raise TorchError(f"input ({ins}) is too small. Calculated output {ots}")
    if mode == "reflect":
        for dim, (n, (a, b)) in enumerate(zip(sizes, pads)):
            if a >= n or b >= n:
                raise TorchError(f"Padding size should be less than the corresponding input "
                                 f"dimension, but got: padding ({a}, {b}) at dimension "
                                 f"{len(lead) + dim + 1} of input {size_str(x.size)}")
    return lead, sizes, outs


def _crop_slices(sizes: Sequence[int], pads: list) -> tuple:
    """(output slices, input slices) of the part of the input that survives (zero padding)."""
    osl, isl = [], []
    for n, (a, b) in zip(sizes, pads):
        i0, i1 = max(0, -a), n - max(0, -b)
        o0 = max(0, a)
        osl.append(slice(o0, o0 + i1 - i0))
        isl.append(slice(i0, i1))
    return (Ellipsis,) + tuple(osl), (Ellipsis,) + tuple(isl)


def sp_pad_fwd(out: Tensor, x: Tensor, mode: str, nd: int, pl: int, pr: int, pt: int, pb: int,
               pf: int = 0, pk: int = 0) -> None:
    """Pad (negative pads crop) the last nd dimensions: mode 'zero', 'reflect' or 'replicate';
    pads (left, right, top, bottom[, front, back])."""
    nd = int(nd)
    pads = _pads(nd, pl, pr, pt, pb, pf, pk)
    lead, sizes, outs = _pad_check(x, nd, pads, mode)
    xp = x.xp
    o = fit(out, tuple(lead) + outs)
    if mode == "zero":
        osl, isl = _crop_slices(sizes, pads)
        if any(a > 0 or b > 0 for a, b in pads):
            o[...] = 0
        o[osl] = x.a[isl]
        return
    a = x.a
    for i, (n, (b0, b1)) in enumerate(zip(sizes, pads)):
        idx = _pad_index(xp, n, b0, b1, mode)
        a = xp.take(a, idx, axis=a.ndim - (nd - i), out=o if i == nd - 1 else None)


def sp_pad_bwd(gi: Tensor, x: Tensor, g: Tensor, mode: str, nd: int, pl: int, pr: int, pt: int,
               pb: int, pf: int = 0, pk: int = 0) -> None:
    """gradInput of padding: gradOutput folded back onto the positions it was read from."""
    nd = int(nd)
    pads = _pads(nd, pl, pr, pt, pb, pf, pk)
    lead, sizes, outs = _pad_check(x, nd, pads, mode)
    if g.size != tuple(lead) + outs:
        raise TorchError(f"gradOutput{size_str(g.size)} should be of size "
                         f"{size_str(tuple(lead) + outs)}")
    xp = x.xp
    o = fit(gi, x.size)
    if mode == "zero":
        osl, isl = _crop_slices(sizes, pads)
        if any(a < 0 or b < 0 for a, b in pads):
            o[...] = 0
        o[isl] = g.a[osl]
        return
    a = g.a
    for i in range(nd - 1, -1, -1):  # innermost axis first
        n, (b0, b1) = sizes[i], pads[i]
        a = _fold(xp, a, _pad_map(n, b0, b1, mode), n, nd - i, o if i == 0 else None)


# -- up-sampling ---------------------------------------------------------------------------------
def _up_frame(x: Tensor) -> tuple:
    if len(x.size) not in (3, 4):
        raise TorchError(f"3D or 4D input tensor expected but got: {size_str(x.size)}")
    return x.size[:-2], x.size[-2:]


def sp_upnearest_fwd(out: Tensor, x: Tensor, scale: int) -> None:
    """Nearest-neighbour up-sampling of the last two dimensions by an integer factor."""
    s = int(scale)
    if s < 1:
        raise TorchError(f"scale_factor must be greater than 1, but got: {s}")
    lead, (H, W) = _up_frame(x)
    o = fit(out, tuple(lead) + (H * s, W * s))
    o.reshape(tuple(lead) + (H, s, W, s))[...] = x.a[..., :, None, :, None]


def sp_upnearest_bwd(gi: Tensor, x: Tensor, g: Tensor, scale: int) -> None:
    """gradInput of nearest up-sampling: the sum over each scale x scale block."""
    s = int(scale)
    lead, (H, W) = _up_frame(x)
    want = tuple(lead) + (H * s, W * s)
    if g.size != want:
        raise TorchError(f"gradOutput{size_str(g.size)} should be of size {size_str(want)}")
    xp = x.xp
    o = fit(gi, x.size)
    blocks = g.a.reshape(tuple(lead) + (H, s, W, s))
    xp.sum(xp.sum(blocks, axis=-1), axis=-2, out=o)


def _bilinear_taps(xp: Any, dtype: Any, n: int, o: int) -> tuple:
    """THNN's two taps per output position of one axis: (i0, i1, w0, w1), the position in
    float32 arithmetic, the weights in the tensor's type."""
    def make() -> tuple:
        f32 = np.float32
        r = f32(n - 1) / f32(o - 1) if o > 1 else f32(0)
        pos = r * np.arange(o, dtype=f32)
        i0 = pos.astype(np.int64)
        step = (i0 < n - 1).astype(np.int64)
        lam1 = (pos - i0.astype(f32)).astype(dtype)
        lam0 = (np.asarray(1, dtype=dtype) - lam1).astype(dtype)
        i1 = i0 + step
        return i0, i1, xp.asarray(i0), xp.asarray(i1), xp.asarray(lam0), xp.asarray(lam1)
    return _cached(("taps", xp.__name__, str(np.dtype(dtype)), n, o), make)


def _bilinear_check(lead: tuple, H: int, W: int, oH: int, oW: int) -> None:
    if H < 1 or W < 1 or oH < 1 or oW < 1:
        raise TorchError(f"input and output sizes should be greater than 0, but got input (H: {H}"
                         f", W: {W}) output (H: {oH}, W: {oW})")


def sp_upbilinear_fwd(out: Tensor, x: Tensor, oH: int, oW: int) -> None:
    """Bilinear up-sampling of the last two dimensions to oH x oW (corners aligned)."""
    oH, oW = int(oH), int(oW)
    lead, (H, W) = _up_frame(x)
    _bilinear_check(lead, H, W, oH, oW)
    xp = x.xp
    a = x.a
    o = fit(out, tuple(lead) + (oH, oW))
    if (H, W) == (oH, oW):
        o[...] = a
        return
    _, _, w0, w1, lw0, lw1 = _bilinear_taps(xp, a.dtype, W, oW)
    _, _, h0, h1, lh0, lh1 = _bilinear_taps(xp, a.dtype, H, oH)
    rows = xp.take(a, w0, axis=-1) * lw0 + xp.take(a, w1, axis=-1) * lw1
    top = xp.take(rows, h0, axis=-2)
    top *= lh0[:, None]
    bot = xp.take(rows, h1, axis=-2)
    bot *= lh1[:, None]
    xp.add(top, bot, out=o)


def sp_upbilinear_bwd(gi: Tensor, x: Tensor, g: Tensor, oH: int, oW: int) -> None:
    """gradInput of bilinear up-sampling: both taps of both axes folded back."""
    oH, oW = int(oH), int(oW)
    lead, (H, W) = _up_frame(x)
    _bilinear_check(lead, H, W, oH, oW)
    want = tuple(lead) + (oH, oW)
    if g.size != want:
        raise TorchError(f"gradOutput{size_str(g.size)} should be of size {size_str(want)}")
    xp = x.xp
    ga = g.a
    o = fit(gi, x.size)
    if (H, W) == (oH, oW):
        o[...] = ga
        return
    h0, h1, _, _, lh0, lh1 = _bilinear_taps(xp, ga.dtype, H, oH)
    w0, w1, _, _, lw0, lw1 = _bilinear_taps(xp, ga.dtype, W, oW)
    rows = _fold(xp, ga * lh0[:, None], h0, H, 2)
    rows += _fold(xp, ga * lh1[:, None], h1, H, 2)
    _fold(xp, rows * lw0, w0, W, 1, o)
    o += _fold(xp, rows * lw1, w1, W, 1)


# -- pixel shuffle -------------------------------------------------------------------------------
def _shuffle_frame(x: Tensor, r: int) -> tuple:
    if len(x.size) not in (3, 4):
        raise TorchError(f"3D or 4D (batch mode) tensor expected for input, but got: "
                         f"{size_str(x.size)}")
    if r < 1:
        raise TorchError(f"upscale factor should be positive, but got {r}")
    c, H, W = x.size[-3:]
    if c % (r * r):
        raise TorchError(f"input channels ({c}) should be divisible by the squared upscale "
                         f"factor ({r * r})")
    return x.size[:-3], c // (r * r), H, W


def sp_shuffle_fwd(out: Tensor, x: Tensor, r: int) -> None:
    """PixelShuffle: [*, C r^2, H, W] -> [*, C, H r, W r]."""
    r = int(r)
    lead, c, H, W = _shuffle_frame(x, r)
    o = fit(out, tuple(lead) + (c, H * r, W * r))
    n = len(lead)
    src = x.a.reshape(tuple(lead) + (c, r, r, H, W))
    perm = tuple(range(n)) + tuple(n + i for i in (0, 3, 1, 4, 2))
    o.reshape(tuple(lead) + (c, H, r, W, r))[...] = src.transpose(perm)


def sp_shuffle_bwd(gi: Tensor, x: Tensor, g: Tensor, r: int) -> None:
    """gradInput of PixelShuffle: the inverse rearrangement."""
    r = int(r)
    lead, c, H, W = _shuffle_frame(x, r)
    want = tuple(lead) + (c, H * r, W * r)
    if g.size != want:
        raise TorchError(f"gradOutput{size_str(g.size)} should be of size {size_str(want)}")
    o = fit(gi, x.size)
    n = len(lead)
    src = g.a.reshape(tuple(lead) + (c, H, r, W, r))
    perm = tuple(range(n)) + tuple(n + i for i in (0, 2, 4, 1, 3))
    o.reshape(tuple(lead) + (c, r, r, H, W))[...] = src.transpose(perm)


EXPORTS = {
    "sp_pad_fwd": sp_pad_fwd,
    "sp_pad_bwd": sp_pad_bwd,
    "sp_upnearest_fwd": sp_upnearest_fwd,
    "sp_upnearest_bwd": sp_upnearest_bwd,
    "sp_upbilinear_fwd": sp_upbilinear_fwd,
    "sp_upbilinear_bwd": sp_upbilinear_bwd,
    "sp_shuffle_fwd": sp_shuffle_fwd,
    "sp_shuffle_bwd": sp_shuffle_bwd,
}
