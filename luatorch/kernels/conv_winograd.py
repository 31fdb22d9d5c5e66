"""3x3 unit-stride 2-D convolutions with many planes through Winograd's minimal filtering
F(2x2, 3x3) (used by kernels.conv for the layers where it beats im2col: VGG's and ResNet's
3x3 layers from 128 planes per BLAS thread on).

The output is cut into 2x2 tiles; each reads a 4x4 tile of the padded input.  A tile's 16
input values go through a fixed linear transform (B^T d B, additions only), the 3x3 kernel
through another (G g G^T), and the 2x2 outputs come back from the 16 elementwise products
(A^T m A).  Summed over planes, the elementwise products are 16 matrix products, one per
transform position, with (tiles x planes) operands: 16 multiplications per 4 outputs instead of
36, so the products shrink 2.25 times, and the transformed input is 4 times the input where
im2col's columns are 9 times.

The three passes all take this form:
- output: input tiles (F(2x2, 3x3)), kernel transformed by G;
- gradInput: gradOutput padded by 2 - pad, kernel flipped and its planes swapped (the flip
  only permutes G's rows, so it is G with its columns reversed);
- gradWeight: F(3x3, 2x2), the same input tiles against 2x2 tiles of gradOutput transformed by
  A, summed over tiles in the products, then G^T on the way back to the 3x3 kernel.

Tiles are laid out channels-last ((tiles, planes) matrices per transform position), so the
transforms are elementwise additions over runs of whole planes and the products are plain
GEMMs.  Batches are cut into chunks of samples sized for cache (CHUNK_ELEMS).  The transforms
are exact in real arithmetic; in floating point the results differ from im2col's by a few
rounding errors (about 1e-7 relative in float32).  Arrays come from the tensors' module (`xp`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as _np

from luatorch.kernels.conv_layout import last, padded, samples_per_chunk

# input and output planes (per BLAS thread) from which the route is taken (below, the
# transforms cost about what the smaller products save: measured on 64-plane ResNet layers)
MIN_PLANES = 128
# transformed elements (16 x tiles x planes) handled at once, a chunk of samples
CHUNK_ELEMS = 1 << 20
# the forward keeps the whole batch's transformed input (for gradWeight) up to this many
# elements (32 MB of float32; ResNet-18's CIFAR layers), past it gradWeight transforms again
KEEP_ELEMS = 1 << 23

_G = _np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]])
_mats: dict = {}


def worth_it(nd: int, k: tuple, st: tuple, dil: tuple, pad: tuple, C: int, Co: int,
             threads: int = 1) -> bool:
    """Whether a convolution takes this route: 2-D, 3x3, unit strides, no dilation, padding
    within the kernel (gradInput pads gradOutput by 2 - pad), many planes on both sides.

    The bound on planes grows with the BLAS threads: they shorten the products, not the
    transforms (NumPy passes, one thread).  On 2 threads, measured forward + backward per
    layer, 128 planes lose (55 against 47 ms) while 256 and 512 still gain."""
    return (nd == 2 and tuple(k) == (3, 3) and tuple(st) == (1, 1) and tuple(dil) == (1, 1)
            and all(0 <= p <= 2 for p in pad) and min(C, Co) >= MIN_PLANES * max(1, threads))


def _matrices(xp: Any, like: Any) -> tuple:
    """(kernel transform, flipped-kernel transform, gradWeight's way back): 16x9, 16x9, 9x16,
    in `like`'s type, on its device."""
    dev = None if xp is _np else like.device
    key = (xp.__name__, like.dtype.str, getattr(dev, "id", None))
    got = _mats.get(key)
    if got is None:
        g, gf = _np.kron(_G, _G), _np.kron(_G[:, ::-1], _G[:, ::-1])
        # gradOutput's tiles go through A with its last row's sign flipped ([0, 1] instead of
        # [0, -1]: a copy instead of a negation); G^T's last column undoes it
        back = _G.T * _np.array([1, 1, 1, -1])
        mats = (g, gf, _np.kron(back, back))
        if dev is None:
            got = tuple(m.astype(like.dtype) for m in mats)
        else:
            with dev:
                got = tuple(xp.asarray(m.astype(like.dtype)) for m in mats)
        _mats[key] = got
    return got


def _tiles(n: int) -> int:
    return (n + 1) // 2


class Winograd:
    """A validated geometry: input (B, C, S) -> output (B, Co, osz), padding `pad`."""

    def __init__(self, xp: Any, dtype: Any, B: int, C: int, Co: int, S: tuple, pad: tuple,
                 osz: tuple):
        self.xp, self.dtype, self.B, self.C, self.Co = xp, dtype, B, C, Co
        self.S, self.pad, self.osz = S, pad, osz
        # the largest tile grid of the passes: the output's (forward, gradWeight), the input's
        # (gradInput)
        tiles = max(_tiles(osz[0]) * _tiles(osz[1]), _tiles(S[0]) * _tiles(S[1]))
        per = 16 * tiles * max(C, Co)
        self.chunk = samples_per_chunk(B, per, CHUNK_ELEMS)

    # -- scratch ----------------------------------------------------------------------------------
    def _pass_sizes(self, cin: int, kout: int, size: tuple) -> list:
        """Scratch sizes of one pass producing `size` outputs with `kout` planes from `cin`
        planes: padded channels-last image; row transforms (reused for the output's first
        stage); transformed tiles (reused for the output tiles); products."""
        c = self.chunk
        th, tw = _tiles(size[0]), _tiles(size[1])
        T = c * th * tw
        return [c * (2 * th + 2) * (2 * tw + 2) * cin,
                max(4 * c * th * (2 * tw + 2) * cin, 8 * T * kout),
                max(16 * T * cin, 4 * T * kout), 16 * T * kout]

    def scratch_shapes(self, weight: bool = False) -> list:
        """Shapes of the passes' scratch arrays (flat, the larger of output's and gradInput's),
        then the transformed weight (16, Co, C); with `weight`, gradWeight's own arrays too:
        gradOutput's row transforms, its transformed tiles, the products (none with a single
        chunk: the transformed weight's memory is free by then), a chunk's part of them
        (several chunks only) whose memory then holds the gradient, and the padded input (when
        the forward's tiles are gone)."""
        C, Co = self.C, self.Co
        shapes = [(max(a, b),) for a, b in
                  zip(self._pass_sizes(C, Co, self.osz), self._pass_sizes(Co, C, self.S))]
        shapes.append((16, Co, C))
        if weight:
            c, (th, tw) = self.chunk, (_tiles(self.osz[0]), _tiles(self.osz[1]))
            one = c >= self.B
            shapes += [(2, c, th, 2 * tw, Co), (16, c * th * tw, Co), (0,) if one else (16, Co, C),
                       ((9 if one else 16) * Co * C,), (c, 2 * th + 2, 2 * tw + 2, C)]
        return shapes

    # -- transforms -------------------------------------------------------------------------------
    def transformed_weight(self, wa: Any, dst: Any, flip: bool) -> Any:
        """dst (16, Co, C): G w G^T per (output, input) plane pair, for the kernel as it is or
        flipped (gradInput's)."""
        g, gf, _ = _matrices(self.xp, dst)
        Co, C = self.Co, self.C
        self.xp.matmul(gf if flip else g, wa.reshape(Co * C, 9).T, out=dst.reshape(16, Co * C))
        return dst

    def _input_tiles(self, img: Any, work: Any, V: Any, th: int, tw: int) -> None:
        """V[4i + j] (n, th, tw, c) = (B^T d B)[i, j] for every 4x4 tile d of img (n, 2th + 2,
        2tw + 2, c), rows first (whole padded rows: long contiguous runs), then columns."""
        xp = self.xp
        n, Wp, c = img.shape[0], img.shape[2], img.shape[3]
        R = work[:4 * n * th * Wp * c].reshape(4, n, th, Wp, c)
        r = [img[:, k:k + 2 * th:2] for k in range(4)]
        xp.subtract(r[0], r[2], out=R[0])
        xp.add(r[1], r[2], out=R[1])
        xp.subtract(r[2], r[1], out=R[2])
        xp.subtract(r[1], r[3], out=R[3])
        for i in range(4):
            q = [R[i][:, :, k:k + 2 * tw:2] for k in range(4)]
            xp.subtract(q[0], q[2], out=V[4 * i])
            xp.add(q[1], q[2], out=V[4 * i + 1])
            xp.subtract(q[2], q[1], out=V[4 * i + 2])
            xp.subtract(q[1], q[3], out=V[4 * i + 3])

    def _output_tiles(self, M: Any, work: Any, Y: Any) -> None:
        """Y (n, th, 2, tw, 2, k) = A^T m A for every tile m (M: (16, n, th, tw, k))."""
        xp = self.xp
        Z = work[:8 * M[0].size].reshape((2, 4) + M.shape[1:])
        for j in range(4):
            xp.add(M[j], M[4 + j], out=Z[0, j])
            xp.add(Z[0, j], M[8 + j], out=Z[0, j])
            xp.subtract(M[4 + j], M[8 + j], out=Z[1, j])
            xp.subtract(Z[1, j], M[12 + j], out=Z[1, j])
        for a in range(2):
            z = Z[a]
            xp.add(z[0], z[1], out=z[0])
            xp.add(z[0], z[2], out=Y[:, :, a, :, 0])
            xp.subtract(z[1], z[2], out=z[1])
            xp.subtract(z[1], z[3], out=Y[:, :, a, :, 1])

    def keeps(self) -> bool:
        """Whether the forward keeps the input's transformed tiles (KEEP_ELEMS)."""
        return math.prod(self.tiles_shape()) <= KEEP_ELEMS

    def tiles_shape(self) -> tuple:
        """Shape of the input's transformed tiles of the whole batch (the forward keeps them in
        finput for gradWeight, as Torch7 keeps its columns)."""
        return (16, self.B, _tiles(self.osz[0]), _tiles(self.osz[1]), self.C)

    def _pass(self, img: Any, rhs: Any, dst: Any, bias: Any, sc: list, V: Any = None) -> None:
        """dst (n, kout, size) = the 3x3 convolution of img (n, Hp, Wp, cin: a chunk, padded,
        channels-last), with rhs (16, cin, kout) the transformed kernel, plus `bias` (None:
        none); the transformed tiles go to V when given."""
        xp = self.xp
        n, cin, kout, size = img.shape[0], rhs.shape[1], rhs.shape[2], dst.shape[2:]
        th, tw = _tiles(size[0]), _tiles(size[1])
        T = n * th * tw
        _, work, vy, mm = sc[:4]
        if V is None:
            V = vy[:16 * T * cin].reshape(16, n, th, tw, cin)
        self._input_tiles(img, work, V, th, tw)
        M = mm[:16 * T * kout].reshape(16, T, kout)
        xp.matmul(V.reshape(16, T, cin), rhs, out=M)
        if bias is not None:
            # A^T's second column is all ones: a bias added to m[1, 1] reaches every output
            xp.add(M[5], bias, out=M[5])
        # through a buffer: written straight into the channels-first output, the tiles'
        # transform would scatter single elements
        Y = vy[:4 * T * kout].reshape(n, th, 2, tw, 2, kout)
        self._output_tiles(M.reshape(16, n, th, tw, kout), work, Y)
        xp.copyto(dst.transpose(0, 2, 3, 1),
                  Y.reshape(n, 2 * th, 2 * tw, kout)[:, :size[0], :size[1]])

    def _chunks(self) -> list:
        return [(i, min(i + self.chunk, self.B)) for i in range(0, self.B, self.chunk)]

    def _image(self, buf: Any, src: Any, pad: tuple, size: tuple) -> Any:
        """src (n, c, h, w) padded by `pad` (and zeros up to whole tiles of an output of
        `size`), channels-last, in buf."""
        n, c = src.shape[:2]
        Hp, Wp = 2 * _tiles(size[0]) + 2, 2 * _tiles(size[1]) + 2
        img = buf.reshape(-1)[:n * Hp * Wp * c].reshape(n, Hp, Wp, c)
        padded(self.xp, last(src), img, 1, pad)
        return img

    # -- the passes -------------------------------------------------------------------------------
    def forward(self, xa: Any, wa: Any, ba: Any, oa: Any, sc: list, keep: Any = None) -> None:
        """oa (B, Co, osz) = conv(xa, wa) + ba; the input's transformed tiles go to `keep`
        (tiles_shape()) when given."""
        U = self.transformed_weight(wa, sc[4], False).transpose(0, 2, 1)
        for i0, i1 in self._chunks():
            img = self._image(sc[0], xa[i0:i1], self.pad, self.osz)
            self._pass(img, U, oa[i0:i1], ba, sc, None if keep is None else keep[:, i0:i1])

    def backward(self, xa: Any, ga: Any, wa: Any, gia: Any, gwa: Any, scale: float, sc: list,
                 kept: Any = None) -> None:
        """gia (B, C, S) = gradOutput ga convolved with the flipped kernel, planes swapped
        (unless gia is None); gwa (Co, C, 3, 3) += scale * d<out, ga>/d weight (unless gwa
        is None: then sc needs no gradWeight arrays).  Both read gradOutput's padded
        channels-last chunks."""
        gpad = tuple(2 - p for p in self.pad)
        if gia is not None:
            U = self.transformed_weight(wa, sc[4], True)
        for j, (i0, i1) in enumerate(self._chunks()):
            img = self._image(sc[0], ga[i0:i1], gpad, self.S)
            if gia is not None:
                self._pass(img, U, gia[i0:i1], None, sc)
            if gwa is not None:
                # gradOutput itself, zero-extended to whole 2x2 tiles
                g = img[:, gpad[0]:gpad[0] + 2 * _tiles(self.osz[0]),
                        gpad[1]:gpad[1] + 2 * _tiles(self.osz[1])]
                self._weight_chunk(xa, g, i0, i1, sc, kept, j == 0)
        if gwa is not None:
            # back to the 3x3 kernel: rows (output plane, input plane), columns the 9 offsets
            xp, P = self.xp, self._products(sc)
            dw = sc[8][:9 * self.Co * self.C].reshape(-1, 9)
            xp.matmul(P.reshape(16, -1).T, _matrices(xp, dw)[2].T, out=dw)
            if scale != 1:
                xp.multiply(dw, scale, out=dw)
            xp.add(gwa, dw.reshape(gwa.shape), out=gwa)

    def _products(self, sc: list) -> Any:
        """gradWeight's products (16, Co, C): in the transformed weight's memory with a single
        chunk (gradInput's pass, its only reader, is over when they are written)."""
        return sc[4] if self.chunk >= self.B else sc[7]

    def _weight_chunk(self, xa: Any, g: Any, i0: int, i1: int, sc: list, kept: Any,
                      first: bool) -> None:
        """The products of samples i0..i1-1 for gradWeight, into sc's P (first chunk) or
        added to it: the input's tiles (`kept` by the forward, else transformed again) against
        gradOutput's 2x2 tiles g (A h A^T), summed over tiles."""
        xp, C, Co = self.xp, self.C, self.Co
        rows, H, part = sc[5], sc[6], sc[8]
        P = self._products(sc)
        n = i1 - i0
        th, tw = _tiles(self.osz[0]), _tiles(self.osz[1])
        T = n * th * tw
        if kept is None:
            img = self._image(sc[9], xa[i0:i1], self.pad, self.osz)
            V = sc[2][:16 * T * C].reshape(16, n, th, tw, C)
            self._input_tiles(img, sc[1], V, th, tw)
        else:
            V = kept[:, i0:i1]
        h0, h1 = g[:, 0::2], g[:, 1::2]
        r = rows[:, :n]
        xp.add(h0, h1, out=r[0])
        xp.subtract(h0, h1, out=r[1])
        # a contiguous prefix: the transforms write through this view (a reshape of a
        # strided slice may copy on some array modules)
        Hn = H.reshape(-1)[:16 * T * Co].reshape(16, n, th, tw, Co)
        for i, src in enumerate((h0, r[0], r[1], h1)):
            c0, c1 = src[:, :, 0::2], src[:, :, 1::2]
            xp.copyto(Hn[4 * i], c0)
            xp.add(c0, c1, out=Hn[4 * i + 1])
            xp.subtract(c0, c1, out=Hn[4 * i + 2])
            xp.copyto(Hn[4 * i + 3], c1)
        d = P if first else part.reshape(P.shape)
        xp.matmul(Hn.reshape(16, T, Co).transpose(0, 2, 1), V.reshape(16, T, C), out=d)
        if not first:
            xp.add(P, d, out=P)

