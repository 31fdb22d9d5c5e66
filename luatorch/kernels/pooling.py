"""Pooling kernels of nn (THNN's job): max, average, adaptive and fractional pooling over 2-D and
3-D windows, and max unpooling.  One door call per updateOutput / updateGradInput.

Pooling is separable: the max (or sum) over a box is the max (or sum) over its rows of the max
(or sum) over its columns.  So windows are read one axis at a time, as strided views of the
(padded) planes, one view per kernel offset: the Python work is a loop over kernel offsets, never
over pixels, planes or batch elements.  The argmax rides along as a flat position inside the
plane; window slabs later in the scan hold strictly larger positions, so "position of the first
strict maximum" (Torch7's tie rule) is a running `max(position, mask * candidate)`.  Windows
that tile the planes (stride = kernel, no padding, dilation 1: LeNet's 2 x 2 pooling) take a
faster path through the same scan: the column offsets become single long strided views and the
argmax is kept as a small in-window code until one final add of the windows' base positions.

Indices are kept as Torch7 keeps them, in a LongTensor shaped like the output: spatial max
pooling (and adaptive / fractional max pooling) stores the 1-based flat position of the maximum
inside its input plane; volumetric max pooling stores the maximum's (t, h, w) offsets inside its
window packed in the low bytes (t + 256 h + 65536 w).  The backward passes scatter gradOutput
to those positions in one step: a fancy assignment when windows do not overlap (a position is
then the maximum of at most one window), an unbuffered `add.at` when they do (measured 7-8x
faster than a loop over the kernel offsets).  Average pooling spreads gradOutput back one axis
at a time (one strided add per kernel offset), or with one broadcast assignment when the windows
tile the planes.  Arrays come from the tensors' own module (`t.xp`), so the same code serves
NumPy and CuPy; float32 stays float32.
"""

from __future__ import annotations

from typing import Any, Sequence

from luatorch.kernels.activation import fit
from luatorch.kernels.common import on_axis, table_cache
from luatorch.tensor import Tensor, TorchError, size_str

# geometry-keyed tables (flat positions, divisors, window selectors)
_cached = table_cache(256)


# -- geometry ------------------------------------------------------------------------------------
def out_size(n: int, k: int, d: int, p: int, dil: int, ceil: bool) -> int:
    """THNN's pooled size: op((n + 2p - (dil (k - 1) + 1)) / d) + 1, the last window starting
    inside the image (or its left/top padding)."""
    num = n + 2 * p - (dil * (k - 1) + 1)
    o = (-((-num) // d) if ceil else num // d) + 1
    if p and (o - 1) * d >= n + p:
        o -= 1
    return o


def _frame(x: Tensor, nd: int) -> tuple:
    """(leading sizes, pooled sizes) of an input with nd pooled dimensions (+ planes, + batch)."""
    if len(x.size) not in (nd + 1, nd + 2):
        raise TorchError(f"{nd + 1}D or {nd + 2}D (batch mode) tensor expected for input, but "
                         f"got: {size_str(x.size)}")
    return x.size[:-nd], x.size[-nd:]


def _planes(a: Any, nd: int) -> Any:
    """The array as (planes, *pooled sizes) (a view when the layout allows)."""
    return a.reshape((-1,) + a.shape[-nd:])


def _check_grad(g: Tensor, lead: tuple, outs: Sequence[int]) -> None:
    """THNN's gradOutput shape check (dimension count and sizes)."""
    want = tuple(lead) + tuple(outs)
    if g.size != want:
        n = len(want)
        for dim, s in enumerate(want):
            if len(g.size) != n or g.size[dim] != s:
                raise TorchError(f"Need gradOutput of dimension {n} and gradOutput.size[{dim}] "
                                 f"== {s} but got gradOutput to be of shape: {size_str(g.size)}")


def _positive(what: str, vals: Sequence[int], names: str) -> None:
    if any(v <= 0 for v in vals):
        got = " ".join(f"{n}: {v}" for n, v in zip(names.split(), vals))
        raise TorchError(f"{what} should be greater than zero, but got {got}")


def _pool_geometry(x: Tensor, ks: tuple, ds: tuple, ps: tuple, dils: tuple, ceil: bool) -> tuple:
    """Validate and return (leading sizes, input sizes, output sizes); axes ordered (T,) H, W."""
    nd = len(ks)
    names = "kT kH kW" if nd == 3 else "kH kW"
    _positive("kernel size", ks, names)
    _positive("stride", ds, names.replace("k", "d"))
    _positive("dilation", dils, names.replace("k", "dilation"))
    lead, sizes = _frame(x, nd)
    if any(k // 2 < p for k, p in zip(ks, ps)) or any(p < 0 for p in ps):
        if nd == 2:
            got = f"padW = {ps[1]}, padH = {ps[0]}, kW = {ks[1]}, kH = {ks[0]}"
        else:
            got = (f"kT: {ks[0]} kW: {ks[2]}, kH: {ks[1]}, padT: {ps[0]}, padW: {ps[2]}, "
                   f"padH: {ps[1]}")
        raise TorchError(f"pad should be smaller than half of kernel size, but got {got}")
    outs = tuple(out_size(n, k, d, p, dil, ceil) for n, k, d, p, dil in
                 zip(sizes, ks, ds, ps, dils))
    if any(o < 1 for o in outs):
        c = lead[-1]
        ins = "x".join(str(s) for s in (c,) + sizes)
        ots = "x".join(str(s) for s in (c,) + outs)
        raise TorchError(f"Given input size: ({ins}). Calculated output size: ({ots}). "
                         "Output size is too small")
    return lead, sizes, outs


def _extent(o: int, k: int, d: int, dil: int) -> int:
    """Rows (or columns) spanned by o windows."""
    return (o - 1) * d + (k - 1) * dil + 1


def _needs_pad(sizes: tuple, outs: tuple, ks: tuple, ds: tuple, ps: tuple, dils: tuple) -> bool:
    return any(p or _extent(o, k, d, dil) > n
               for n, o, k, d, p, dil in zip(sizes, outs, ks, ds, ps, dils))


def _padded(xp: Any, a: Any, sizes: tuple, outs: tuple, ks: tuple, ds: tuple, ps: tuple,
            dils: tuple, fill: float) -> Any:
    """The planes embedded in a `fill`-valued array covering every window (padding, ceil-mode
    overhang); rows no window reaches are dropped."""
    ext = tuple(_extent(o, k, d, dil) for o, k, d, dil in zip(outs, ks, ds, dils))
    buf = xp.full((a.shape[0],) + ext, fill, dtype=a.dtype)
    dst = (slice(None),) + tuple(slice(p, min(e, p + n)) for n, e, p in zip(sizes, ext, ps))
    src = (slice(None),) + tuple(slice(0, min(n, e - p)) for n, e, p in zip(sizes, ext, ps))
    buf[dst] = a[src]
    return buf


def _window_slice(m: int, o: int, d: int, dil: int) -> slice:
    """Offset m of every window along one axis of the (padded) planes."""
    return slice(m * dil, m * dil + (o - 1) * d + 1, d)


def _flat_positions(xp: Any, sizes: tuple, outs: tuple, ks: tuple, ds: tuple, ps: tuple,
                    dils: tuple, padded: bool, dtype: Any) -> Any:
    """Flat position inside the plane of every element of the (padded) planes; padding takes the
    position of the nearest element of its axis (it never wins: its value is -inf)."""
    def make() -> Any:
        flat = xp.zeros((1,) * len(sizes), dtype=dtype)
        stride = 1
        for ax in range(len(sizes) - 1, -1, -1):
            n = sizes[ax]
            if padded:
                e = _extent(outs[ax], ks[ax], ds[ax], dils[ax])
                pos = xp.clip(xp.arange(e) - ps[ax], 0, n - 1)
            else:
                pos = xp.arange(n)
            shape = [1] * len(sizes)
            shape[ax] = -1
            flat = flat + (pos * stride).astype(dtype).reshape(shape)
            stride *= n
        return flat
    return _cached(("flat", xp.__name__, sizes, outs, ks, ds, ps, dils, padded, dtype), make)


def _index_dtype(xp: Any, sizes: tuple) -> Any:
    """The narrowest integer type holding a flat position inside a plane (less memory traffic)."""
    n = 1
    for s in sizes:
        n *= s
    return xp.int16 if n < 2 ** 15 else xp.int32 if n < 2 ** 31 else xp.int64


# -- the max-pooling engine ----------------------------------------------------------------------
def _max_axis(xp: Any, a: Any, f: Any, axis: int, sels: Sequence[Any], out: Any = None,
              step: int | None = None) -> tuple:
    """Running (max, argmax position) over the window offsets `sels` of one axis.

    `axis` counts from the end (1 = last); each selector is a slice (a strided view), a 1-D index
    array (the same windows for every plane) or an index array shaped like the result (windows
    per plane); `f` holds the flat positions of `a`'s elements (broadcastable to `a`).  `step`,
    when known, is the constant position difference between the first two offsets.
    """
    def pick(arr: Any, s: Any) -> Any:
        if isinstance(s, slice):
            return arr[on_axis(axis, s)]
        if s.ndim == 1:
            return xp.take(arr, s, axis=arr.ndim - axis)
        if arr.ndim < s.ndim:
            arr = xp.broadcast_to(arr, a.shape)
        return xp.take_along_axis(arr, s, axis=arr.ndim - axis)

    c0 = pick(a, sels[0])
    f0 = pick(f, sels[0])
    m = out if out is not None else xp.empty(c0.shape, dtype=a.dtype)
    fm = xp.empty(c0.shape, dtype=f.dtype)
    if len(sels) == 1:
        m[...] = c0
        fm[...] = f0
        return m, fm
    c1 = pick(a, sels[1])
    mask = xp.greater(c1, c0)
    xp.maximum(c0, c1, out=m)
    if step == 1:
        xp.add(mask, f0, out=fm, dtype=f.dtype)
    elif step is not None:
        xp.multiply(mask, step, out=fm, dtype=f.dtype)
        xp.add(fm, f0, out=fm)
    else:
        xp.multiply(mask, pick(f, sels[1]), out=fm, dtype=f.dtype)
        xp.maximum(fm, f0, out=fm)
    tmp = None
    for s in sels[2:]:
        c = pick(a, s)
        xp.greater(c, m, out=mask)
        xp.maximum(m, c, out=m)
        tmp = xp.multiply(mask, pick(f, s), out=tmp, dtype=f.dtype)
        xp.maximum(fm, tmp, out=fm)
    return m, fm


def _max_reduce(xp: Any, planes: Any, flat: Any, axis_sels: Sequence[Sequence[Any]],
                out: Any, step: int | None = None) -> Any:
    """Max over separable windows: axis_sels[i] are the selectors of pooled axis i (first =
    outermost), the innermost axis first.  The max goes to `out`; returns the flat positions of
    the maxima.  `step`: the position step between the innermost axis' first two offsets."""
    a, f = planes, flat
    n = len(axis_sels)
    for i in range(n - 1, -1, -1):
        a, f = _max_axis(xp, a, f, n - i, axis_sels[i], out if i == 0 else None,
                         step if i == n - 1 else None)
    return f


def _regular_sels(outs: tuple, ks: tuple, ds: tuple, dils: tuple) -> list:
    return [[_window_slice(m, o, d, dil) for m in range(k)]
            for o, k, d, dil in zip(outs, ks, ds, dils)]


def _max_plan(x: Tensor, ks: tuple, ds: tuple, ps: tuple, dils: tuple, ceil: bool) -> tuple:
    """Validated geometry and tables of strided max pooling for this input size, computed once:
    (leading sizes, input sizes, output sizes, padded, flat positions, selectors, step)."""
    def make() -> tuple:
        k, d, p, dil = _ints(*ks), _ints(*ds), _ints(*ps), _ints(*dils)
        lead, sizes, outs = _pool_geometry(x, k, d, p, dil, bool(ceil))
        padded = _needs_pad(sizes, outs, k, d, p, dil)
        flat = _flat_positions(x.xp, sizes, outs, k, d, p, dil, padded,
                               _index_dtype(x.xp, sizes))
        return (lead, sizes, outs, padded, flat, _regular_sels(outs, k, d, dil),
                None if padded else dil[-1], (k, d, p, dil))
    return _cached(("maxplan", x.xp.__name__, x.size, ks, ds, ps, dils, bool(ceil)), make)


def _max_forward(x: Tensor, out: Tensor, ks: tuple, ds: tuple, ps: tuple, dils: tuple,
                 ceil: bool) -> tuple:
    """Shared forward of strided max pooling: (flat argmax positions, leading, sizes, outs)."""
    lead, sizes, outs, padded, flat, sels, step, geo = _max_plan(x, ks, ds, ps, dils, ceil)
    xp = x.xp
    nd = len(ks)
    planes = _planes(x.a, nd)
    if padded:
        planes = _padded(xp, planes, sizes, outs, *geo, -xp.inf)
    o = fit(out, lead + outs)
    f = _max_reduce(xp, planes, flat, sels, _planes(o, nd), step)
    return f, lead, sizes, outs


def _ints(*vals: Any) -> tuple:
    return tuple(int(v) for v in vals)


# -- SpatialMaxPooling / SpatialDilatedMaxPooling ----------------------------------------------
def _tiled_cols(a: Any, kh: int, kw: int, oh: int, ow: int) -> list:
    """The kw column offsets of the windows' rows of tiling kh x kw windows over planes `a`.

    When the windows span whole rows of contiguous planes, every offset is one 1-D view of
    stride kw through the windows' rows (P x kh*oh*ow): the ufuncs then run one long inner loop
    instead of one loop of ow elements per image row."""
    npl, _, W = a.shape
    if W == kw * ow and a.flags.c_contiguous:
        v = a.reshape(npl, -1, kw)[:, :kh * oh * ow]
        return [v[:, :, c] for c in range(kw)]
    rows = a[:, :kh * oh, :kw * ow]
    return [rows[:, :, c::kw] for c in range(kw)]


def _tiled_max2d(xp: Any, a: Any, kh: int, kw: int, oh: int, ow: int, o: Any, ia: Any) -> None:
    """Max pooling of planes `a` (P x H x W) by windows that tile them (stride = kernel, no
    padding, dilation 1): values into `o`, 1-based flat positions into `ia` (P x oh x ow each).

    The same separable scan as the general engine (columns first, then rows, a later offset
    winning only when strictly greater, np.maximum carrying NaN), so values, tie-breaking and
    NaN results are identical; but it keeps small per-window codes (row * W + column, in the
    narrowest integer type) and adds the windows' base positions once at the end."""
    npl, H, W = a.shape
    ct = _index_dtype(xp, (H, W))
    cols = _tiled_cols(a, kh, kw, oh, ow)
    # columns: running max over the kw offsets of every window row, and the winning column
    if kw == 1:
        m = cols[0]
        ci = xp.zeros(m.shape, dtype=ct)
    else:
        m = xp.maximum(cols[0], cols[1])
        ci = xp.greater(cols[1], cols[0])  # 0/1: the column for kw == 2, no conversion needed
        if kw > 2:
            ci = ci.astype(ct)
            mask = xp.empty(m.shape, dtype=bool)
            tmp = xp.empty(m.shape, dtype=ct)
            for c in range(2, kw):
                xp.greater(cols[c], m, out=mask)
                xp.maximum(m, cols[c], out=m)
                xp.multiply(mask, c, out=tmp, dtype=ct)
                xp.maximum(ci, tmp, out=ci)
    m = m.reshape(npl, oh, kh, ow)
    ci = ci.reshape(npl, oh, kh, ow)
    # rows: running max over the kh window rows; code = row * W + column of the winner (a later
    # row's codes are all larger, so "take the later row's code" is a max of mask * code)
    if kh == 1:
        o[...] = m[:, :, 0]
        code = ci[:, :, 0].astype(ct)
    else:
        m0 = m[:, :, 0]
        xp.maximum(m0, m[:, :, 1], out=o)
        # o > m0 is m1 > m0 (o is one of them; a NaN makes both false) and reads a contiguous o
        mask = xp.greater(o, m0)
        code = xp.add(ci[:, :, 1], W, dtype=ct)
        xp.multiply(code, mask, out=code)
        xp.maximum(code, ci[:, :, 0], out=code)
        if kh > 2:
            tmp = xp.empty(code.shape, dtype=ct)
            for r in range(2, kh):
                mr = m[:, :, r]
                xp.greater(mr, o, out=mask)
                xp.maximum(o, mr, out=o)
                xp.add(ci[:, :, r], r * W, out=tmp, dtype=ct)
                xp.multiply(tmp, mask, out=tmp)
                xp.maximum(code, tmp, out=code)
    base = _cached(("tilebase", xp.__name__, H, W, kh, kw, oh, ow, ct), lambda: (
        (xp.arange(oh) * (kh * W)).reshape(-1, 1) + xp.arange(ow) * kw + 1).astype(ct))
    xp.add(code, base, out=code)
    ia[...] = code


def _tiles(ks: tuple, ds: tuple, dils: tuple, padded: bool) -> bool:
    """Whether the windows tile the planes: stride = kernel, dilation 1, nothing past the edge
    (padding or a ceil-mode overhang makes `padded`)."""
    return not padded and ks == ds and all(d == 1 for d in dils)


def pool_max2d_fwd(out: Tensor, ind: Tensor, x: Tensor, kW: int, kH: int, dW: int, dH: int,
                   padW: int, padH: int, dilW: int, dilH: int, ceil: bool) -> tuple:
    """Max over kH x kW windows (stride, padding, dilation, ceil mode); `ind` gets the 1-based
    flat positions of the maxima.  Returns the input height and width."""
    ks, ds, ps, dils = (kH, kW), (dH, dW), (padH, padW), (dilH, dilW)
    lead, sizes, outs, padded, _, _, _, geo = _max_plan(x, ks, ds, ps, dils, ceil)
    if _tiles(geo[0], geo[1], geo[3], padded):
        o = fit(out, lead + outs)
        ia = fit(ind, lead + outs)
        _tiled_max2d(x.xp, _planes(x.a, 2), geo[0][0], geo[0][1], outs[0], outs[1],
                     _planes(o, 2), _planes(ia, 2))
        return sizes[0], sizes[1]
    f, lead, sizes, outs = _max_forward(x, out, ks, ds, ps, dils, ceil)
    ia = fit(ind, lead + outs)
    x.xp.add(f, 1, out=_planes(ia, 2))
    return sizes[0], sizes[1]


def pool_max2d_bwd(gi: Tensor, x: Tensor, g: Tensor, ind: Tensor, kW: int, kH: int, dW: int,
                   dH: int, padW: int, padH: int, dilW: int, dilH: int, ceil: bool) -> None:
    """gradInput of spatial max pooling from the stored indices."""
    lead, _, outs, _, _, _, _, (ks, ds, _, dils) = _max_plan(
        x, (kH, kW), (dH, dW), (padH, padW), (dilH, dilW), ceil)
    _check_grad(g, lead, outs)
    _check_indices(ind, lead, outs)
    fit(gi, x.size)
    _scatter_max(gi, _planes(g.a, 2), _planes(ind.a, 2), 2, 1, _disjoint(ks, ds, dils))


def _disjoint(ks: tuple, ds: tuple, dils: tuple) -> bool:
    """Whether no two windows share an input element."""
    return all((k - 1) * dil < d for k, d, dil in zip(ks, ds, dils))


def _scatter_max(gi: Tensor, g: Any, pos: Any, nd: int, base: int, disjoint: bool) -> None:
    """gradInput = 0, then gradInput[plane, pos - base] += gradOutput for every output.

    `pos` holds flat positions inside the planes (`base`-based).  Positions that cannot repeat
    (disjoint windows) are written with one fancy assignment; repeats (overlapping windows) are
    accumulated with one unbuffered `add.at`.
    """
    xp = gi.xp
    gip = _planes(gi.a, nd)
    npl = gip.shape[0]
    plane = gip[0].size
    off = _cached(("planeoff", xp.__name__, npl, plane, base, pos.ndim), lambda: (
        xp.arange(npl, dtype=xp.int64) * plane - base).reshape((-1,) + (1,) * (pos.ndim - 1)))
    idx = xp.add(pos, off).reshape(-1)
    vals = g.reshape(-1)
    contiguous = gip.flags.c_contiguous
    flat = gip.reshape(-1) if contiguous else xp.zeros(gip.size, dtype=gip.dtype)
    if contiguous:
        flat.fill(0)
    if disjoint:
        flat[idx] = vals
    else:
        _add_at(xp, flat, idx, vals)
    if not contiguous:
        gip[...] = flat.reshape(gip.shape)


def _add_at(xp: Any, flat: Any, idx: Any, vals: Any) -> None:
    """flat[idx] += vals with repeated indices accumulated."""
    try:
        xp.add.at(flat, idx, vals)
    except (AttributeError, NotImplementedError, TypeError):  # an array module without ufunc.at
        flat += xp.bincount(idx, weights=vals, minlength=flat.size).astype(flat.dtype)


def _check_indices(ind: Tensor, lead: tuple, outs: tuple) -> None:
    if ind.size != tuple(lead) + tuple(outs):
        raise TorchError(f"indices{size_str(ind.size)} do not match the output "
                         f"{size_str(tuple(lead) + tuple(outs))}: call updateOutput first")


# -- VolumetricMaxPooling ------------------------------------------------------------------------
def _vol_starts(xp: Any, outs: tuple, ds: tuple, ps: tuple) -> list:
    """Per axis, the nominal start of every window, shaped for broadcasting over (T, H, W)."""
    res = []
    for ax in range(3):
        shape = [1, 1, 1]
        shape[ax] = -1
        res.append((xp.arange(outs[ax]) * ds[ax] - ps[ax]).reshape(shape))
    return res


def _max3d_fwd(out: Tensor, ind: Tensor, x: Tensor, ks: tuple, ds: tuple, ps: tuple,
               dils: tuple, ceil: bool) -> tuple:
    """Volumetric max pooling, dilated or not: `ind` gets the maxima's kernel taps packed as
    Torch7 packs them (t + 256 h + 65536 w).  Returns the input time, height and width."""
    if max(ks) > 255:
        raise TorchError("kernel size should be at most 255 (indices hold byte offsets)")
    f, lead, sizes, outs = _max_forward(x, out, ks, ds, ps, dils, ceil)
    xp = x.xp
    T, Hh, W = sizes
    st = _vol_starts(xp, outs, ds, ps)
    f = f.astype(xp.int64, copy=False)
    t = f // (Hh * W) - st[0]
    h = (f // W) % Hh - st[1]
    w = f % W - st[2]
    if dils != (1, 1, 1):  # NOTE: skipped, not divided by 1, so undilated pooling costs no more
        t, h, w = t // dils[0], h // dils[1], w // dils[2]
    ia = fit(ind, tuple(lead) + outs)
    xp.add(t + (h << 8), w << 16, out=_planes(ia, 3))
    return sizes


def pool_max3d_fwd(out: Tensor, ind: Tensor, x: Tensor, kT: int, kW: int, kH: int, dT: int,
                   dW: int, dH: int, padT: int, padW: int, padH: int, ceil: bool) -> tuple:
    """Max over kT x kH x kW windows; `ind` gets Torch7's packed window offsets of the maxima
    (t + 256 h + 65536 w).  Returns the input time, height and width."""
    return _max3d_fwd(out, ind, x, _ints(kT, kH, kW), _ints(dT, dH, dW), _ints(padT, padH, padW),
                      (1, 1, 1), ceil)


def _unpack(xp: Any, ia: Any) -> tuple:
    return ia & 255, (ia >> 8) & 255, (ia >> 16) & 255


def _max3d_bwd(gi: Tensor, x: Tensor, g: Tensor, ind: Tensor, ks: tuple, ds: tuple, ps: tuple,
               dils: tuple, ceil: bool) -> None:
    """gradInput of volumetric max pooling, dilated or not, from the packed kernel taps."""
    lead, sizes, outs = _pool_geometry(x, ks, ds, ps, dils, bool(ceil))
    _check_grad(g, lead, outs)
    _check_indices(ind, lead, outs)
    fit(gi, x.size)
    xp = x.xp
    t, h, w = _unpack(xp, _planes(ind.a, 3))
    if dils != (1, 1, 1):  # NOTE: skipped, not multiplied by 1, so undilated pooling costs no more
        t, h, w = t * dils[0], h * dils[1], w * dils[2]
    st = _vol_starts(xp, outs, ds, ps)
    pos = ((t + st[0]) * sizes[1] + h + st[1]) * sizes[2] + w + st[2]
    _scatter_max(gi, _planes(g.a, 3), pos, 3, 0, _disjoint(ks, ds, dils))


def pool_max3d_bwd(gi: Tensor, x: Tensor, g: Tensor, ind: Tensor, kT: int, kW: int, kH: int,
                   dT: int, dW: int, dH: int, padT: int, padW: int, padH: int,
                   ceil: bool) -> None:
    """gradInput of volumetric max pooling from the packed window offsets."""
    _max3d_bwd(gi, x, g, ind, _ints(kT, kH, kW), _ints(dT, dH, dW), _ints(padT, padH, padW),
               (1, 1, 1), ceil)


# -- max unpooling -------------------------------------------------------------------------------
def _unpool_positions(xp: Any, x: Tensor, ind: Tensor, nd: int, osz: tuple, ds: tuple,
                      ps: tuple) -> Any:
    """0-based flat output positions of every input element (checked)."""
    if ind.size != x.size:
        raise TorchError(f"input{size_str(x.size)} and indices{size_str(ind.size)} must have "
                         "the same shape")
    ia = _planes(ind.a, nd)
    if ia.dtype.kind not in "iu":
        ia = ia.astype(xp.int64)
    if nd == 2:
        pos = ia - 1
    else:
        t, h, w = _unpack(xp, ia)
        st = _vol_starts(xp, x.size[-3:], ds, ps)
        tt, hh, ww = t + st[0], h + st[1], w + st[2]
        bad = (tt < 0) | (tt >= osz[0]) | (hh < 0) | (hh >= osz[1]) | (ww < 0) | (ww >= osz[2])
        pos = (tt * osz[1] + hh) * osz[2] + ww
        if bool(bad.any()):
            pos = xp.where(bad, -1, pos)
    n = 1
    for s in osz:
        n *= s
    bad = (pos < 0) | (pos >= n)
    if bool(bad.any()):
        v = int(pos[bad].reshape(-1)[0])
        raise TorchError(f"found an invalid max index {v} (output volumes are of size "
                         f"{'x'.join(str(s) for s in osz)})")
    return pos.reshape(ia.shape[0], -1)


def pool_unpool_fwd(out: Tensor, x: Tensor, ind: Tensor, nd: int, oT: int, oH: int, oW: int,
                    dT: int, dH: int, dW: int, pT: int, pH: int, pW: int) -> None:
    """Max unpooling: every input value goes to the output position its index names, the rest
    is zero (nd = 2: flat 1-based indices; nd = 3: packed window offsets)."""
    nd = int(nd)
    osz = _ints(oH, oW) if nd == 2 else _ints(oT, oH, oW)
    lead, _ = _frame(x, nd)
    xp = x.xp
    pos = _unpool_positions(xp, x, ind, nd, osz, _ints(dT, dH, dW), _ints(pT, pH, pW))
    o = fit(out, tuple(lead) + osz)
    o2 = o.reshape(pos.shape[0], -1)
    o2[...] = 0
    rows = xp.arange(pos.shape[0]).reshape(-1, 1)
    o2[rows, pos] = _planes(x.a, nd).reshape(pos.shape[0], -1)


def pool_unpool_bwd(gi: Tensor, x: Tensor, g: Tensor, ind: Tensor, nd: int, oT: int, oH: int,
                    oW: int, dT: int, dH: int, dW: int, pT: int, pH: int, pW: int) -> None:
    """gradInput of max unpooling: gradOutput read back at the indexed positions."""
    nd = int(nd)
    osz = _ints(oH, oW) if nd == 2 else _ints(oT, oH, oW)
    lead, _ = _frame(x, nd)
    if g.size != tuple(lead) + osz:
        got = "x".join(str(v) for v in g.size[-nd:])
        want = (f"oheight= {osz[0]}, owidth= {osz[1]}" if nd == 2 else
                f"oT= {osz[0]}, oH= {osz[1]}, oW= {osz[2]}")
        raise TorchError(f"Inconsistent gradOutput size. {want}, gradOutput: {got}")
    xp = x.xp
    pos = _unpool_positions(xp, x, ind, nd, osz, _ints(dT, dH, dW), _ints(pT, pH, pW))
    o = fit(gi, x.size)
    g2 = g.a.reshape(pos.shape[0], -1)
    o.reshape(pos.shape[0], -1)[...] = xp.take_along_axis(g2, pos, axis=1)


# -- average pooling -----------------------------------------------------------------------------
def _avg_geometry(x: Tensor, ks: tuple, ds: tuple, ps: tuple, ceil: bool) -> tuple:
    return _pool_geometry(x, ks, ds, ps, (1,) * len(ks), ceil)


def _avg_divisor(xp: Any, dtype: Any, sizes: tuple, outs: tuple, ks: tuple, ds: tuple,
                 ps: tuple, include_pad: bool) -> Any:
    """THNN's divide factor of every output (a scalar when they are all equal)."""
    def make() -> Any:
        cnt = None
        for ax, (n, o, k, d, p) in enumerate(zip(sizes, outs, ks, ds, ps)):
            start = xp.arange(o) * d - p
            end = xp.minimum(start + k, n + p)
            c = end - start if include_pad else xp.minimum(end, n) - xp.maximum(start, 0)
            shape = [1] * len(sizes)
            shape[ax] = -1
            c = c.reshape(shape)
            cnt = c if cnt is None else cnt * c
        flat = cnt.reshape(-1)
        if bool((flat == flat[0]).all()):
            return int(flat[0])
        return cnt.astype(dtype)
    return _cached(("div", xp.__name__, str(dtype), sizes, outs, ks, ds, ps, include_pad), make)


def _sum_axis(xp: Any, a: Any, axis: int, k: int, o: int, d: int, out: Any = None) -> Any:
    """Sum of the k window offsets along `axis` (counted from the end)."""
    s0 = a[on_axis(axis, _window_slice(0, o, d, 1))]
    if out is None:
        out = xp.empty(s0.shape, dtype=a.dtype)
    if k == 1:
        out[...] = s0
        return out
    xp.add(s0, a[on_axis(axis, _window_slice(1, o, d, 1))], out=out)
    for m in range(2, k):
        xp.add(out, a[on_axis(axis, _window_slice(m, o, d, 1))], out=out)
    return out


def _avg_forward(x: Tensor, out: Tensor, ks: tuple, ds: tuple, ps: tuple, ceil: bool,
                 include_pad: bool) -> None:
    lead, sizes, outs = _avg_geometry(x, ks, ds, ps, ceil)
    xp = x.xp
    nd = len(ks)
    dils = (1,) * nd
    planes = _planes(x.a, nd)
    if _needs_pad(sizes, outs, ks, ds, ps, dils):
        planes = _padded(xp, planes, sizes, outs, ks, ds, ps, dils, 0)
    o = _planes(fit(out, tuple(lead) + outs), nd)
    a = planes
    for i in range(nd - 1, -1, -1):
        a = _sum_axis(xp, a, nd - i, ks[i], outs[i], ds[i], o if i == 0 else None)
    div = _avg_divisor(xp, o.dtype, sizes, outs, ks, ds, ps, include_pad)
    if not isinstance(div, int) or div != 1:
        xp.divide(o, div if not isinstance(div, int) else o.dtype.type(div), out=o)


def _avg_backward(gi: Tensor, x: Tensor, g: Tensor, ks: tuple, ds: tuple, ps: tuple,
                  ceil: bool, include_pad: bool) -> None:
    lead, sizes, outs = _avg_geometry(x, ks, ds, ps, ceil)
    _check_grad(g, lead, outs)
    xp = x.xp
    nd = len(ks)
    dils = (1,) * nd
    ga = _planes(g.a, nd)
    div = _avg_divisor(xp, ga.dtype, sizes, outs, ks, ds, ps, include_pad)
    gq = xp.divide(ga, div if not isinstance(div, int) else ga.dtype.type(div))
    gip = _planes(fit(gi, x.size), nd)
    padded = _needs_pad(sizes, outs, ks, ds, ps, dils)
    if not padded and all(k == d and o * d == n for k, d, o, n in zip(ks, ds, outs, sizes)):
        # windows tile the planes exactly: one broadcast assignment
        shape = (ga.shape[0],) + tuple(v for o, k in zip(outs, ks) for v in (o, k))
        src = gq.reshape((ga.shape[0],) + tuple(v for o in outs for v in (o, 1)))
        gip.reshape(shape)[...] = src
        return
    ext = tuple(_extent(o, k, d, 1) for o, k, d in zip(outs, ks, ds))
    a = gq
    for i in range(nd):  # spread one axis at a time, outermost first
        shape = list(a.shape)
        shape[1 + i] = ext[i]
        b = xp.zeros(shape, dtype=a.dtype)
        for m in range(ks[i]):
            view = b[(slice(None),) * (1 + i) + (_window_slice(m, outs[i], ds[i], 1),)]
            view += a
        a = b
    dst = tuple(slice(0, min(n, e - p)) for n, e, p in zip(sizes, ext, ps))
    src = tuple(slice(p, min(e, p + n)) for n, e, p in zip(sizes, ext, ps))
    if any(s.stop < n for s, n in zip(dst, sizes)):
        gip[...] = 0
    gip[(slice(None),) + dst] = a[(slice(None),) + src]


def pool_avg2d_fwd(out: Tensor, x: Tensor, kW: int, kH: int, dW: int, dH: int, padW: int,
                   padH: int, ceil: bool, include_pad: bool) -> None:
    """Mean over kH x kW windows (zero padding, ceil mode, count_include_pad)."""
    _avg_forward(x, out, _ints(kH, kW), _ints(dH, dW), _ints(padH, padW), bool(ceil),
                 bool(include_pad))


def pool_avg2d_bwd(gi: Tensor, x: Tensor, g: Tensor, kW: int, kH: int, dW: int, dH: int,
                   padW: int, padH: int, ceil: bool, include_pad: bool) -> None:
    """gradInput of spatial average pooling."""
    _avg_backward(gi, x, g, _ints(kH, kW), _ints(dH, dW), _ints(padH, padW), bool(ceil),
                  bool(include_pad))


def pool_avg3d_fwd(out: Tensor, x: Tensor, kT: int, kW: int, kH: int, dT: int, dW: int,
                   dH: int, padT: int, padW: int, padH: int, ceil: bool,
                   include_pad: bool) -> None:
    """Mean over kT x kH x kW windows."""
    _avg_forward(x, out, _ints(kT, kH, kW), _ints(dT, dH, dW), _ints(padT, padH, padW),
                 bool(ceil), bool(include_pad))


def pool_avg3d_bwd(gi: Tensor, x: Tensor, g: Tensor, kT: int, kW: int, kH: int, dT: int,
                   dW: int, dH: int, padT: int, padW: int, padH: int, ceil: bool,
                   include_pad: bool) -> None:
    """gradInput of volumetric average pooling."""
    _avg_backward(gi, x, g, _ints(kT, kH, kW), _ints(dT, dH, dW), _ints(padT, padH, padW),
                  bool(ceil), bool(include_pad))


# -- adaptive pooling ----------------------------------------------------------------------------
def _adaptive_bounds(n: int, o: int) -> tuple:
    """Window starts and ends (THNN: floor(i n / o), ceil((i + 1) n / o))."""
    starts = [(i * n) // o for i in range(o)]
    ends = [-((-(i + 1) * n) // o) for i in range(o)]
    return starts, ends


def _adaptive_frame(x: Tensor, oW: int, oH: int) -> tuple:
    lead, sizes = _frame(x, 2)
    if oW < 1 or oH < 1:
        raise TorchError(f"output size should be greater than zero, but got oH: {oH} oW: {oW}")
    return lead, sizes, (int(oH), int(oW))


def _adaptive_matrix(xp: Any, dtype: Any, n: int, o: int) -> Any:
    """(o, n) averaging matrix of adaptive windows along one axis."""
    def make() -> Any:
        starts, ends = (xp.asarray(v).reshape(-1, 1) for v in _adaptive_bounds(n, o))
        cols = xp.arange(n).reshape(1, -1)
        inside = (cols >= starts) & (cols < ends)
        return (inside / (ends - starts)).astype(dtype)
    return _cached(("amat", xp.__name__, str(dtype), n, o), make)


def pool_adaptive_avg_fwd(out: Tensor, x: Tensor, oW: int, oH: int) -> None:
    """Mean over the adaptive windows that split each plane into oH x oW cells."""
    lead, (H, W), outs = _adaptive_frame(x, oW, oH)
    xp = x.xp
    # NOTE: contiguous first: matmul adds in another order on strided operands, and Torch7's
    # results do not depend on the input's layout
    a = xp.ascontiguousarray(_planes(x.a, 2))
    mh = _adaptive_matrix(xp, a.dtype, H, outs[0])
    mw = _adaptive_matrix(xp, a.dtype, W, outs[1])
    o = _planes(fit(out, tuple(lead) + outs), 2)
    xp.matmul(xp.matmul(mh, a), mw.T, out=o)


def pool_adaptive_avg_bwd(gi: Tensor, x: Tensor, g: Tensor) -> None:
    """gradInput of adaptive average pooling (the output size is gradOutput's)."""
    lead, (H, W) = _frame(x, 2)
    if len(g.size) != len(x.size) or g.size[:-2] != tuple(lead):
        raise TorchError(f"gradOutput{size_str(g.size)} does not match input"
                         f"{size_str(x.size)}")
    xp = x.xp
    ga = xp.ascontiguousarray(_planes(g.a, 2))
    mh = _adaptive_matrix(xp, ga.dtype, H, ga.shape[1])
    mw = _adaptive_matrix(xp, ga.dtype, W, ga.shape[2])
    o = _planes(fit(gi, x.size), 2)
    xp.matmul(xp.matmul(mh.T, ga), mw, out=o)


def _adaptive_sels(xp: Any, n: int, o: int) -> list:
    """Selectors of adaptive windows along one axis: offset m of each window, clipped to the
    window's last element (a repeat never wins the strict comparison)."""
    def make() -> list:
        starts, ends = _adaptive_bounds(n, o)
        kmax = max(e - s for s, e in zip(starts, ends))
        st = xp.asarray(starts)
        last = xp.asarray(ends) - 1
        return [xp.minimum(st + m, last) for m in range(kmax)]
    return _cached(("asel", xp.__name__, n, o), make)


def pool_adaptive_max_fwd(out: Tensor, ind: Tensor, x: Tensor, oW: int, oH: int) -> None:
    """Max over adaptive windows; `ind` gets the 1-based flat positions of the maxima."""
    lead, (H, W), outs = _adaptive_frame(x, oW, oH)
    xp = x.xp
    idt = _index_dtype(xp, (H, W))
    flat = _flat_positions(xp, (H, W), (H, W), (1, 1), (1, 1), (0, 0), (1, 1), False, idt)
    sels = [_adaptive_sels(xp, H, outs[0]), _adaptive_sels(xp, W, outs[1])]
    o = fit(out, tuple(lead) + outs)
    f = _max_reduce(xp, _planes(x.a, 2), flat, sels, _planes(o, 2))
    ia = fit(ind, tuple(lead) + outs)
    xp.add(f, 1, out=_planes(ia, 2))


def pool_adaptive_max_bwd(gi: Tensor, x: Tensor, g: Tensor, ind: Tensor) -> None:
    """gradInput of adaptive max pooling from the stored indices."""
    lead, _ = _frame(x, 2)
    if ind.size != g.size or g.size[:-2] != tuple(lead):
        raise TorchError(f"gradOutput{size_str(g.size)} does not match the indices"
                         f"{size_str(ind.size)}")
    fit(gi, x.size)
    _scatter_max(gi, _planes(g.a, 2), _planes(ind.a, 2), 2, 1, False)


# -- fractional max pooling ----------------------------------------------------------------------
def _fmp_sequence(xp: Any, u: Any, n: int, o: int, k: int) -> Any:
    """Torch7's pseudorandom window starts: for samples u (..., ) -> (..., o), in u's type."""
    dt = u.dtype
    if o == 1:
        return xp.full(u.shape + (1,), n - k, dtype=xp.int64)
    alpha = dt.type(n - k) / dt.type(o - 1)
    i = xp.arange(o - 1, dtype=dt)
    seq = ((i + u[..., None]) * alpha).astype(xp.int64) - (u * alpha).astype(xp.int64)[..., None]
    last = xp.full(u.shape + (1,), n - k, dtype=xp.int64)
    return xp.concatenate([seq, last], axis=-1)


def _fmp_geometry(x: Tensor, samples: Tensor, oW: int, oH: int, kW: int, kH: int) -> tuple:
    lead, (H, W) = _frame(x, 2)
    if not (oH + kH - 1 < H):
        raise TorchError(f"poolSizeH ({kH}) too large relative to input height ({H})")
    if not (oW + kW - 1 < W):
        raise TorchError(f"poolSizeW ({kW}) too large relative to input width ({W})")
    npl = 1
    for s in lead:
        npl *= s
    if samples.numel() != npl * 2:
        raise TorchError(f"random samples{size_str(samples.size)} do not match the input planes "
                         f"{size_str(tuple(lead))}")
    return lead, (H, W)


def pool_fmp_fwd(out: Tensor, ind: Tensor, x: Tensor, samples: Tensor, oW: int, oH: int,
                 kW: int, kH: int) -> None:
    """Fractional max pooling (Graham's pseudorandom overlapping kH x kW windows, one sample
    pair per plane: samples[..., 0] for the width, [..., 1] for the height)."""
    oW, oH, kW, kH = _ints(oW, oH, kW, kH)
    lead, (H, W) = _fmp_geometry(x, samples, oW, oH, kW, kH)
    xp = x.xp
    u = samples.a.reshape(-1, 2)
    seqW = _fmp_sequence(xp, u[:, 0], W, oW, kW)  # (planes, oW)
    seqH = _fmp_sequence(xp, u[:, 1], H, oH, kH)
    selW = [(seqW + m)[:, None, :] for m in range(kW)]
    selH = [(seqH + m)[:, :, None] for m in range(kH)]
    idt = _index_dtype(xp, (H, W))
    flat = _flat_positions(xp, (H, W), (H, W), (1, 1), (1, 1), (0, 0), (1, 1), False, idt)
    o = fit(out, tuple(lead) + (oH, oW))
    f = _max_reduce(xp, _planes(x.a, 2), flat, [selH, selW], _planes(o, 2))
    ia = fit(ind, tuple(lead) + (oH, oW))
    xp.add(f, 1, out=_planes(ia, 2))


def pool_fmp_bwd(gi: Tensor, x: Tensor, g: Tensor, ind: Tensor, oW: int, oH: int) -> None:
    """gradInput of fractional max pooling from the stored indices."""
    lead, _ = _frame(x, 2)
    if g.size[-1:] != (int(oW),):
        raise TorchError("gradOutput width unexpected")
    if g.size[-2:-1] != (int(oH),):
        raise TorchError("gradOutput height unexpected")
    if ind.size != g.size:
        raise TorchError(f"gradOutput{size_str(g.size)} does not match the indices"
                         f"{size_str(ind.size)}")
    fit(gi, x.size)
    _scatter_max(gi, _planes(g.a, 2), _planes(ind.a, 2), 2, 1, False)


# -- dilated volumetric max pooling --------------------------------------------------------------
def _dil3d(kT: int, kW: int, kH: int, dT: int, dW: int, dH: int, padT: int, padW: int,
           padH: int, dilT: int, dilW: int, dilH: int) -> tuple:
    """THNN's (T, W, H) argument order as (T, H, W) tuples: kernel, stride, padding, dilation."""
    return (_ints(kT, kH, kW), _ints(dT, dH, dW), _ints(padT, padH, padW),
            _ints(dilT, dilH, dilW))


def pool_dilmax3d_fwd(out: Tensor, ind: Tensor, x: Tensor, kT: int, kW: int, kH: int, dT: int,
                      dW: int, dH: int, padT: int, padW: int, padH: int, dilT: int, dilW: int,
                      dilH: int, ceil: bool) -> tuple:
    """Max over dilated kT x kH x kW windows; `ind` gets the maxima's kernel taps packed as
    Torch7 packs them (t + 256 h + 65536 w; with dilation 1 these are the window offsets of
    VolumetricMaxPooling).  Returns the input time, height and width."""
    return _max3d_fwd(out, ind, x, *_dil3d(kT, kW, kH, dT, dW, dH, padT, padW, padH, dilT, dilW,
                                           dilH), ceil)


def pool_dilmax3d_bwd(gi: Tensor, x: Tensor, g: Tensor, ind: Tensor, kT: int, kW: int, kH: int,
                      dT: int, dW: int, dH: int, padT: int, padW: int, padH: int, dilT: int,
                      dilW: int, dilH: int, ceil: bool) -> None:
    """gradInput of dilated volumetric max pooling from the packed kernel taps."""
    _max3d_bwd(gi, x, g, ind, *_dil3d(kT, kW, kH, dT, dW, dH, padT, padW, padH, dilT, dilW, dilH),
               ceil)


# -- volumetric fractional max pooling -----------------------------------------------------------
def _fmp3d_frame(x: Tensor, outs: tuple, ks: tuple) -> tuple:
    """(leading sizes, (H, W, T)) of a planes x H x W x T input (time last, as THNN has it)."""
    lead, sizes = _frame(x, 3)
    for name, o, k, n in zip(("H", "W", "T"), outs, ks, sizes):
        what = {"H": "height", "W": "width", "T": "time"}[name]
        if not (o + k - 1 < n):
            raise TorchError(f"poolSize{name} ({k}) too large relative to input {what} ({n})")
    return lead, sizes


def pool_fmp3d_fwd(out: Tensor, ind: Tensor, x: Tensor, samples: Tensor, oT: int, oW: int,
                   oH: int, kT: int, kW: int, kH: int) -> None:
    """Volumetric fractional max pooling of planes x H x W x T inputs: pseudorandom overlapping
    kH x kW x kT windows, one sample triple per plane (samples[..., 0] for the time, 1 for the
    width, 2 for the height); `ind` gets the 1-based flat position inside the plane."""
    outs, ks = _ints(oH, oW, oT), _ints(kH, kW, kT)
    lead, sizes = _fmp3d_frame(x, outs, ks)
    npl = 1
    for s in lead:
        npl *= s
    if samples.numel() != npl * 3:
        raise TorchError(f"random samples{size_str(samples.size)} do not match the input planes "
                         f"{size_str(tuple(lead))}")
    xp = x.xp
    u = samples.a.reshape(-1, 3)
    seqs = [_fmp_sequence(xp, u[:, 2 - ax], sizes[ax], outs[ax], ks[ax]) for ax in range(3)]
    sels = []
    for ax in range(3):
        shape = [npl, 1, 1, 1]
        shape[ax + 1] = outs[ax]
        sels.append([(seqs[ax] + m).reshape(shape) for m in range(ks[ax])])
    flat = _flat_positions(xp, sizes, sizes, (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1), False,
                           _index_dtype(xp, sizes))
    o = fit(out, tuple(lead) + outs)
    f = _max_reduce(xp, _planes(x.a, 3), flat, sels, _planes(o, 3))
    ia = fit(ind, tuple(lead) + outs)
    xp.add(f, 1, out=_planes(ia, 3))


def pool_fmp3d_bwd(gi: Tensor, x: Tensor, g: Tensor, ind: Tensor, oT: int, oW: int,
                   oH: int) -> None:
    """gradInput of volumetric fractional max pooling from the stored indices."""
    lead, _ = _frame(x, 3)
    want = tuple(lead) + _ints(oH, oW, oT)
    if g.size != want:
        raise TorchError(f"gradOutput{size_str(g.size)} should be of size {size_str(want)}")
    if ind.size != g.size:
        raise TorchError(f"gradOutput{size_str(g.size)} does not match the indices"
                         f"{size_str(ind.size)}")
    fit(gi, x.size)
    _scatter_max(gi, _planes(g.a, 3), _planes(ind.a, 3), 3, 1, False)


EXPORTS = {
    "pool_max2d_fwd": pool_max2d_fwd,
    "pool_max2d_bwd": pool_max2d_bwd,
    "pool_max3d_fwd": pool_max3d_fwd,
    "pool_max3d_bwd": pool_max3d_bwd,
    "pool_unpool_fwd": pool_unpool_fwd,
    "pool_unpool_bwd": pool_unpool_bwd,
    "pool_avg2d_fwd": pool_avg2d_fwd,
    "pool_avg2d_bwd": pool_avg2d_bwd,
    "pool_avg3d_fwd": pool_avg3d_fwd,
    "pool_avg3d_bwd": pool_avg3d_bwd,
    "pool_adaptive_avg_fwd": pool_adaptive_avg_fwd,
    "pool_adaptive_avg_bwd": pool_adaptive_avg_bwd,
    "pool_adaptive_max_fwd": pool_adaptive_max_fwd,
    "pool_adaptive_max_bwd": pool_adaptive_max_bwd,
    "pool_fmp_fwd": pool_fmp_fwd,
    "pool_fmp_bwd": pool_fmp_bwd,
    "pool_dilmax3d_fwd": pool_dilmax3d_fwd,
    "pool_dilmax3d_bwd": pool_dilmax3d_bwd,
    "pool_fmp3d_fwd": pool_fmp3d_fwd,
    "pool_fmp3d_bwd": pool_fmp3d_bwd,
}
