"""Convolution kernels of nn (THNN's job): spatial / volumetric / temporal convolutions, dilated,
full (transposed), depth-wise, locally connected and connection-table convolutions, spatial and
temporal sub-sampling, temporal max-pooling and row convolution.

Convolutions go through im2col: the (padded) image is read through ONE strided view
(`as_strided`) copied into a column buffer kept on the module (`finput`), then ONE matrix product
(BLAS, float32 stays float32) gives the result.  gradInput is the product of gradOutput with the
weight followed by a col2im: one vectorised strided add per kernel offset (kH*kW adds, no loop
over pixels or samples; with unit stride along the rows, one add per kernel row and output
column instead).  gradWeight is one product of gradOutput with the forward's columns (reused
from `finput`, as Torch7 does), accumulated with `scale`.

Shortcuts, chosen per geometry:
- unit strides and enough planes: gradInput is a convolution of gradOutput (padded by
  dil*(k-1) - pad) with the kernel flipped, one gather and one product instead of a product and
  kH*kW adds; in the one-call backward (conv_spatial_backward) the same gradOutput columns give
  gradWeight when the forward's columns are not kept;
- small planes and a large kernel (LeNet's 5x5 on 12x12): the Fourier route of kernels.conv_dft;
- 3x3 kernels, unit strides and many planes (VGG's and ResNet's layers from 128 planes per
  BLAS thread on): Winograd's F(2x2, 3x3) of kernels.conv_winograd, 2.25 times fewer
  multiplications.

Two column layouts:
- channels-last: rows are (sample, output position), a row holds (kernel offsets..., input
  planes).  Gathers copy contiguous (kW x planes) runs and the product is one large GEMM.  Used
  when the image has enough planes (CL_MIN_PLANES), except for 1x1 kernels with enough output
  positions (CF_MIN_POSITIONS), whose channels-first columns are the input's own rows.
- channels-first (Torch7's finput: sample x (planes, kernel offsets) x positions, plus a row of
  ones that carries the bias through the products), used for few input planes (a grey-level
  first layer) where a channels-last gather would be element-wise, and for the forward of wide
  outputs (CF_MIN_WIDTH), where it needs no transposition of input or output.
Large batches are cut into chunks of samples whose columns stay in cache (CHUNK_ELEMS): the
columns of a whole batch would otherwise stream through main memory twice (written by the
gather, read by the product); a handful of chunks, each one gather + one product.
Other scratch arrays are carved out of one buffer tensor (`fgradInput`), so steady-state calls
allocate nothing large.  Arrays are handled through their own module (`xp`: NumPy or CuPy).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Optional, Sequence

import numpy as _np

from luatorch.kernels import conv_dft, conv_winograd, routes
from luatorch.kernels.conv_layout import inner as _inner
from luatorch.kernels.conv_layout import last as _last
from luatorch.kernels.conv_layout import padded as _padded
from luatorch.kernels.conv_layout import samples_per_chunk
from luatorch.tensor import DTYPE_NAME, Storage, Tensor, TorchError, size_str
from luatorch.blas_threads import th_get_num_threads

# channels-last columns from this many input planes on (below, the channels-first layout)
CL_MIN_PLANES = 4
# elements of columns handled at once (a chunk of samples; 8 MB of float32) when the whole
# batch has more than twice that
CHUNK_ELEMS = 1 << 21
# input planes from which gradInput may be computed as a convolution of gradOutput
TRANSPOSED_MIN_PLANES = 16
# output width from which the forward gathers channels-first columns whatever the planes
CF_MIN_WIDTH = 16
# output positions from which a 1x1 kernel takes channels-first columns whatever the planes
CF_MIN_POSITIONS = 64
# output planes per block when the weight is rearranged for gradInput
_WBLOCK = 16
_ALIGN = 16  # scratch arrays start on 64-byte boundaries (float32)


# -- helpers --------------------------------------------------------------------------------------
def _tname(dtype: Any) -> str:
    return f"torch.{DTYPE_NAME.get(dtype, str(dtype))}Tensor"


def _arr(x: Any, like: Tensor, what: str) -> Any:
    """x's array, checked to be a tensor of `like`'s element type."""
    if type(x) is not Tensor:
        raise TorchError(f"{what} must be a tensor (got {type(x).__name__})")
    if x.dtype != like.dtype:
        raise TorchError(f"{what} is a {_tname(x.dtype)} but the module holds "
                         f"{_tname(like.dtype)}s (convert one of them with :type())")
    return x.a


def _opt(t: Any, like: Tensor, what: str) -> Any:
    """The array of an optional tensor argument (None when absent)."""
    if t is None or t is False:
        return None
    return _arr(t, like, what)


def _holds(t: Tensor, shape: tuple) -> bool:
    """Whether `t` is contiguous with exactly `shape` (a buffer as an earlier call left it)."""
    return t.size == shape and t.a.flags.c_contiguous


def _fit(t: Tensor, shape: tuple) -> Any:
    """`t` resized to `shape`, contiguous; returns its array (fresh storage is left unfilled)."""
    if _holds(t, shape):
        return t.a
    st = t.storage
    n = math.prod(shape)
    if st.size() < n and len(st.views) <= 1:
        dev = st.device
        t.set_geometry(Storage(dev.empty(n, t.dtype), dev), 0, shape)
    else:
        t.resize(shape)
    return t.a


def _chunk(B: int, per: int) -> int:
    """Samples per chunk when each sample has `per` elements of columns: the whole batch up to
    twice CHUNK_ELEMS, else about CHUNK_ELEMS."""
    return samples_per_chunk(B, per, CHUNK_ELEMS)


def _cdiv(a: int, b: int) -> int:
    """Integer division truncating toward zero, as C does (THNN's output-size arithmetic)."""
    q = abs(a) // b
    return q if a >= 0 else -q


def _up(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def _scratch(buf: Tensor, dtype: Any, *shapes: tuple) -> list:
    """Arrays of the given shapes carved out of the scratch tensor `buf` (grown when short)."""
    if type(buf) is not Tensor:
        raise TorchError("buffer tensor expected (fgradInput)")
    if buf.dtype != dtype:
        raise TorchError(f"buffer is a {_tname(buf.dtype)}, expected a {_tname(dtype)} "
                         "(convert the module with :type())")
    total = sum(_up(math.prod(s)) for s in shapes)
    a = buf.a
    if len(buf.size) != 1 or a.shape[0] < total or buf.stride[0] != 1:
        a = _fit(buf, (total,))
    out = []
    off = 0
    for s in shapes:
        n = math.prod(s)
        out.append(a[off:off + n].reshape(s))
        off += _up(n)
    return out


def _acc(dst: Any, delta: Any, scale: float) -> None:
    """dst += scale * delta (delta reshaped to dst's shape)."""
    xp = _xp(dst)
    delta = delta.reshape(dst.shape)
    if scale != 1:
        delta = delta * scale
    xp.add(dst, delta, out=dst)


def _xp(a: Any) -> Any:
    """The array module of `a` (NumPy or CuPy)."""
    if type(a).__module__.startswith("cupy"):
        import cupy  # noqa: PLC0415

        return cupy
    return _np


def _strided(xp: Any, a: Any, shape: tuple, strides: tuple) -> Any:
    """A view of `a`'s memory with the given shape and byte strides."""
    if type(a) is _np.ndarray and a.flags.c_contiguous:
        return _np.ndarray(shape, a.dtype, a, 0, strides)
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def _second(a: Any) -> Any:
    """View with the last axis moved to position 1 (channels-last to channels-first)."""
    n = a.ndim
    return a.transpose((0, n - 1) + tuple(range(1, n - 1)))


def _need(name: str, t: Any, ndim: int, dim: int, size: int) -> None:
    """THNN's dimension-size check: `t` has `ndim` dimensions and size `size` at `dim`."""
    sz = tuple(t.size) if isinstance(t, Tensor) else tuple(getattr(t, "shape", t))
    if len(sz) != ndim or sz[dim] != size:
        raise TorchError(f"Need {name} of dimension {ndim} and {name}.size[{dim}] == {size} but "
                         f"got {name} to be of shape: {size_str(sz)}")


def _window(start: int, st: int, n: int) -> slice:
    return slice(start, start + st * (n - 1) + 1, st)


def _offsets(k: Sequence[int]) -> Any:
    return itertools.product(*[range(v) for v in k])


# -- im2col / col2im ------------------------------------------------------------------------------
def _split(xp: Any, a: Any, shape: tuple) -> Any:
    """A view of `a` with `shape` (axes only split), never a copy: writes must reach `a`."""
    v = a.reshape(shape)
    if v.size and not xp.may_share_memory(v, a):
        raise TorchError("internal error: columns buffer is not viewable")
    return v


def _unfold_cl(xp: Any, img: Any, col: Any, k: tuple, st: tuple, dil: tuple, osz: tuple) -> None:
    """col[b, o..., k..., c] = img[b, o*st + k*dil..., c]  (img padded, channels-last)."""
    s = img.strides
    nd = len(k)
    shape = (img.shape[0],) + osz + k + (img.shape[-1],)
    strides = ((s[0],) + tuple(s[1 + i] * st[i] for i in range(nd))
               + tuple(s[1 + i] * dil[i] for i in range(nd)) + (s[-1],))
    xp.copyto(_split(xp, col, shape), _strided(xp, img, shape, strides))


def _fold_cl(xp: Any, fcol: Any, img: Any, k: tuple, st: tuple, dil: tuple, osz: tuple) -> None:
    """img[b, o*st + k*dil..., c] += fcol[b, o..., k..., c] (the adjoint of _unfold_cl).

    One strided add per kernel offset, whose contiguous runs are one pixel's planes; with unit
    stride and dilation along the last axis, one add per (leading offsets, output column)
    instead: its runs are a whole kernel row of planes, kW times longer and kW times fewer."""
    nd = len(k)
    B, C = img.shape[0], img.shape[-1]
    fc = fcol.reshape((B,) + osz + k + (C,))
    if st[-1] == 1 and dil[-1] == 1 and osz[-1] <= 4 * k[-1]:
        kw, ow = k[-1], osz[-1]
        rows = fc.reshape((B,) + osz + k[:-1] + (kw * C,))
        flat = img.reshape(img.shape[:-2] + (img.shape[-2] * C,))
        per = [[_window(j * dil[i], st[i], osz[i]) for j in range(k[i])] for i in range(nd - 1)]
        lead = (slice(None),) * nd
        for off in _offsets(k[:-1]):
            win = tuple(per[i][j] for i, j in enumerate(off))
            for o in range(ow):
                dst = flat[(slice(None),) + win + (slice(o * C, (o + kw) * C),)]
                src = rows[lead + (o,) + off]
                xp.add(dst, src, out=dst)
        return
    lead, tail = (slice(None),) * (1 + nd), (slice(None),)
    for off, win in _windows(k, st, dil, osz):
        dst = img[(slice(None),) + win + tail]
        xp.add(dst, fc[lead + off], out=dst)


def _unfold_cf(xp: Any, img: Any, col: Any, k: tuple, st: tuple, dil: tuple, osz: tuple) -> None:
    """col[b, c, k..., o...] = img[b, c, o*st + k*dil...]  (img padded, channels-first)."""
    s = img.strides
    nd = len(k)
    shape = img.shape[:2] + k + osz
    strides = (s[:2] + tuple(s[2 + i] * dil[i] for i in range(nd))
               + tuple(s[2 + i] * st[i] for i in range(nd)))
    xp.copyto(_split(xp, col, shape), _strided(xp, img, shape, strides))


def _fold_cf(xp: Any, fcol: Any, img: Any, k: tuple, st: tuple, dil: tuple, osz: tuple) -> None:
    """img[b, c, o*st + k*dil...] += fcol[b, c, k..., o...]: one strided add per kernel offset."""
    fc = fcol.reshape(img.shape[:2] + k + osz)
    full = (slice(None), slice(None))
    for off, win in _windows(k, st, dil, osz):
        dst = img[full + win]
        xp.add(dst, fc[full + off], out=dst)


def _windows(k: tuple, st: tuple, dil: tuple, osz: tuple) -> list:
    """(kernel offset, tuple of the image slices it touches) for every kernel offset."""
    per = [[_window(j * dil[i], st[i], osz[i]) for j in range(k[i])] for i in range(len(k))]
    return [(off, tuple(per[i][j] for i, j in enumerate(off))) for off in _offsets(k)]


# -- geometry and checks of the plain convolution -------------------------------------------------
_AX2 = ("H", "W")
_AX3 = ("T", "H", "W")


def _axes(nd: int) -> tuple:
    return _AX3 if nd == 3 else _AX2


def _wide_output(osz: tuple) -> bool:
    """Whether the output is wide enough for the forward to take channels-first columns even
    with many planes: no transposition of input or output, and with unit stride the gather
    copies long contiguous rows (with stride 2, ResNet's 64 -> 128 layer, it still wins)."""
    return osz[-1] >= CF_MIN_WIDTH


def _check_params(nd: int, k: tuple, st: tuple, dil: Optional[tuple] = None) -> None:
    ax = _axes(nd)
    if min(k) <= 0:
        got = " ".join(f"k{a}: {v}" for a, v in zip(ax, k))
        raise TorchError(f"kernel size should be greater than zero, but got {got}")
    if min(st) <= 0:
        got = " ".join(f"d{a}: {v}" for a, v in zip(ax, st))
        raise TorchError(f"stride should be greater than zero, but got {got}")
    if dil is not None and min(dil) <= 0:
        got = ", ".join(f"dilation{a}: {v}" for a, v in zip(ax, dil))
        raise TorchError(f"dilation should be greater than zero, but got {got}")


def _input_dims(x: Tensor, nd: int) -> bool:
    """True for a batch input; raises THNN's message for a wrong number of dimensions."""
    n = len(x.size)
    if n == nd + 2:
        return True
    if n == nd + 1:
        return False
    if nd == 2:
        raise TorchError(f"3D or 4D input tensor expected but got: {size_str(x.size)}")
    raise TorchError(f"4D or 5D (batch mode) tensor expected for input, but got: "
                     f"{size_str(x.size)}")


def _too_small(nd: int, cin: int, S: tuple, cout: int, osz: tuple) -> TorchError:
    if nd == 2:
        return TorchError(f"Given input size: ({cin} x {S[0]} x {S[1]}). Calculated output size: "
                          f"({cout} x {osz[0]} x {osz[1]}). Output size is too small")
    return TorchError("Given input size: (" + "x".join(str(v) for v in (cin,) + S)
                      + "). Calculated output size: ("
                      + "x".join(str(v) for v in (cout,) + osz) + "). Output size is too small")


def _check_gout(g: Tensor, batch: bool, planes: int, osz: tuple) -> None:
    """gradOutput has `planes` planes and spatial sizes `osz` (THNN's messages)."""
    off = 1 if batch else 0
    nd = len(osz) + 1 + off
    _need("gradOutput", g, nd, off, planes)
    for i, o in enumerate(osz):
        _need("gradOutput", g, nd, off + 1 + i, o)


class _Conv:
    """A validated convolution: input (B, C, S...) -> output (B, Co, osz...).

    Work runs over chunks of samples sized so that a chunk's columns stay in cache
    (CHUNK_ELEMS elements): on large layers the columns of a whole batch would stream through
    main memory twice (written by the gather, read by the product).
    """

    __slots__ = ("nd", "k", "st", "pad", "dil", "batch", "B", "C", "S", "Co", "osz", "P", "L",
                 "Sp", "xa", "wa", "xp", "dtype", "cl", "cl_fwd", "chunk", "spec", "wino")

    def __init__(self, x: Any, w: Tensor, nd: int, k: tuple, st: tuple, pad: tuple, dil: tuple,
                 weight_dims: tuple, planes: Optional[int] = None, nout: Optional[int] = None):
        if type(w) is not Tensor:
            raise TorchError("weight tensor expected")
        _check_params(nd, k, st, dil if any(d != 1 for d in dil) else None)
        self.nd, self.k, self.st, self.pad, self.dil = nd, k, st, pad, dil
        wdim = len(w.size)
        if wdim not in weight_dims:
            raise TorchError(f"{weight_dims[0]}D or {weight_dims[1]}D weight tensor expected, "
                             f"but got: {size_str(w.size)}")
        xa = _arr(x, w, "input")
        batch = _input_dims(x, nd)
        if not batch:
            xa = xa.reshape((1,) + xa.shape)
        self.P = P = math.prod(k)
        self.Co = Co = w.size[0] if nout is None else nout
        C = planes if planes is not None else w.a.size // (Co * P)
        S = tuple(xa.shape[2:])
        osz = tuple(_cdiv(S[i] + 2 * pad[i] - dil[i] * (k[i] - 1) - 1, st[i]) + 1
                    for i in range(nd))
        if min(osz) < 1:
            raise _too_small(nd, C, S, Co, osz)
        _need("input", x, nd + 1 + batch, int(batch), C)
        self.batch, self.B, self.C, self.S, self.osz = batch, xa.shape[0], C, S, osz
        self.L = L = math.prod(osz)
        self.Sp = tuple(S[i] + 2 * pad[i] for i in range(nd))
        self.xa, self.wa = xa, w.a
        self.xp = w.xp
        self.dtype = w.dtype
        self.chunk = _chunk(self.B, L * C * P)
        # a 1x1 kernel's channels-first columns are a strided view of the input (no
        # transposition of input or output), unless per-sample products would be tiny
        self.cl = C >= CL_MIN_PLANES and (P > 1 or L < CF_MIN_POSITIONS)
        # a single chunk keeps the forward's columns for accGradParameters: same layout then
        self.cl_fwd = self.cl and not (self.chunk < self.B and _wide_output(osz))
        self.spec: Any = None
        self.wino: Any = None

    def route(self) -> None:
        """Pick a transform route when one beats im2col for this geometry: the Fourier one
        (kernels.conv_dft) or Winograd's (kernels.conv_winograd)."""
        threads = th_get_num_threads() if self.xp is _np else 1
        if not self.spectral() and conv_winograd.worth_it(self.nd, self.k, self.st, self.dil,
                                                          self.pad, self.C, self.Co, threads):
            self.wino = conv_winograd.Winograd(self.xp, self.dtype, self.B, self.C, self.Co,
                                               self.S, self.pad, self.osz)

    def wino_scratch(self, fgrad: Tensor, weight: bool = False) -> list:
        """The Winograd route's scratch arrays, out of fgrad."""
        return _scratch(fgrad, self.dtype, *self.wino.scratch_shapes(weight))

    def wino_backward(self, gia: Any, ga: Any, wa: Any, gwa: Any, gba: Any, finput: Any,
                      fgrad: Tensor, scale: float) -> None:
        """On the Winograd route: gradInput into gia (unless None) and, unless gwa is None, the
        parameters' gradients, from the input's tiles when the forward left them in finput;
        gradOutput (batched) is read once for both."""
        if gwa is None:
            self.wino.backward(self.xa, ga, wa, gia, None, 1.0, self.wino_scratch(fgrad))
            return
        kept = finput.a if _holds(finput, self.wino.tiles_shape()) else None
        self.wino.backward(self.xa, ga, wa, gia, gwa, scale, self.wino_scratch(fgrad, True), kept)
        self.bias_grad(ga, gba, scale)

    def spectral(self) -> bool:
        """Use the transform route (kernels.conv_dft) when it is cheaper for this geometry."""
        plain = self.nd == 2 and all(v == 1 for v in self.st + self.dil)
        if plain and conv_dft.worth_it(self.B, self.C, self.Co, self.Sp, self.k, self.osz,
                                       self.dtype):
            self.spec = conv_dft.Spectral(self.xp, self.B, self.C, self.Co, self.S, self.Sp,
                                          self.pad, self.k, self.osz, self.dtype)
        return self.spec is not None

    def spec_scratch(self, fgrad: Tensor, *extra: tuple) -> list:
        """The transform route's scratch arrays (plus `extra` shapes), out of fgrad."""
        return _scratch(fgrad, self.dtype, *self.spec.scratch_shapes(), *extra)

    def batched(self, t: Any) -> Any:
        """A (B, ...) view of an array given with or without its batch dimension."""
        return t if self.batch else t.reshape((1,) + t.shape)

    def out_shape(self, planes: int) -> tuple:
        return ((self.B,) if self.batch else ()) + (planes,) + self.osz

    def spans(self) -> list:
        """(first, last + 1) sample of each chunk."""
        c = self.chunk
        return [(i, min(i + c, self.B)) for i in range(0, self.B, c)]

    def col_shape(self, n: int, cl: bool, aug: bool = True) -> tuple:
        """Shape of the columns of n samples (channels-last or channels-first).  Channels-first
        columns get an extra row of ones (`aug`): the bias rides along in the products."""
        if cl:
            return (n * self.L, self.P * self.C)
        return (n, self.C * self.P + aug, self.L)

    def img_shape(self, n: int, cl: bool) -> Optional[tuple]:
        """Shape of the padded-image scratch that columns() needs for n samples (None: none)."""
        if cl:
            return (n,) + self.Sp + (self.C,)
        return (n, self.C) + self.Sp if any(self.pad) else None

    def img_scratch(self, fgrad: Tensor, n: int, cl: bool) -> Any:
        """The padded-image scratch of columns() alone, carved out of fgrad (None: none)."""
        shape = self.img_shape(n, cl)
        return None if shape is None else _scratch(fgrad, self.dtype, shape)[0]

    def columns(self, col: Any, i0: int, i1: int, img: Any, cl: bool, aug: bool = True) -> None:
        """col = columns of samples i0..i1-1; `img`: scratch of img_shape() for the padded image."""
        xp = self.xp
        xa = self.xa[i0:i1]
        if cl:
            _padded(xp, _last(xa), img, 1, self.pad)
            _unfold_cl(xp, img, col, self.k, self.st, self.dil, self.osz)
        else:
            if img is not None:
                _padded(xp, xa, img, 2, self.pad)
            else:
                img = xa
            K = self.C * self.P
            if aug:
                col[:, K] = 1
            _unfold_cf(xp, img, col[:, :K], self.k, self.st, self.dil, self.osz)

    def weight_kc(self, wa: Any, dst: Any) -> Any:
        """dst (Co x P*C) = the weight with its columns ordered (kernel offset, plane), the order
        of channels-last columns.  A 3-D transpose: far cheaper than moving one axis of 4."""
        Co, C, P = self.Co, self.C, self.P
        self.xp.copyto(dst.reshape(Co, P, C), wa.reshape(Co, C, P).transpose(0, 2, 1))
        return dst

    def forward(self, out: Tensor, wa: Any, ba: Any, finput: Tensor, fgrad: Tensor) -> None:
        """out = conv(input, wa) + ba; the last chunk's columns stay in finput (the input's
        spectrum on the transform route)."""
        xp, C, Co, P, L = self.xp, self.C, self.Co, self.P, self.L
        oa = self.batched(_fit(out, self.out_shape(Co)))
        if self.spec is not None:
            sc = self.spec_scratch(fgrad)
            xs = self.spec.input_spectrum(self.xa, sc[0],
                                          _fit(finput, self.spec.spectrum_shape(self.B, C)))
            self.spec.forward(xs, wa, oa, ba, sc)
            return
        if self.wino is not None:
            keep = _fit(finput, self.wino.tiles_shape()) if self.wino.keeps() else None
            self.wino.forward(self.xa, wa, ba, oa, self.wino_scratch(fgrad), keep)
            return
        cl, c = self.cl_fwd, self.chunk
        col = _fit(finput, self.col_shape(c, cl))
        ishape = self.img_shape(c, cl)
        if cl:
            wcl, img, ocl = _scratch(fgrad, self.dtype, (Co, P * C), ishape, (c * L, Co))
            self.weight_kc(wa, wcl)
        else:
            shapes = ((Co, C * P + 1),) + ((ishape,) if ishape else ())
            w2, *rest = _scratch(fgrad, self.dtype, *shapes)  # [weight | bias]
            img = rest[0] if rest else None
            w2[:, :C * P] = wa.reshape(Co, C * P)
            w2[:, C * P] = 0 if ba is None else ba
        for i0, i1 in self.spans():
            n = i1 - i0
            cn = col[:n * L] if cl else col[:n]
            self.columns(cn, i0, i1, img[:n] if img is not None else None, cl)
            if cl:
                o = ocl[:n * L]
                xp.matmul(cn, wcl.T, out=o)
                dst = _last(oa[i0:i1])
                src = o.reshape((n,) + self.osz + (Co,))
                if ba is None:
                    xp.copyto(dst, src)
                else:
                    xp.add(src, ba, out=dst)
            else:
                xp.matmul(w2, cn, out=oa[i0:i1].reshape(n, Co, L))

    def grad_array(self, gi: Tensor) -> Any:
        """gradInput's array, resized to the input's shape, viewed with a batch dimension."""
        return self.batched(_fit(gi, ((self.B,) if self.batch else ()) + (self.C,) + self.S))

    def bias_grad(self, ga: Any, gba: Any, scale: float) -> None:
        """gba += scale * the bias' gradient (gradOutput ga summed over samples and positions)."""
        if gba is not None:
            _acc(gba, ga.sum(axis=(0,) + tuple(range(2, 2 + self.nd))), scale)

    def spectral_backward(self, gia: Any, ga: Any, wa: Any, gwa: Any, gba: Any,
                          finput: Tensor, fgrad: Tensor, scale: float) -> None:
        """On the transform route: gradInput into gia (unless None) and, unless gwa is None,
        the parameters' gradients; gradOutput (batched) goes to the spectrum once for both."""
        sp, B, C, Co = self.spec, self.B, self.C, self.Co
        *sc, gs, dw = self.spec_scratch(fgrad, sp.spectrum_shape(B, Co), (Co, C * self.P))
        gs = sp.gout_spectrum(ga, sc, gs)
        if gia is not None:
            sp.grad_input(gs, wa, gia, sc)
        if gwa is None:
            return
        xshape = sp.spectrum_shape(B, C)
        if _holds(finput, xshape):  # the forward's spectrum
            xs = finput.a.view(sp.ct).reshape(sp.F, B, C)
        else:
            xs = sp.input_spectrum(self.xa, sc[0], _fit(finput, xshape))
        sp.grad_weight(gs, xs, sc, dw)
        _acc(gwa, dw, scale)
        self.bias_grad(ga, gba, scale)

    def transposable(self) -> bool:
        """Whether gradInput is better computed as a convolution of gradOutput (unit strides,
        padding within the kernel's reach, about as many input as output positions): one
        gather and one product, instead of a product and kH*kW strided adds (col2im).  Not
        for few input planes (a first layer): the product would have as few columns, and the
        gathered gradOutput would dwarf col2im's columns."""
        if any(s != 1 for s in self.st) or self.Co < CL_MIN_PLANES:
            return False
        if self.C < TRANSPOSED_MIN_PLANES or 2 * self.C < self.Co:
            return False
        if any(p > d * (k - 1) for p, d, k in zip(self.pad, self.dil, self.k)):
            return False
        return math.prod(self.S) <= 1.25 * self.L

    def grad_input_t(self, gia: Any, ga: Any, wa: Any, fgrad: Tensor, gwa: Any = None,
                     scale: float = 1.0) -> None:
        """gia = gradOutput convolved (channels-last columns, padding dil*(k-1) - pad) with the
        kernel flipped and its planes swapped.

        With `gwa`, gwa += scale * the weight's gradient from the same gradOutput columns: the
        input's planes (channels-last) times the columns, one more product and no gather of
        the input's own columns."""
        xp, C, Co, P, nd = self.xp, self.C, self.Co, self.P, self.nd
        S, k, dil = self.S, self.k, self.dil
        Sl = math.prod(S)
        gpad = tuple(d * (kk - 1) - p for d, kk, p in zip(dil, k, self.pad))
        Sg = tuple(o + 2 * p for o, p in zip(self.osz, gpad))
        c = _chunk(self.B, Sl * P * Co)
        shapes = [(P, Co, C), (c,) + Sg + (Co,), (c * Sl, P * Co), (c * Sl, C)]
        if gwa is not None:
            shapes += [(c * Sl, C), (P * Co, C), (P * Co, C)]
        wt, img, col, gcl, *rest = _scratch(fgrad, self.dtype, *shapes)
        flip = (slice(None), slice(None)) + (slice(None, None, -1),) * nd
        wk = wa.reshape((Co, C) + k)[flip].transpose(tuple(range(2, 2 + nd)) + (0, 1))
        wt4 = wt.reshape(k + (Co, C))
        lead = (slice(None),) * nd
        # in blocks of output planes: each block of the weight is read from memory once and
        # stays in cache while its kernel offsets are scattered (whole: it streams P times)
        for o in range(0, Co, _WBLOCK):
            blk = lead + (slice(o, o + _WBLOCK),)
            xp.copyto(wt4[blk], wk[blk])
        w2 = wt.reshape(P * Co, C)
        ones = (1,) * nd
        for i0 in range(0, self.B, c):
            i1 = min(i0 + c, self.B)
            n = i1 - i0
            im, cn, gn = img[:n], col[:n * Sl], gcl[:n * Sl]
            _padded(xp, _last(ga[i0:i1]), im, 1, gpad)
            _unfold_cl(xp, im, cn, k, ones, dil, S)
            xp.matmul(cn, w2, out=gn)
            xp.copyto(gia[i0:i1], _second(gn.reshape((n,) + S + (C,))))
            if gwa is not None:
                xcl, dwf, tmp = rest
                xn = xcl[:n * Sl]
                xp.copyto(xn.reshape((n,) + S + (C,)), _last(self.xa[i0:i1]))
                # the columns' side first: BLAS runs this product faster than xn.T @ cn
                xp.matmul(cn.T, xn, out=dwf if i0 == 0 else tmp)
                if i0:
                    xp.add(dwf, tmp, out=dwf)
        if gwa is not None:
            # dwf[k', o, c] belongs to weight[o, c, k] with k' = k flipped on every axis
            dw = rest[1].reshape(k + (Co, C))[flip[2:]]
            _acc(gwa, dw.transpose((nd, nd + 1) + tuple(range(nd))), scale)

    def grad_input(self, gi: Tensor, ga: Any, wa: Any, fgrad: Tensor) -> None:
        """gi = d<out, ga>/d input."""
        xp, C, Co, P, L, c = self.xp, self.C, self.Co, self.P, self.L, self.chunk
        gia = self.grad_array(gi)
        ga = self.batched(ga)
        if self.spec is not None:
            self.spectral_backward(gia, ga, wa, None, None, None, fgrad, 1.0)
            return
        if self.wino is not None:
            self.wino_backward(gia, ga, wa, None, None, None, fgrad, 1.0)
            return
        if self.transposable():
            self.grad_input_t(gia, ga, wa, fgrad)
            return
        padded = any(self.pad)
        if self.cl:
            # one product gives every kernel offset's contribution: rows (sample, position),
            # columns (offset, plane), the layout of the forward's columns; col2im folds them
            wcl, go, fcol, img = _scratch(fgrad, self.dtype, (Co, P * C), (Co, c * L),
                                          (c * L, P * C), (c,) + self.Sp + (C,))
            self.weight_kc(wa, wcl)
        else:
            w2t = wa.reshape(Co, C * P).T
            shapes = ((c, C * P, L),) + (((c, C) + self.Sp,) if padded else ())
            fcol, *rest = _scratch(fgrad, self.dtype, *shapes)
        for i0, i1 in self.spans():
            n = i1 - i0
            g = ga[i0:i1].reshape(n, Co, L)
            if self.cl:
                gn, fn, im = go[:, :n * L], fcol[:n * L], img[:n]
                xp.copyto(gn.reshape(Co, n, L), g.transpose(1, 0, 2))
                xp.matmul(gn.T, wcl, out=fn)
                im[...] = 0
                _fold_cl(xp, fn, im, self.k, self.st, self.dil, self.osz)
                xp.copyto(gia[i0:i1], _second(_inner(im, 1, self.pad, self.S)))
            else:
                fn = fcol[:n]
                im = rest[0][:n] if padded else gia[i0:i1]
                xp.matmul(w2t, g, out=fn)
                im[...] = 0
                _fold_cf(xp, fn, im, self.k, self.st, self.dil, self.osz)
                if padded:
                    xp.copyto(gia[i0:i1], _inner(im, 2, self.pad, self.S))

    def reusable(self, finput: Tensor) -> bool:
        """Whether finput holds the forward's columns of the whole batch, in grad_params'
        layout (a single chunk): then the weight's gradient needs no gather."""
        return self.chunk >= self.B and self.cl == self.cl_fwd and \
            _holds(finput, self.col_shape(self.B, self.cl))

    def grad_params(self, ga: Any, gwa: Any, gba: Any, finput: Tensor, fgrad: Tensor,
                    scale: float) -> None:
        """gwa += scale * d<out, ga>/d weight; gba += scale * d<out, ga>/d bias.

        With a single chunk the forward's columns (finput) are reused, as Torch7 does."""
        xp, C, Co, P, L, c, cl = self.xp, self.C, self.Co, self.P, self.L, self.chunk, self.cl
        ga = self.batched(ga)
        if self.spec is not None:
            self.spectral_backward(None, ga, None, gwa, gba, finput, fgrad, scale)
            return
        if self.wino is not None:
            self.wino_backward(None, ga, None, gwa, gba, finput, fgrad, scale)
            return
        reuse = self.reusable(finput)
        col = finput.a if reuse else _fit(finput, self.col_shape(c, cl))
        ishape = None if reuse else self.img_shape(c, cl)
        # dw: the gradient so far; part: one chunk's (the first chunk's goes to dw directly)
        if cl:
            shapes = ((Co, P * C), (Co, P * C), (Co, c * L)) + ((ishape,) if ishape else ())
            dw, part, go, *rest = _scratch(fgrad, self.dtype, *shapes)
        else:  # the ones row of the columns gives the bias gradient
            shapes = ((Co, C * P + 1), (Co, C * P + 1), (c, Co, C * P + 1)) + \
                ((ishape,) if ishape else ())
            dw, part, tmp, *rest = _scratch(fgrad, self.dtype, *shapes)
        img = rest[0] if rest else None
        for j, (i0, i1) in enumerate(self.spans()):
            n = i1 - i0
            cn = col[:n * L] if cl else col[:n]
            if not reuse:
                self.columns(cn, i0, i1, img[:n] if img is not None else None, cl)
            g = ga[i0:i1].reshape(n, Co, L)
            d = dw if j == 0 else part
            if cl:
                gn = go[:, :n * L]
                xp.copyto(gn.reshape(Co, n, L), g.transpose(1, 0, 2))
                xp.matmul(gn, cn, out=d)
            else:
                tn = tmp[:n]
                xp.matmul(g, cn.transpose(0, 2, 1), out=tn)
                tn.sum(axis=0, out=d)
            if j:
                xp.add(dw, part, out=dw)
        if cl:
            _acc(gwa, dw.reshape(Co, P, C).transpose(0, 2, 1), scale)
            self.bias_grad(ga, gba, scale)
        else:
            _acc(gwa, dw[:, :C * P], scale)
            if gba is not None:
                _acc(gba, dw[:, C * P], scale)


def _check_bias(b: Any, w: Tensor) -> Any:
    ba = _opt(b, w, "bias")
    if ba is not None:
        _need("bias", b, 1, 0, w.size[0])
    return ba


def _on_cudnn(g: _Conv) -> bool:
    """Whether this convolution goes to cuDNN (a CuPy array and the frontend usable: see
    kernels.routes); the three passes of one layer always take the same route."""
    return routes.pick("conv_fprop", g.xa) == routes.CUDNN


def _cudnn() -> Any:
    from luatorch.kernels import cudnn_frontend  # noqa: PLC0415

    return cudnn_frontend


def _dense(a: Any) -> Any:
    """`a` itself when C-contiguous, else a contiguous copy (the plans are built for dense NC...
    operands)."""
    return a if a.flags.c_contiguous else _xp(a).ascontiguousarray(a)


def _filters(g: _Conv, wa: Any) -> Any:
    """The weight as (Co, C, k...) (SpatialConvolutionMM keeps it 2-D)."""
    return _dense(wa).reshape((g.Co, g.C) + g.k)


def _cudnn_wgrad(g: _Conv, gab: Any, gwa: Any, gba: Any, scale: float) -> bool:
    """gradWeight += scale * cuDNN's wgrad (which overwrites: computed aside, then added), and
    gradBias += scale * gradOutput summed; False (nothing written) when cuDNN has no plan."""
    dw = g.xp.empty((g.Co, g.C) + g.k, dtype=gwa.dtype)
    if not _cudnn().conv("conv_wgrad", _dense(g.xa), _dense(gab), dw, g.pad, g.st, g.dil):
        return False
    _acc(gwa, dw, scale)
    g.bias_grad(gab, gba, scale)
    return True


def _conv_fwd(nd: int, out: Tensor, x: Any, w: Tensor, b: Any, finput: Tensor, fgrad: Tensor,
              k: tuple, st: tuple, pad: tuple, dil: tuple) -> None:
    g = _Conv(x, w, nd, k, st, pad, dil, (2, nd + 2))
    ba = _check_bias(b, w)
    if _on_cudnn(g):
        oa = g.batched(_fit(out, g.out_shape(g.Co)))
        if _cudnn().conv("conv_fprop", _dense(g.xa), _filters(g, w.a), oa, pad, st, dil):
            if ba is not None:
                g.xp.add(oa, ba.reshape((1, g.Co) + (1,) * nd), out=oa)
            if finput.size:
                # no columns of this input were kept: a generic backward must not reuse older
                finput.resize(())
            return
    g.route()
    g.forward(out, w.a, ba, finput, fgrad)


def _conv_bwd(nd: int, gi: Tensor, x: Any, gout: Any, w: Tensor, fgrad: Tensor,
              k: tuple, st: tuple, pad: tuple, dil: tuple) -> None:
    g = _Conv(x, w, nd, k, st, pad, dil, (2, nd + 2))
    ga = _arr(gout, w, "gradOutput")
    _check_gout(gout, g.batch, g.Co, g.osz)
    if _on_cudnn(g) and _cudnn().conv("conv_dgrad", _dense(g.batched(ga)), _filters(g, w.a),
                                      g.grad_array(gi), pad, st, dil):
        return
    g.route()
    g.grad_input(gi, ga, w.a, fgrad)


def _conv_acc(nd: int, x: Any, gout: Any, gw: Tensor, gb: Any, finput: Tensor, fgrad: Tensor,
              k: tuple, st: tuple, pad: tuple, dil: tuple, scale: float) -> None:
    g = _Conv(x, gw, nd, k, st, pad, dil, (2, nd + 2))
    ga = _arr(gout, gw, "gradOutput")
    _check_gout(gout, g.batch, g.Co, g.osz)
    gba = _opt(gb, gw, "gradBias")
    if gba is not None:
        _need("gradBias", gb, 1, 0, gw.size[0])
    if _on_cudnn(g) and _cudnn_wgrad(g, g.batched(ga), gw.a, gba, scale):
        return
    g.route()
    g.grad_params(ga, gw.a, gba, finput, fgrad, scale)


def _conv_backward(nd: int, gi: Any, x: Any, gout: Any, w: Tensor, gw: Tensor, gb: Any,
                   finput: Tensor, fgrad: Tensor, k: tuple, st: tuple, pad: tuple, dil: tuple,
                   scale: float) -> None:
    """gradInput (unless gi is None) and the parameters' gradients in one call: the transform
    route computes gradOutput's spectrum once for both."""
    g = _Conv(x, w, nd, k, st, pad, dil, (2, nd + 2))
    ga = _arr(gout, w, "gradOutput")
    _check_gout(gout, g.batch, g.Co, g.osz)
    _arr(gw, w, "gradWeight")
    gba = _opt(gb, w, "gradBias")
    if gba is not None:
        _need("gradBias", gb, 1, 0, w.size[0])
    if _on_cudnn(g):
        gab = g.batched(ga)
        if gi is None or _cudnn().conv("conv_dgrad", _dense(gab), _filters(g, w.a),
                                       g.grad_array(gi), pad, st, dil):
            if not _cudnn_wgrad(g, gab, gw.a, gba, scale):
                g.route()
                g.grad_params(ga, gw.a, gba, finput, fgrad, scale)
            return
    g.route()
    if g.spec is not None:
        gia = None if gi is None else g.grad_array(gi)
        g.spectral_backward(gia, g.batched(ga), w.a, gw.a, gba, finput, fgrad, scale)
        return
    if g.wino is not None:
        gia = None if gi is None else g.grad_array(gi)
        g.wino_backward(gia, g.batched(ga), w.a, gw.a, gba, finput, fgrad, scale)
        return
    if gi is not None and g.transposable() and not g.reusable(finput):
        # gradInput's gradOutput columns serve the weight's gradient too (instead of gathering
        # the input's columns again)
        gab = g.batched(ga)
        g.grad_input_t(g.grad_array(gi), gab, w.a, fgrad, gw.a, scale)
        g.bias_grad(gab, gba, scale)
        return
    if gi is not None:
        g.grad_input(gi, ga, w.a, fgrad)
    g.grad_params(ga, gw.a, gba, finput, fgrad, scale)


# -- SpatialConvolution(MM) / SpatialDilatedConvolution -------------------------------------------
def conv_spatial_fwd(out: Tensor, x: Any, w: Tensor, b: Any, finput: Tensor, fgrad: Tensor,
                     kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
                     dilW: int = 1, dilH: int = 1) -> None:
    """2-D convolution output (weight nOutputPlane x nInputPlane x kH x kW, or 2-D)."""
    _conv_fwd(2, out, x, w, b, finput, fgrad, (kH, kW), (dH, dW), (padH, padW), (dilH, dilW))


def conv_spatial_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, fgrad: Tensor,
                     kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
                     dilW: int = 1, dilH: int = 1) -> None:
    """2-D convolution gradInput."""
    _conv_bwd(2, gi, x, gout, w, fgrad, (kH, kW), (dH, dW), (padH, padW), (dilH, dilW))


def conv_spatial_backward(gi: Any, x: Any, gout: Any, w: Tensor, gw: Tensor, gb: Any,
                          finput: Tensor, fgrad: Tensor, kW: int, kH: int, dW: int, dH: int,
                          padW: int, padH: int, dilW: int, dilH: int, scale: float) -> None:
    """2-D convolution backward: gradInput (gi, unless nil) then gradWeight / gradBias."""
    _conv_backward(2, gi, x, gout, w, gw, gb, finput, fgrad, (kH, kW), (dH, dW), (padH, padW),
                   (dilH, dilW), scale)


def conv_spatial_acc(x: Any, gout: Any, gw: Tensor, gb: Any, finput: Tensor, fgrad: Tensor,
                     kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
                     dilW: int, dilH: int, scale: float) -> None:
    """2-D convolution gradWeight / gradBias accumulation (columns reused from the forward)."""
    _conv_acc(2, x, gout, gw, gb, finput, fgrad, (kH, kW), (dH, dW), (padH, padW), (dilH, dilW),
              scale)


# -- VolumetricConvolution / VolumetricDilatedConvolution -----------------------------------------
def conv_volumetric_fwd(out: Tensor, x: Any, w: Tensor, b: Any, finput: Tensor, fgrad: Tensor,
                        kT: int, kW: int, kH: int, dT: int, dW: int, dH: int,
                        padT: int, padW: int, padH: int,
                        dilT: int = 1, dilW: int = 1, dilH: int = 1) -> None:
    """3-D convolution output (weight nOutputPlane x nInputPlane x kT x kH x kW)."""
    _conv_fwd(3, out, x, w, b, finput, fgrad, (kT, kH, kW), (dT, dH, dW), (padT, padH, padW),
              (dilT, dilH, dilW))


def conv_volumetric_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, fgrad: Tensor,
                        kT: int, kW: int, kH: int, dT: int, dW: int, dH: int,
                        padT: int, padW: int, padH: int,
                        dilT: int = 1, dilW: int = 1, dilH: int = 1) -> None:
    """3-D convolution gradInput."""
    _conv_bwd(3, gi, x, gout, w, fgrad, (kT, kH, kW), (dT, dH, dW), (padT, padH, padW),
              (dilT, dilH, dilW))


def conv_volumetric_acc(x: Any, gout: Any, gw: Tensor, gb: Any, finput: Tensor, fgrad: Tensor,
                        kT: int, kW: int, kH: int, dT: int, dW: int, dH: int,
                        padT: int, padW: int, padH: int,
                        dilT: int, dilW: int, dilH: int, scale: float) -> None:
    """3-D convolution gradWeight / gradBias accumulation."""
    _conv_acc(3, x, gout, gw, gb, finput, fgrad, (kT, kH, kW), (dT, dH, dW), (padT, padH, padW),
              (dilT, dilH, dilW), scale)


# -- full (transposed) convolution ----------------------------------------------------------------
class _Full:
    """A validated full convolution: input (B, Cin, S...) -> output (B, Co, osz...), where the
    output is the image of a convolution (padding pad, stride st) whose columns are the input."""

    __slots__ = ("nd", "k", "st", "pad", "batch", "B", "Cin", "Co", "S", "osz", "Sc", "P", "L",
                 "xa", "xp", "dtype")

    def __init__(self, x: Any, w: Tensor, nd: int, k: tuple, st: tuple, pad: tuple,
                 adj: tuple):
        if type(w) is not Tensor:
            raise TorchError("weight tensor expected")
        _check_params(nd, k, st)
        if any(a >= s for a, s in zip(adj, st)):
            ax = _axes(nd)
            got = " ".join(f"adj{a}: {v}" for a, v in zip(ax, adj)) + " " + \
                " ".join(f"d{a}: {v}" for a, v in zip(ax, st))
            raise TorchError(f"output adjustment must be smaller than stride, but got {got}")
        if len(w.size) not in (2, nd + 2):
            raise TorchError(f"2D or {nd + 2}D weight tensor expected, but got: "
                             f"{size_str(w.size)}")
        xa = _arr(x, w, "input")
        batch = _input_dims(x, nd)
        if not batch:
            xa = xa.reshape((1,) + xa.shape)
        self.P = P = math.prod(k)
        Cin = w.size[0]
        Co = w.a.size // (Cin * P)
        S = tuple(xa.shape[2:])
        osz = tuple((S[i] - 1) * st[i] - 2 * pad[i] + k[i] + adj[i] for i in range(nd))
        if min(osz) < 1:
            raise _too_small(nd, Cin, S, Co, osz)
        _need("input", x, nd + 1 + batch, int(batch), Cin)
        self.nd, self.k, self.st, self.pad = nd, k, st, pad
        self.batch, self.B, self.Cin, self.Co = batch, xa.shape[0], Cin, Co
        self.S, self.osz = S, osz
        self.Sc = tuple(osz[i] + 2 * pad[i] for i in range(nd))
        self.L = math.prod(S)
        self.xa, self.xp, self.dtype = xa, w.xp, w.dtype

    def batched(self, t: Any) -> Any:
        return t if self.batch else t.reshape((1,) + t.shape)

    # NOTE: every pass goes over the batch in chunks of samples (as THNN went a sample at a
    # time): the columns of a whole batch of volumes grew past 3 GB in cunn's pair test.
    def chunk(self) -> int:
        """Samples per pass: their columns (L x P*Co each) stay near CHUNK_ELEMS."""
        return _chunk(self.B, self.L * self.P * self.Co)

    def columns(self, ga: Any, col: Any, img: Any) -> None:
        """Columns of the gradOutput samples `ga` (channels-last) into `col`, through `img`."""
        _padded(self.xp, _last(ga), img, 1, self.pad)
        _unfold_cl(self.xp, img, col, self.k, self.st, (1,) * self.nd, self.S)

    def forward(self, out: Tensor, wa: Any, ba: Any, fgrad: Tensor) -> None:
        xp, B, Cin, Co, P, L = self.xp, self.B, self.Cin, self.Co, self.P, self.L
        c = self.chunk()
        oa = self.batched(_fit(out, ((B,) if self.batch else ()) + (Co,) + self.osz))
        xcl, wkc, fcol, img = _scratch(fgrad, self.dtype, (c * L, Cin), (Cin, P, Co),
                                       (c * L, P * Co), (c,) + self.Sc + (Co,))
        xp.copyto(wkc, wa.reshape(Cin, Co, P).transpose(0, 2, 1))
        for i0 in range(0, B, c):
            n = min(c, B - i0)
            xv, fv, iv = xcl[:n * L], fcol[:n * L], img[:n]
            xp.copyto(xv.reshape((n,) + self.S + (Cin,)), _last(self.xa[i0:i0 + n]))
            xp.matmul(xv, wkc.reshape(Cin, P * Co), out=fv)
            iv[...] = 0
            _fold_cl(xp, fv, iv, self.k, self.st, (1,) * self.nd, self.S)
            src = _inner(iv, 1, self.pad, self.osz)
            dst = _last(oa[i0:i0 + n])
            if ba is None:
                xp.copyto(dst, src)
            else:
                xp.add(src, ba, out=dst)

    def grad_input(self, gi: Tensor, ga: Any, wa: Any, finput: Tensor, fgrad: Tensor) -> None:
        xp, B, Cin, Co, P, L = self.xp, self.B, self.Cin, self.Co, self.P, self.L
        c = self.chunk()
        gia = self.batched(_fit(gi, ((B,) if self.batch else ()) + (Cin,) + self.S))
        ga = self.batched(ga)
        col = _fit(finput, (c * L, P * Co))
        wfc, gcl, img = _scratch(fgrad, self.dtype, (P * Co, Cin), (c * L, Cin),
                                 (c,) + self.Sc + (Co,))
        xp.copyto(wfc.reshape(P, Co, Cin), wa.reshape(Cin, Co, P).transpose(2, 1, 0))
        for i0 in range(0, B, c):
            n = min(c, B - i0)
            cv, gv = col[:n * L], gcl[:n * L]
            self.columns(ga[i0:i0 + n], cv, img[:n])
            xp.matmul(cv, wfc, out=gv)
            xp.copyto(gia[i0:i0 + n], xp.moveaxis(gv.reshape((n,) + self.S + (Cin,)), -1, 1))

    def grad_params(self, ga: Any, gwa: Any, gba: Any, finput: Tensor, fgrad: Tensor,
                    scale: float) -> None:
        xp, B, Cin, Co, P, L = self.xp, self.B, self.Cin, self.Co, self.P, self.L
        c = self.chunk()
        ga = self.batched(ga)
        col = _fit(finput, (c * L, P * Co))
        xcl, tmp, part, img = _scratch(fgrad, self.dtype, (c * L, Cin), (Cin, P * Co),
                                       (Cin, P * Co), (c,) + self.Sc + (Co,))
        for i0 in range(0, B, c):
            n = min(c, B - i0)
            cv, xv = col[:n * L], xcl[:n * L]
            self.columns(ga[i0:i0 + n], cv, img[:n])
            xp.copyto(xv.reshape((n,) + self.S + (Cin,)), _last(self.xa[i0:i0 + n]))
            if i0 == 0:
                xp.matmul(xv.T, cv, out=tmp)
            else:
                xp.matmul(xv.T, cv, out=part)
                xp.add(tmp, part, out=tmp)
        _acc(gwa, tmp.reshape(Cin, P, Co).transpose(0, 2, 1), scale)
        if gba is not None:
            _acc(gba, ga.sum(axis=(0,) + tuple(range(2, 2 + self.nd))), scale)


def _full_gout(g: _Full, gout: Any, w: Tensor) -> Any:
    ga = _arr(gout, w, "gradOutput")
    _check_gout(gout, g.batch, g.Co, g.osz)
    return ga


def conv_full2d_fwd(out: Tensor, x: Any, w: Tensor, b: Any, fgrad: Tensor, kW: int, kH: int,
                    dW: int, dH: int, padW: int, padH: int, adjW: int, adjH: int) -> None:
    """2-D full convolution output (weight nInputPlane x nOutputPlane x kH x kW)."""
    g = _Full(x, w, 2, (kH, kW), (dH, dW), (padH, padW), (adjH, adjW))
    ba = _opt(b, w, "bias")
    if ba is not None:
        _need("bias", b, 1, 0, g.Co)
    g.forward(out, w.a, ba, fgrad)


def conv_full2d_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, finput: Tensor, fgrad: Tensor,
                    kW: int, kH: int, dW: int, dH: int, padW: int, padH: int, adjW: int,
                    adjH: int) -> None:
    """2-D full convolution gradInput."""
    g = _Full(x, w, 2, (kH, kW), (dH, dW), (padH, padW), (adjH, adjW))
    g.grad_input(gi, _full_gout(g, gout, w), w.a, finput, fgrad)


def conv_full2d_acc(x: Any, gout: Any, gw: Tensor, gb: Any, finput: Tensor, fgrad: Tensor,
                    kW: int, kH: int, dW: int, dH: int, padW: int, padH: int, adjW: int,
                    adjH: int, scale: float) -> None:
    """2-D full convolution gradWeight / gradBias accumulation."""
    g = _Full(x, gw, 2, (kH, kW), (dH, dW), (padH, padW), (adjH, adjW))
    ga = _full_gout(g, gout, gw)
    g.grad_params(ga, gw.a, _opt(gb, gw, "gradBias"), finput, fgrad, scale)


def conv_full3d_fwd(out: Tensor, x: Any, w: Tensor, b: Any, fgrad: Tensor,
                    kT: int, kW: int, kH: int, dT: int, dW: int, dH: int,
                    padT: int, padW: int, padH: int, adjT: int, adjW: int, adjH: int) -> None:
    """3-D full convolution output (weight nInputPlane x nOutputPlane x kT x kH x kW)."""
    g = _Full(x, w, 3, (kT, kH, kW), (dT, dH, dW), (padT, padH, padW), (adjT, adjH, adjW))
    ba = _opt(b, w, "bias")
    if ba is not None:
        _need("bias", b, 1, 0, g.Co)
    g.forward(out, w.a, ba, fgrad)


def conv_full3d_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, finput: Tensor, fgrad: Tensor,
                    kT: int, kW: int, kH: int, dT: int, dW: int, dH: int,
                    padT: int, padW: int, padH: int, adjT: int, adjW: int, adjH: int) -> None:
    """3-D full convolution gradInput."""
    g = _Full(x, w, 3, (kT, kH, kW), (dT, dH, dW), (padT, padH, padW), (adjT, adjH, adjW))
    g.grad_input(gi, _full_gout(g, gout, w), w.a, finput, fgrad)


def conv_full3d_acc(x: Any, gout: Any, gw: Tensor, gb: Any, finput: Tensor, fgrad: Tensor,
                    kT: int, kW: int, kH: int, dT: int, dW: int, dH: int,
                    padT: int, padW: int, padH: int, adjT: int, adjW: int, adjH: int,
                    scale: float) -> None:
    """3-D full convolution gradWeight / gradBias accumulation."""
    g = _Full(x, gw, 3, (kT, kH, kW), (dT, dH, dW), (padT, padH, padW), (adjT, adjH, adjW))
    ga = _full_gout(g, gout, gw)
    g.grad_params(ga, gw.a, _opt(gb, gw, "gradBias"), finput, fgrad, scale)


# -- TemporalConvolution --------------------------------------------------------------------------
def _temporal_geom(x: Any, like: Tensor, kW: int, dW: int, frame: Optional[int],
                   spaced: bool = False) -> tuple:
    """(batched input array, batch?, output frames) of a temporal layer (THNN's checks)."""
    if kW <= 0:
        raise TorchError(f"kernel size should be greater than zero, but got kW: {kW}")
    if dW <= 0:
        raise TorchError(f"stride should be greater than zero, but got dW: {dW}")
    xa = _arr(x, like, "input")
    n = len(x.size)
    if n not in (2, 3):
        raise TorchError(f"2D or 3D (batch mode) tensor expected for input, but got: "
                         f"{size_str(x.size)}")
    batch = n == 3
    if not batch:
        xa = xa.reshape((1,) + xa.shape)
    gap = "  " if spaced else " "
    if frame is not None and xa.shape[2] != frame:
        raise TorchError(f"invalid input frame size.{gap}Got: {xa.shape[2]}, Expected: {frame}")
    if xa.shape[1] < kW:
        got = "Got " if spaced else "Got: "
        raise TorchError(f"input sequence smaller than kernel size.{gap}{got}{xa.shape[1]}, "
                         f"Expected: {kW}")
    return xa, batch, (xa.shape[1] - kW) // dW + 1


def _temporal_gout(gout: Any, like: Tensor, batch: bool, nout: int, frame: int) -> Any:
    ga = _arr(gout, like, "gradOutput")
    nd = 3 if batch else 2
    _need("gradOutput", gout, nd, nd - 2, nout)
    _need("gradOutput", gout, nd, nd - 1, frame)
    return ga if batch else ga.reshape((1,) + ga.shape)


def conv_temporal_fwd(out: Tensor, x: Any, w: Tensor, b: Any, finput: Tensor,
                      kW: int, dW: int, inFrame: int, outFrame: int) -> None:
    """1-D convolution over frames: out[t] = W . (input[t*dW .. t*dW+kW-1] flattened) + b."""
    xa, batch, nout = _temporal_geom(x, w, kW, dW, inFrame)
    xp = w.xp
    B = xa.shape[0]
    oa = _fit(out, ((B,) if batch else ()) + (nout, outFrame))
    col = _fit(finput, (B * nout, kW * inFrame))
    _unfold_cl(xp, xa, col, (kW,), (dW,), (1,), (nout,))
    o2 = oa.reshape(B * nout, outFrame)
    xp.matmul(col, w.a.reshape(outFrame, kW * inFrame).T, out=o2)
    ba = _opt(b, w, "bias")
    if ba is not None:
        xp.add(o2, ba, out=o2)


def conv_temporal_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, fgrad: Tensor,
                      kW: int, dW: int) -> None:
    """TemporalConvolution gradInput."""
    Co = w.size[0]
    C = w.a.size // (Co * kW)
    xa, batch, nout = _temporal_geom(x, w, kW, dW, C)
    ga = _temporal_gout(gout, w, batch, nout, Co)
    xp = w.xp
    B = xa.shape[0]
    gia = _fit(gi, tuple(x.size))
    gia = gia if batch else gia.reshape((1,) + gia.shape)
    (fcol,) = _scratch(fgrad, w.dtype, (B * nout, kW * C))
    xp.matmul(ga.reshape(B * nout, Co), w.a.reshape(Co, kW * C), out=fcol)
    gia[...] = 0
    _fold_cl(xp, fcol, gia, (kW,), (dW,), (1,), (nout,))


def conv_temporal_acc(x: Any, gout: Any, gw: Tensor, gb: Any, finput: Tensor, fgrad: Tensor,
                      kW: int, dW: int, scale: float) -> None:
    """TemporalConvolution gradWeight / gradBias accumulation."""
    Co = gw.size[0]
    C = gw.a.size // (Co * kW)
    xa, batch, nout = _temporal_geom(x, gw, kW, dW, C)
    ga = _temporal_gout(gout, gw, batch, nout, Co)
    xp = gw.xp
    B = xa.shape[0]
    if _holds(finput, (B * nout, kW * C)):
        col = finput.a
    else:
        col = _fit(finput, (B * nout, kW * C))
        _unfold_cl(xp, xa, col, (kW,), (dW,), (1,), (nout,))
    g2 = ga.reshape(B * nout, Co)
    (tmp,) = _scratch(fgrad, gw.dtype, (Co, kW * C))
    xp.matmul(g2.T, col, out=tmp)
    _acc(gw.a, tmp, scale)
    gba = _opt(gb, gw, "gradBias")
    if gba is not None:
        _acc(gba, g2.sum(axis=0), scale)


# -- SpatialConvolutionLocal ----------------------------------------------------------------------
class _Local:
    """Locally connected layer: weight (oH, oW, Co, C, kH, kW), bias (Co, oH, oW)."""

    __slots__ = ("batch", "B", "C", "Co", "S", "osz", "k", "st", "pad", "Sp", "xa", "xp",
                 "dtype", "K", "L")

    def __init__(self, x: Any, w: Tensor, k: tuple, st: tuple, pad: tuple, isz: tuple,
                 osz: tuple, C: int, Co: int):
        _check_params(2, k, st)
        xa = _arr(x, w, "input")
        n = len(x.size)
        if n == 3:
            if tuple(x.size) != (C,) + isz:
                raise TorchError("Given input size: ({}x{}x{}) inconsistent with expected input "
                                 "size: ({}x{}x{}).".format(*x.size, C, *isz))
            xa = xa.reshape((1,) + xa.shape)
        elif n == 4:
            if tuple(x.size[1:]) != (C,) + isz:
                raise TorchError("Given input size: ({}x{}x{}x{}) inconsistent with expected "
                                 "input size: (batchsize x{}x{}x{}).".format(*x.size, C, *isz))
        else:
            raise TorchError("3D or 4D(batch mode) tensor expected")
        self.batch = n == 4
        self.B, self.C, self.Co, self.S, self.osz = xa.shape[0], C, Co, isz, osz
        self.k, self.st, self.pad = k, st, pad
        self.Sp = (isz[0] + 2 * pad[0], isz[1] + 2 * pad[1])
        self.xa, self.xp, self.dtype = xa, w.xp, w.dtype
        self.K = C * k[0] * k[1]
        self.L = osz[0] * osz[1]

    def check_gout(self, gout: Any, like: Tensor) -> Any:
        ga = _arr(gout, like, "gradOutput")
        n = len(gout.size)
        if n != (4 if self.batch else 3):
            raise TorchError("inconsistent dimension between output and input.")
        want = (self.Co,) + self.osz
        if tuple(gout.size[n - 3:]) != want:
            if n == 3:
                raise TorchError("Given output size: ({}x{}x{}) inconsistent with expected "
                                 "output size: ({}x{}x{}).".format(*gout.size, *want))
            raise TorchError("Given output size: ({}x{}x{}x{}) inconsistent with expected output "
                             "size: (batchsize x{}x{}x{}).".format(*gout.size, *want))
        return ga if self.batch else ga.reshape((1,) + ga.shape)

    def columns(self, finput: Tensor, fgrad: Tensor) -> Any:
        """finput[l, (c, kh, kw), b] = padded input under output position l."""
        xp, B, C = self.xp, self.B, self.C
        col = _fit(finput, (self.L, self.K, B))
        img = self.xa
        if any(self.pad):
            (img,) = _scratch(fgrad, self.dtype, (B, C) + self.Sp)
            _padded(xp, self.xa, img, 2, self.pad)
        s = img.strides
        shape = self.osz + (C,) + self.k + (B,)
        strides = (s[2] * self.st[0], s[3] * self.st[1], s[1], s[2], s[3], s[0])
        xp.copyto(col.reshape(shape), _strided(xp, img, shape, strides))
        return col

    def gout_l(self, ga: Any, fgrad: Tensor, extra: tuple = ()) -> list:
        """gradOutput as (L, Co, B) plus extra scratch arrays."""
        arrs = _scratch(fgrad, self.dtype, (self.L, self.Co, self.B), *extra)
        self.xp.copyto(arrs[0], ga.reshape(self.B, self.Co, self.L).transpose(2, 1, 0))
        return arrs


def _local(x: Any, w: Tensor, kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
           iW: int, iH: int, oW: int, oH: int, C: int, Co: int) -> _Local:
    return _Local(x, w, (kH, kW), (dH, dW), (padH, padW), (iH, iW), (oH, oW), C, Co)


def conv_local_fwd(out: Tensor, x: Any, w: Tensor, b: Any, finput: Tensor, fgrad: Tensor,
                   kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
                   iW: int, iH: int, oW: int, oH: int, C: int, Co: int) -> None:
    """SpatialConvolutionLocal output: one weight set per output position."""
    g = _local(x, w, kW, kH, dW, dH, padW, padH, iW, iH, oW, oH, C, Co)
    xp, B, L = g.xp, g.B, g.L
    col = g.columns(finput, fgrad)
    (ol,) = _scratch(fgrad, g.dtype, (L, Co, B))
    xp.matmul(w.a.reshape(L, Co, g.K), col, out=ol)
    oa = _fit(out, ((B,) if g.batch else ()) + (Co, oH, oW))
    o3 = oa.reshape(B, Co, L)
    src = ol.transpose(2, 1, 0)
    ba = _opt(b, w, "bias")
    if ba is None:
        xp.copyto(o3, src)
    else:
        xp.add(src, ba.reshape(Co, L), out=o3)


def conv_local_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, fgrad: Tensor,
                   kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
                   iW: int, iH: int, oW: int, oH: int, C: int, Co: int) -> None:
    """SpatialConvolutionLocal gradInput."""
    g = _local(x, w, kW, kH, dW, dH, padW, padH, iW, iH, oW, oH, C, Co)
    ga = g.check_gout(gout, w)
    xp, B, L = g.xp, g.B, g.L
    extra = [(L, g.K, B)]
    if any(g.pad):
        extra.append((B, C) + g.Sp)
    arrs = g.gout_l(ga, fgrad, tuple(extra))
    gl, fcol = arrs[0], arrs[1]
    xp.matmul(w.a.reshape(L, Co, g.K).transpose(0, 2, 1), gl, out=fcol)
    gia = _fit(gi, tuple(x.size))
    gia = gia if g.batch else gia.reshape((1,) + gia.shape)
    img = arrs[2] if any(g.pad) else gia
    img[...] = 0
    fc = fcol.reshape((oH, oW, C) + g.k + (B,))
    for kh, kw in _offsets(g.k):
        dst = img[:, :, _window(kh, dH, oH), _window(kw, dW, oW)]
        xp.add(dst, fc[:, :, :, kh, kw, :].transpose(3, 2, 0, 1), out=dst)
    if any(g.pad):
        xp.copyto(gia, _inner(img, 2, g.pad, g.S))


def conv_local_acc(x: Any, gout: Any, gw: Tensor, gb: Any, finput: Tensor, fgrad: Tensor,
                   kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
                   iW: int, iH: int, oW: int, oH: int, C: int, Co: int, scale: float) -> None:
    """SpatialConvolutionLocal gradWeight / gradBias accumulation."""
    g = _local(x, gw, kW, kH, dW, dH, padW, padH, iW, iH, oW, oH, C, Co)
    ga = g.check_gout(gout, gw)
    xp, B, L = g.xp, g.B, g.L
    if _holds(finput, (L, g.K, B)):
        col = finput.a
    else:
        col = g.columns(finput, fgrad)
    gl, tmp = g.gout_l(ga, fgrad, ((L, Co, g.K),))
    xp.matmul(gl, col.transpose(0, 2, 1), out=tmp)
    _acc(gw.a, tmp, scale)
    gba = _opt(gb, gw, "gradBias")
    if gba is not None:
        _acc(gba, ga.sum(axis=0), scale)


# -- SpatialConvolutionMap ------------------------------------------------------------------------
def _map_geom(x: Any, w: Tensor, conn: Any, nin: int) -> tuple:
    """(input planes, kernel, connection from/to indices) of a connection-table convolution."""
    if len(w.size) != 3 or type(conn) is not Tensor or conn.size[0] != w.size[0]:
        raise TorchError("3D weight tensor expected (connTable:size(1) x kH x kW)")
    _arr(x, w, "input")
    n = len(x.size)
    if n not in (3, 4):
        raise TorchError("3D or 4D(batch mode) tensor expected")
    dimc = n - 3
    kH, kW = w.size[1], w.size[2]
    if x.size[dimc] < nin:
        raise TorchError("invalid number of input planes")
    if x.size[dimc + 2] < kW or x.size[dimc + 1] < kH:
        raise TorchError("input image smaller than kernel size")
    ct = conn.a
    xp = w.xp
    frm = xp.asarray(ct[:, 0]).astype(xp.int64) - 1
    to = xp.asarray(ct[:, 1]).astype(xp.int64) - 1
    return x.size[dimc], (kH, kW), frm, to


def _map_dense(w: Tensor, C: int, Co: int, k: tuple, frm: Any, to: Any) -> Any:
    """The full nOutputPlane x nInputPlane x kH x kW weight equivalent to the table's kernels."""
    xp = w.xp
    dense = xp.zeros((Co, C) + k, dtype=w.dtype)
    _xp_add_at(xp, dense, (to, frm), w.a)
    return dense


def _xp_add_at(xp: Any, dst: Any, idx: tuple, vals: Any) -> None:
    if hasattr(xp, "add") and hasattr(xp.add, "at"):
        xp.add.at(dst, idx, vals)
    else:  # CuPy
        import cupyx  # noqa: PLC0415

        cupyx.scatter_add(dst, idx, vals)


def conv_map_fwd(out: Tensor, x: Any, w: Tensor, b: Tensor, conn: Tensor, finput: Tensor,
                 fgrad: Tensor, nin: int, nout: int, dW: int, dH: int) -> None:
    """SpatialConvolutionMap output (kernels connect the planes listed in connTable)."""
    C, k, frm, to = _map_geom(x, w, conn, nin)
    dense = _map_dense(w, C, nout, k, frm, to)
    g = _Conv(x, w, 2, k, (dH, dW), (0, 0), (1, 1), (3, 3), planes=C,
              nout=nout)
    g.forward(out, dense, _opt(b, w, "bias"), finput, fgrad)


def conv_map_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, conn: Tensor, fgrad: Tensor,
                 nin: int, nout: int, dW: int, dH: int) -> None:
    """SpatialConvolutionMap gradInput."""
    C, k, frm, to = _map_geom(x, w, conn, nin)
    dense = _map_dense(w, C, nout, k, frm, to)
    g = _Conv(x, w, 2, k, (dH, dW), (0, 0), (1, 1), (3, 3), planes=C,
              nout=nout)
    ga = _arr(gout, w, "gradOutput")
    _check_gout(gout, g.batch, nout, g.osz)
    g.grad_input(gi, ga, dense, fgrad)


def conv_map_acc(x: Any, gout: Any, gw: Tensor, gb: Tensor, conn: Tensor, finput: Tensor,
                 fgrad: Tensor, nin: int, nout: int, dW: int, dH: int, scale: float) -> None:
    """SpatialConvolutionMap gradWeight / gradBias accumulation."""
    C, k, frm, to = _map_geom(x, gw, conn, nin)
    g = _Conv(x, gw, 2, k, (dH, dW), (0, 0), (1, 1), (3, 3), planes=C,
              nout=nout)
    ga = _arr(gout, gw, "gradOutput")
    _check_gout(gout, g.batch, nout, g.osz)
    xp = gw.xp
    dense = xp.zeros((nout, C) + k, dtype=gw.dtype)
    g.grad_params(ga, dense, _opt(gb, gw, "gradBias"), finput, fgrad, scale)
    xp.add(gw.a, dense[to, frm], out=gw.a)


# -- SpatialDepthWiseConvolution ------------------------------------------------------------------
def _depthwise(x: Any, w: Tensor, kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
               nin: int) -> _Conv:
    """Geometry of a depth-wise convolution: weight depthMultiplier x (nInputPlane*kH*kW)."""
    g = _Conv(x, w, 2, (kH, kW), (dH, dW), (padH, padW), (1, 1), (2, 4), planes=nin)
    g.cl = g.cl_fwd = False
    return g


def conv_depthwise_fwd(out: Tensor, x: Any, w: Tensor, b: Any, finput: Tensor, fgrad: Tensor,
                       kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
                       nin: int) -> None:
    """Each input plane c convolved with its own M kernels: output planes c*M + m."""
    g = _depthwise(x, w, kW, kH, dW, dH, padW, padH, nin)
    xp, B, C, P, L = g.xp, g.B, g.C, g.P, g.L
    M = w.size[0]
    oa = g.batched(_fit(out, g.out_shape(C * M)))
    col = _fit(finput, g.col_shape(B, False, False))
    g.columns(col, 0, B, g.img_scratch(fgrad, B, False), False, False)
    col = col.reshape(B, C, P, L)
    o4 = oa.reshape(B, C, M, L)
    xp.matmul(w.a.reshape(M, C, P).transpose(1, 0, 2), col, out=o4)
    ba = _opt(b, w, "bias")
    if ba is not None:
        xp.add(o4, ba.reshape(M, C).T.reshape(C, M, 1), out=o4)


def conv_depthwise_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, fgrad: Tensor,
                       kW: int, kH: int, dW: int, dH: int, padW: int, padH: int,
                       nin: int) -> None:
    """SpatialDepthWiseConvolution gradInput."""
    g = _depthwise(x, w, kW, kH, dW, dH, padW, padH, nin)
    xp, B, C, P, L = g.xp, g.B, g.C, g.P, g.L
    M = w.size[0]
    ga = _arr(gout, w, "gradOutput")
    _check_gout(gout, g.batch, C * M, g.osz)
    ga = g.batched(ga).reshape(B, C, M, L)
    gia = g.batched(_fit(gi, tuple(x.size)))
    if any(g.pad):
        fcol, img = _scratch(fgrad, g.dtype, (B, C, P, L), (B, C) + g.Sp)
    else:
        (fcol,) = _scratch(fgrad, g.dtype, (B, C, P, L))
        img = gia
    xp.matmul(w.a.reshape(M, C, P).transpose(1, 2, 0), ga, out=fcol)
    img[...] = 0
    _fold_cf(xp, fcol, img, g.k, g.st, g.dil, g.osz)
    if any(g.pad):
        xp.copyto(gia, _inner(img, 2, g.pad, g.S))


def conv_depthwise_acc(x: Any, gout: Any, gw: Tensor, gb: Any, finput: Tensor, fgrad: Tensor,
                       kW: int, kH: int, dW: int, dH: int, padW: int, padH: int, nin: int,
                       scale: float) -> None:
    """SpatialDepthWiseConvolution gradWeight / gradBias accumulation."""
    g = _depthwise(x, gw, kW, kH, dW, dH, padW, padH, nin)
    xp, B, C, P, L = g.xp, g.B, g.C, g.P, g.L
    M = gw.size[0]
    ga = _arr(gout, gw, "gradOutput")
    _check_gout(gout, g.batch, C * M, g.osz)
    ga = g.batched(ga).reshape(B, C, M, L)
    if _holds(finput, g.col_shape(B, False, False)):
        col = finput.a
    else:
        col = _fit(finput, g.col_shape(B, False, False))
        g.columns(col, 0, B, g.img_scratch(fgrad, B, False), False, False)
    col = col.reshape(B, C, P, L)
    (tmp,) = _scratch(fgrad, g.dtype, (B, C, M, P))
    xp.matmul(ga, col.transpose(0, 1, 3, 2), out=tmp)
    _acc(gw.a, tmp.sum(axis=0).transpose(1, 0, 2), scale)
    gba = _opt(gb, gw, "gradBias")
    if gba is not None:
        _acc(gba, ga.sum(axis=(0, 3)).T, scale)


# -- sub-sampling (spatial and temporal) ----------------------------------------------------------
def _subsample_geom(x: Any, w: Tensor, kW: int, kH: int, dW: int, dH: int) -> tuple:
    _check_params(2, (kH, kW), (dH, dW))
    xa = _arr(x, w, "input")
    n = len(x.size)
    if n not in (3, 4):
        raise TorchError(f"3D or 4D input tensor expected but got: {size_str(x.size)}")
    if n == 3:
        xa = xa.reshape((1,) + xa.shape)
    if xa.shape[1] != w.a.size:
        raise TorchError("invalid number of input planes")
    H, W = xa.shape[2:]
    if W < kW or H < kH:
        raise TorchError("input image smaller than kernel size")
    return xa, n == 4, ((H - kH) // dH + 1, (W - kW) // dW + 1)


def _window_sum(xp: Any, xa: Any, dst: Any, k: tuple, st: tuple, osz: tuple, lead: int) -> None:
    """dst = sum over the kernel window of xa (spatial axes from `lead`)."""
    first = True
    nd = len(k)
    head = (slice(None),) * lead
    for off in _offsets(k):
        src = xa[head + tuple(_window(off[i], st[i], osz[i]) for i in range(nd))]
        if first:
            xp.copyto(dst, src)
            first = False
        else:
            xp.add(dst, src, out=dst)


def conv_subsample2d_fwd(out: Tensor, x: Any, w: Tensor, b: Tensor, kW: int, kH: int,
                         dW: int, dH: int) -> None:
    """out[c] = weight[c] * (sum of input[c] over each kH x kW window) + bias[c]."""
    xa, batch, osz = _subsample_geom(x, w, kW, kH, dW, dH)
    xp = w.xp
    B, C = xa.shape[:2]
    oa = _fit(out, ((B,) if batch else ()) + (C,) + osz)
    o4 = oa if batch else oa.reshape((1,) + oa.shape)
    _window_sum(xp, xa, o4, (kH, kW), (dH, dW), osz, 2)
    xp.multiply(o4, w.a.reshape(C, 1, 1), out=o4)
    ba = _opt(b, w, "bias")
    if ba is not None:
        xp.add(o4, ba.reshape(C, 1, 1), out=o4)


def conv_subsample2d_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, kW: int, kH: int,
                         dW: int, dH: int) -> None:
    """SpatialSubSampling gradInput."""
    xa, batch, osz = _subsample_geom(x, w, kW, kH, dW, dH)
    xp = w.xp
    C = xa.shape[1]
    ga = _arr(gout, w, "gradOutput")
    _check_gout(gout, batch, C, osz)
    ga = ga if batch else ga.reshape((1,) + ga.shape)
    gia = _fit(gi, tuple(x.size))
    gia = gia if batch else gia.reshape((1,) + gia.shape)
    gw = ga * w.a.reshape(C, 1, 1)
    gia[...] = 0
    for kh, kw in _offsets((kH, kW)):
        dst = gia[:, :, _window(kh, dH, osz[0]), _window(kw, dW, osz[1])]
        xp.add(dst, gw, out=dst)


def conv_subsample2d_acc(x: Any, gout: Any, gw: Tensor, gb: Tensor, kW: int, kH: int,
                         dW: int, dH: int, scale: float) -> None:
    """SpatialSubSampling gradWeight / gradBias accumulation."""
    xa, batch, osz = _subsample_geom(x, gw, kW, kH, dW, dH)
    xp = gw.xp
    B, C = xa.shape[:2]
    ga = _arr(gout, gw, "gradOutput")
    _check_gout(gout, batch, C, osz)
    ga = ga if batch else ga.reshape((1,) + ga.shape)
    ws = xp.empty((B, C) + osz, dtype=gw.dtype)
    _window_sum(xp, xa, ws, (kH, kW), (dH, dW), osz, 2)
    _acc(gw.a, xp.einsum("bchw,bchw->c", ws, ga), scale)
    gba = _opt(gb, gw, "gradBias")
    if gba is not None:
        _acc(gba, ga.sum(axis=(0, 2, 3)), scale)


def conv_subsample1d_fwd(out: Tensor, x: Any, w: Tensor, b: Tensor, kW: int, dW: int,
                         frame: int) -> None:
    """out[t, c] = weight[c] * sum_k input[t*dW + k, c] + bias[c]."""
    xa, batch, nout = _temporal_geom(x, w, kW, dW, frame, spaced=True)
    xp = w.xp
    B = xa.shape[0]
    oa = _fit(out, ((B,) if batch else ()) + (nout, frame))
    o3 = oa if batch else oa.reshape((1,) + oa.shape)
    _window_sum(xp, xa, o3, (kW,), (dW,), (nout,), 1)
    xp.multiply(o3, w.a, out=o3)
    ba = _opt(b, w, "bias")
    if ba is not None:
        xp.add(o3, ba, out=o3)


def conv_subsample1d_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, kW: int, dW: int) -> None:
    """TemporalSubSampling gradInput."""
    frame = w.a.size
    xa, batch, nout = _temporal_geom(x, w, kW, dW, frame, spaced=True)
    xp = w.xp
    ga = _temporal_gout(gout, w, batch, nout, frame)
    gia = _fit(gi, tuple(x.size))
    gia = gia if batch else gia.reshape((1,) + gia.shape)
    gw = ga * w.a
    gia[...] = 0
    for k in range(kW):
        dst = gia[:, _window(k, dW, nout)]
        xp.add(dst, gw, out=dst)


def conv_subsample1d_acc(x: Any, gout: Any, gw: Tensor, gb: Tensor, kW: int, dW: int,
                         scale: float) -> None:
    """TemporalSubSampling gradWeight / gradBias accumulation."""
    frame = gw.a.size
    xa, batch, nout = _temporal_geom(x, gw, kW, dW, frame, spaced=True)
    xp = gw.xp
    ga = _temporal_gout(gout, gw, batch, nout, frame)
    ws = xp.empty((xa.shape[0], nout, frame), dtype=gw.dtype)
    _window_sum(xp, xa, ws, (kW,), (dW,), (nout,), 1)
    _acc(gw.a, xp.einsum("btc,btc->c", ws, ga), scale)
    gba = _opt(gb, gw, "gradBias")
    if gba is not None:
        _acc(gba, ga.sum(axis=(0, 1)), scale)


# -- TemporalMaxPooling ---------------------------------------------------------------------------
def conv_tmaxpool_fwd(out: Tensor, idx: Tensor, x: Any, kW: int, dW: int) -> None:
    """out[t, c] = max over input[t*dW .. t*dW+kW-1, c]; idx = the arg max's offset (0-based)."""
    if type(x) is not Tensor:
        raise TorchError(f"input must be a tensor (got {type(x).__name__})")
    xa, batch, nout = _temporal_geom(x, x, kW, dW, None)
    xp = x.xp
    B, _, C = xa.shape
    s = xa.strides
    win = _strided(xp, xa, (B, nout, C, kW), (s[0], s[1] * dW, s[2], s[1]))
    shape = ((B,) if batch else ()) + (nout, C)
    oa = _fit(out, shape)
    ia = _fit(idx, shape)
    am = win.argmax(axis=-1)
    xp.copyto(ia, am.reshape(shape))
    xp.copyto(oa, xp.take_along_axis(win, am[..., None], axis=-1).reshape(shape))


def conv_tmaxpool_bwd(gi: Tensor, x: Any, gout: Any, idx: Tensor, kW: int, dW: int) -> None:
    """TemporalMaxPooling gradInput: gradOutput routed back to each window's arg max."""
    if type(x) is not Tensor:
        raise TorchError(f"input must be a tensor (got {type(x).__name__})")
    xa, batch, nout = _temporal_geom(x, x, kW, dW, None)
    xp = x.xp
    C = xa.shape[2]
    ga = _temporal_gout(gout, x, batch, nout, C)
    ia = idx.a if type(idx) is Tensor else None
    if ia is None or tuple(idx.size) != tuple(gout.size):
        raise TorchError("indices do not match gradOutput: call updateOutput first")
    ia = ia if batch else ia.reshape((1,) + ia.shape)
    gia = _fit(gi, tuple(x.size))
    gia = gia if batch else gia.reshape((1,) + gia.shape)
    gia[...] = 0
    zero = xp.zeros((), dtype=ga.dtype)
    for k in range(kW):
        dst = gia[:, _window(k, dW, nout)]
        xp.add(dst, xp.where(ia == k, ga, zero), out=dst)


# -- TemporalRowConvolution -----------------------------------------------------------------------
def _row_geom(x: Any, w: Tensor, kW: int, dW: int, feat_first: bool) -> tuple:
    """(input as (B, T, C) array, batch?, output frames) of a row convolution."""
    if kW <= 0:
        raise TorchError(f"kernel size should be greater than zero, but got kW: {kW}")
    if dW <= 0:
        raise TorchError(f"stride should be greater than zero, but got dW: {dW}")
    if len(w.size) != 3:
        raise TorchError(f"3D weight tensor expected, but got: {size_str(w.size)}")
    xa = _arr(x, w, "input")
    n = len(x.size)
    # THNN describes the input in its (batch x) features x frames form
    fsize = tuple(x.size) if feat_first else tuple(x.size[:-2]) + (x.size[-1], x.size[-2]) \
        if n >= 2 else tuple(x.size)
    if n not in (2, 3):
        raise TorchError(f"2D or 3D (batch mode) input tensor expected, but got :"
                         f"{size_str(fsize)}")
    if n == 2:
        xa = xa.reshape((1,) + xa.shape)
    if feat_first:
        xa = xa.transpose(0, 2, 1)
    C = w.size[0]
    T = xa.shape[1]
    nout = _cdiv(T - kW, dW) + 1
    if nout < 1:
        raise TorchError(f"Given input size: ({C} x {T}). Calculated output size: "
                         f"({C} x {nout}). Output size is too small")
    _need("input", fsize, n, n - 2, C)
    return xa, n == 3, nout


def _row_out(t: Tensor, batch: bool, feat_first: bool, B: int, nout: int, C: int) -> Any:
    """The (B, T, C) view of an output-shaped result resized for a row convolution."""
    if feat_first:
        a = _fit(t, ((B,) if batch else ()) + (C, nout))
        a = a if batch else a.reshape((1,) + a.shape)
        return a.transpose(0, 2, 1)
    a = _fit(t, ((B,) if batch else ()) + (nout, C))
    return a if batch else a.reshape((1,) + a.shape)


def _row_gout(gout: Any, w: Tensor, batch: bool, feat_first: bool, nout: int) -> Any:
    ga = _arr(gout, w, "gradOutput")
    n = 3 if batch else 2
    C = w.size[0]
    fsz = tuple(gout.size) if feat_first or len(gout.size) < 2 else \
        tuple(gout.size[:-2]) + (gout.size[-1], gout.size[-2])
    _need("gradOutput", fsz, n, n - 2, C)
    _need("gradOutput", fsz, n, n - 1, nout)
    ga = ga if batch else ga.reshape((1,) + ga.shape)
    return ga.transpose(0, 2, 1) if feat_first else ga


def _row_window(xp: Any, xa: Any, kW: int, dW: int, nout: int) -> Any:
    """win[b, t, c, k] = xa[b, t*dW + k, c]."""
    s = xa.strides
    B, _, C = xa.shape
    return _strided(xp, xa, (B, nout, C, kW), (s[0], s[1] * dW, s[2], s[1]))


def conv_rowconv_fwd(out: Tensor, x: Any, w: Tensor, b: Any, kW: int, dW: int,
                     feat_first: bool) -> None:
    """out[t, c] = bias[c] + sum_k weight[c][1][k] * input[t*dW + k, c]."""
    xa, batch, nout = _row_geom(x, w, kW, dW, feat_first)
    xp = w.xp
    B, _, C = xa.shape
    oa = _row_out(out, batch, feat_first, B, nout, C)
    wa = w.a.reshape(C, kW)
    ba = _opt(b, w, "bias")
    tmp = xp.empty((B, nout, C), dtype=w.dtype)
    for k in range(kW):
        src = xa[:, _window(k, dW, nout)]
        if k == 0:
            xp.multiply(src, wa[:, 0], out=oa)
        else:
            xp.multiply(src, wa[:, k], out=tmp)
            xp.add(oa, tmp, out=oa)
    if ba is not None:
        xp.add(oa, ba, out=oa)


def conv_rowconv_bwd(gi: Tensor, x: Any, gout: Any, w: Tensor, kW: int, dW: int,
                     feat_first: bool) -> None:
    """TemporalRowConvolution gradInput."""
    xa, batch, nout = _row_geom(x, w, kW, dW, feat_first)
    xp = w.xp
    C = xa.shape[2]
    ga = _row_gout(gout, w, batch, feat_first, nout)
    gia = _fit(gi, tuple(x.size))
    gia = gia if batch else gia.reshape((1,) + gia.shape)
    if feat_first:
        gia = gia.transpose(0, 2, 1)
    gia[...] = 0
    wa = w.a.reshape(C, kW)
    tmp = xp.empty(ga.shape, dtype=w.dtype)
    for k in range(kW):
        dst = gia[:, _window(k, dW, nout)]
        xp.multiply(ga, wa[:, k], out=tmp)
        xp.add(dst, tmp, out=dst)


def conv_rowconv_acc(x: Any, gout: Any, gw: Tensor, gb: Any, kW: int, dW: int,
                     feat_first: bool, scale: float) -> None:
    """TemporalRowConvolution gradWeight / gradBias accumulation."""
    xa, batch, nout = _row_geom(x, gw, kW, dW, feat_first)
    xp = gw.xp
    ga = _row_gout(gout, gw, batch, feat_first, nout)
    win = _row_window(xp, xa, kW, dW, nout)
    _acc(gw.a, xp.einsum("btck,btc->ck", win, ga), scale)
    gba = _opt(gb, gw, "gradBias")
    if gba is not None:
        _acc(gba, ga.sum(axis=(0, 1)), scale)


EXPORTS = {
    "conv_spatial_fwd": conv_spatial_fwd,
    "conv_spatial_bwd": conv_spatial_bwd,
    "conv_spatial_acc": conv_spatial_acc,
    "conv_spatial_backward": conv_spatial_backward,
    "conv_volumetric_fwd": conv_volumetric_fwd,
    "conv_volumetric_bwd": conv_volumetric_bwd,
    "conv_volumetric_acc": conv_volumetric_acc,
    "conv_full2d_fwd": conv_full2d_fwd,
    "conv_full2d_bwd": conv_full2d_bwd,
    "conv_full2d_acc": conv_full2d_acc,
    "conv_full3d_fwd": conv_full3d_fwd,
    "conv_full3d_bwd": conv_full3d_bwd,
    "conv_full3d_acc": conv_full3d_acc,
    "conv_temporal_fwd": conv_temporal_fwd,
    "conv_temporal_bwd": conv_temporal_bwd,
    "conv_temporal_acc": conv_temporal_acc,
    "conv_local_fwd": conv_local_fwd,
    "conv_local_bwd": conv_local_bwd,
    "conv_local_acc": conv_local_acc,
    "conv_map_fwd": conv_map_fwd,
    "conv_map_bwd": conv_map_bwd,
    "conv_map_acc": conv_map_acc,
    "conv_depthwise_fwd": conv_depthwise_fwd,
    "conv_depthwise_bwd": conv_depthwise_bwd,
    "conv_depthwise_acc": conv_depthwise_acc,
    "conv_subsample2d_fwd": conv_subsample2d_fwd,
    "conv_subsample2d_bwd": conv_subsample2d_bwd,
    "conv_subsample2d_acc": conv_subsample2d_acc,
    "conv_subsample1d_fwd": conv_subsample1d_fwd,
    "conv_subsample1d_bwd": conv_subsample1d_bwd,
    "conv_subsample1d_acc": conv_subsample1d_acc,
    "conv_tmaxpool_fwd": conv_tmaxpool_fwd,
    "conv_tmaxpool_bwd": conv_tmaxpool_bwd,
    "conv_rowconv_fwd": conv_rowconv_fwd,
    "conv_rowconv_bwd": conv_rowconv_bwd,
    "conv_rowconv_acc": conv_rowconv_acc,
}
