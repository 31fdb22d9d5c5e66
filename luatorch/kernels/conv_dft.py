"""2-D convolutions of small planes through a discrete Fourier transform computed by matrix
products (used by kernels.conv for the layers where it is cheaper than im2col).

For unit strides and no dilation, a convolution of a zero-padded Hp x Wp plane is a product per
frequency of the plane's Hp x Wp discrete Fourier transform: no wrap-around reaches the valid
outputs, nor the positions that gradInput and gradWeight need (the kernel fits in the padded
plane).  With planes this small, the transform is one dense matrix: the whole convolution becomes
three matrix products (transform, per-frequency product over the planes, inverse transform), no
im2col columns and no col2im adds.  That pays off when the kernel is large against the plane
(LeNet's 5x5 on 12x12: a fifth of the multiplications) and the batch is large against the planes
(the weight's transform is per call); `worth_it` says when.

Spectra are complex arrays (complex64 for float32 data) laid out frequency-major for the
batched products: (F, rows, cols) with F = Hp * (Wp // 2 + 1), the half-spectrum of real data.
The transform matrices hold (real, imaginary) pairs interleaved, so that a real matrix product
writes a complex array's memory directly.  Arrays come from the tensors' module (`xp`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as _np

# plane size (padded) up to which a dense transform is used
MAX_PLANE = 400
_COMPLEX = {_np.dtype(_np.float32): _np.complex64, _np.dtype(_np.float64): _np.complex128}
_mats: dict = {}


def worth_it(B: int, C: int, Co: int, Sp: tuple, k: tuple, osz: tuple, dtype: Any) -> bool:
    """Whether the transform route beats im2col: small planes, a kernel large against the
    spectrum (per-frequency products are complex: 4 real multiplications), and weights small
    against the data (the weight's transform is recomputed each call)."""
    if len(Sp) != 2 or _np.dtype(dtype) not in _COMPLEX or min(C, Co) < 4:
        return False
    Hp, Wp = Sp
    if Hp * Wp > MAX_PLANE:
        return False
    F = Hp * (Wp // 2 + 1)
    L, P = osz[0] * osz[1], k[0] * k[1]
    return 4 * F <= 0.35 * L * P and C * Co <= B * (C + Co)


def _matrices(xp: Any, Sp: tuple, pad: tuple, k: tuple, osz: tuple, dtype: Any) -> tuple:
    """(input, kernel, output) forward transforms, rows = plane positions, and their inverses,
    evaluated at the input's inner positions, the kernel's and the output's."""
    key = (xp.__name__, Sp, pad, k, osz, _np.dtype(dtype).str)
    got = _mats.get(key)
    if got is not None:
        return got
    Hp, Wp = Sp
    Fw = Wp // 2 + 1
    F = Hp * Fw
    h, w = _np.arange(Hp), _np.arange(Wp)
    fh, fw = _np.arange(Hp), _np.arange(Fw)
    # phase of frequency (fh, fw) at position (h, w), laid out (h, w, fh, fw)
    phase = 2 * math.pi * (_np.multiply.outer(h, fh)[:, None, :, None] / Hp
                           + _np.multiply.outer(w, fw)[None, :, None, :] / Wp)
    cos, sin = _np.cos(phase).reshape(Hp, Wp, F), _np.sin(phase).reshape(Hp, Wp, F)
    fwd = _np.stack([cos, -sin], axis=-1).reshape(Hp, Wp, 2 * F)
    # a real signal's spectrum counts twice, except the columns that are their own mirror
    weight = _np.full(Fw, 2.0)
    weight[0] = 1
    if Wp % 2 == 0:
        weight[-1] = 1
    weight = _np.tile(weight, Hp) / (Hp * Wp)
    inv = (_np.stack([cos, -sin], axis=-1) * weight[:, None]).reshape(Hp, Wp, 2 * F)

    def rows(m: Any, h0: int, w0: int, hs: int, ws: int) -> Any:
        return m[h0:h0 + hs, w0:w0 + ws].reshape(hs * ws, 2 * F)

    S = (Hp - 2 * pad[0], Wp - 2 * pad[1])
    parts = (rows(fwd, pad[0], pad[1], *S), rows(fwd, 0, 0, *k), rows(fwd, 0, 0, *osz),
             rows(inv, pad[0], pad[1], *S).T, rows(inv, 0, 0, *k).T, rows(inv, 0, 0, *osz).T)
    got = (F,) + tuple(xp.asarray(_np.ascontiguousarray(p, dtype=dtype)) for p in parts)
    if len(_mats) > 64:
        _mats.clear()
    _mats[key] = got
    return got


class Spectral:
    """The transform-domain convolution of one geometry (see the module's docstring)."""

    def __init__(self, xp: Any, B: int, C: int, Co: int, S: tuple, Sp: tuple, pad: tuple,
                 k: tuple, osz: tuple, dtype: Any):
        self.xp, self.B, self.C, self.Co, self.dtype = xp, B, C, Co, dtype
        self.ct = _COMPLEX[_np.dtype(dtype)]
        self.Sn, self.P, self.L = S[0] * S[1], k[0] * k[1], osz[0] * osz[1]
        (self.F, self.t_in, self.t_k, self.t_out,
         self.i_in, self.i_k, self.i_out) = _matrices(xp, Sp, pad, k, osz, dtype)

    def spectrum_shape(self, rows: int, cols: int) -> tuple:
        """Float shape holding a (F, rows, cols) complex spectrum."""
        return (self.F, rows, 2 * cols)

    def _to_freq(self, a: Any, t: Any, rows: int, cols: int, tmp: Any, out: Any) -> Any:
        """out (F, rows, cols) complex = transform of `a` (rows * cols planes, flattened)."""
        xp = self.xp
        xp.matmul(a.reshape(rows * cols, -1), t, out=tmp)
        spec = tmp.view(self.ct).reshape(rows, cols, self.F)
        o = out.view(self.ct).reshape(self.F, rows, cols)
        xp.copyto(o, spec.transpose(2, 0, 1))
        return o

    def _from_freq(self, spec: Any, inv: Any, tmp: Any, out: Any) -> None:
        """out (rows * cols, positions) = inverse transform of spec (F, rows, cols) complex."""
        F, rows, cols = spec.shape
        t = tmp.view(self.ct).reshape(rows, cols, F)
        self.xp.copyto(t, spec.transpose(1, 2, 0))
        self.xp.matmul(tmp.reshape(rows * cols, 2 * F), inv, out=out)

    def weight_spectrum(self, wa: Any, tmp: Any, out: Any, conj: bool) -> Any:
        """(F, C, Co) spectrum of the weight, conjugated (correlation) or (F, Co, C) plain."""
        xp, C, Co, F = self.xp, self.C, self.Co, self.F
        xp.matmul(wa.reshape(Co * C, self.P), self.t_k, out=tmp)
        spec = tmp.view(self.ct).reshape(Co, C, F)
        if conj:
            o = self._carve(out, F, C, 2 * Co).view(self.ct)
            xp.conjugate(spec.transpose(2, 1, 0), out=o)
        else:
            o = self._carve(out, F, Co, 2 * C).view(self.ct)
            xp.copyto(o, spec.transpose(2, 0, 1))
        return o

    def scratch_shapes(self) -> tuple:
        """Flat float scratch sizes: a row-major spectrum, a second spectrum, the weight's two."""
        F, B, C, Co = self.F, self.B, self.C, self.Co
        n = 2 * F * max(B * C, B * Co, C * Co)
        return (n,), (n,), (2 * F * C * Co,), (2 * F * C * Co,)

    def _carve(self, buf: Any, *shape: int) -> Any:
        """The first elements of a flat scratch array, shaped (contiguous: writes land)."""
        n = 1
        for v in shape:
            n *= v
        return buf[:n].reshape(shape)

    def input_spectrum(self, xa: Any, tmp: Any, out: Any) -> Any:
        """The input's spectrum (F, B, C) into `out` (finput: reused by grad_params)."""
        B, C = self.B, self.C
        return self._to_freq(xa, self.t_in, B, C, self._carve(tmp, B * C, 2 * self.F), out)

    def forward(self, xs: Any, wa: Any, oa: Any, ba: Any, scratch: list) -> None:
        """oa (B, Co, L) = input spectrum xs (F, B, C) times the conjugated weight's, inverted."""
        xp, B, C, Co, F = self.xp, self.B, self.C, self.Co, self.F
        rm, sp, wt, ws = scratch
        wf = self.weight_spectrum(wa, self._carve(wt, C * Co, 2 * F), ws, conj=True)
        ys = self._carve(sp, F, B, 2 * Co).view(self.ct)
        xp.matmul(xs, wf, out=ys)
        o2 = oa.reshape(B * Co, self.L)
        self._from_freq(ys, self.i_out, self._carve(rm, B * Co, 2 * F), o2)
        if ba is not None:
            o3 = oa.reshape(B, Co, self.L)
            xp.add(o3, ba.reshape(Co, 1), out=o3)

    def gout_spectrum(self, ga: Any, scratch: list, out: Any) -> Any:
        """gradOutput's spectrum (F, B, Co) into `out`."""
        B, Co = self.B, self.Co
        return self._to_freq(ga, self.t_out, B, Co, self._carve(scratch[0], B * Co, 2 * self.F),
                             out)

    def grad_input(self, gs: Any, wa: Any, gia: Any, scratch: list) -> None:
        """gia (B, C, S) from gradOutput's spectrum gs (gout_spectrum): times the weight's."""
        xp, B, C, Co, F = self.xp, self.B, self.C, self.Co, self.F
        rm, sp, wt, ws = scratch
        wf = self.weight_spectrum(wa, self._carve(wt, C * Co, 2 * F), ws, conj=False)
        gis = self._carve(sp, F, B, 2 * C).view(self.ct)
        xp.matmul(gs, wf, out=gis)
        self._from_freq(gis, self.i_in, self._carve(rm, B * C, 2 * F),
                        gia.reshape(B * C, self.Sn))

    def grad_weight(self, gs: Any, xs: Any, scratch: list, dw: Any) -> None:
        """dw (Co, C * P) = sum over the batch of gradOutput correlated with the input, from
        their spectra gs and xs (gs is conjugated in place: call grad_input first)."""
        xp, C, Co, F = self.xp, self.C, self.Co, self.F
        rm, sp, wt, ws = scratch
        xp.conjugate(gs, out=gs)
        dws = self._carve(ws, F, Co, 2 * C).view(self.ct)
        xp.matmul(gs.transpose(0, 2, 1), xs, out=dws)
        self._from_freq(dws, self.i_k, self._carve(wt, C * Co, 2 * F),
                        dw.reshape(Co * C, self.P))
