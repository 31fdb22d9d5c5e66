"""Torch7's image package on Pillow (decoding, encoding, text) and NumPy (the transforms).

Images are C x H x W tensors; float and double images hold values in [0, 1], byte images
0..255.  Pillow is imported only when an image is decoded, encoded or drawn on, so
`require 'image'` stays quick.  The heavy work is Pillow's codecs and NumPy matrix products and
gathers, which release the GIL, so loader threads overlap with training.
"""

from __future__ import annotations

import functools
import io
import os
from typing import Any, Callable, Optional

import numpy as np

from luatorch.packages import need
from luatorch.packages.plotting import seq
from luatorch.tensor import Tensor, TorchError

DTYPES = {"float": np.float32, "double": np.float64, "byte": np.uint8}
_GREY = np.array([0.299, 0.587, 0.114])


def _pil() -> Any:
    return need("PIL.Image", package="image", dist="Pillow", extra="image")


def _new(arr: np.ndarray, like: Any) -> Tensor:
    """A new tensor of `like`'s dtype holding `arr` (bytes rounded and clamped, as Torch7)."""
    if like == np.uint8:
        arr = np.clip(np.floor(arr + 0.5), 0, 255)
    return Tensor.from_array(arr, dtype=like)


def _planes(t: Tensor) -> np.ndarray:
    a = t.a
    if a.ndim not in (2, 3):
        raise TorchError(f"image: src not 2 or 3 dimensional (got {a.ndim} dimensions)")
    return a


# -- decoding and encoding -----------------------------------------------------------------

def _to_array(im: Any) -> np.ndarray:
    """A decoded Pillow image as an H x W x C array of bytes (16-bit images: uint16)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im)
        if im.mode.startswith("I;16") or a.max() > 255:
            return np.clip(a, 0, 65535).astype(np.uint16)[..., None]
        return a.astype(np.uint8)[..., None]
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode not in ("L", "LA", "RGB", "RGBA"):
        im = im.convert("RGB")
    a = np.asarray(im)
    return a[..., None] if a.ndim == 2 else a


_PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _png16_header(head: bytes) -> Optional[tuple]:
    """(width, height, channels) of a non-interlaced 16-bit PNG with colour (grey + alpha, RGB,
    RGBA), which Pillow would cut to 8 bits; None for any other file."""
    if len(head) < 33 or not head.startswith(_PNG_SIG) or head[12:16] != b"IHDR":
        return None
    w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    depth, ctype, interlace = head[24], head[25], head[28]
    chans = {4: 2, 2: 3, 6: 4}.get(ctype)
    if depth != 16 or chans is None or interlace != 0 or w == 0 or h == 0:
        return None
    return w, h, chans


def _png16(data: bytes, w: int, h: int, chans: int) -> np.ndarray:
    """Decode the pixels of a 16-bit PNG (see _png16_header) as an H x W x C uint16 array:
    inflate the IDAT chunks and undo each row's filter (PNG spec, section 9)."""
    import zlib

    idat, pos = [], 8
    while pos + 8 <= len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat.append(data[pos + 8:pos + 8 + n])
        elif kind == b"IEND":
            break
        pos += 12 + n
    bpp = 2 * chans
    stride = w * bpp
    try:
        raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
        raw = raw[:h * (stride + 1)].reshape(h, stride + 1).astype(np.int64)
    except (zlib.error, ValueError):
        raise TorchError("image: corrupt 16-bit PNG data") from None
    out = np.zeros((h, stride), dtype=np.int64)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(h):
        kind, line = raw[y, 0], raw[y, 1:]
        if kind == 0:
            cur = line
        elif kind == 1:        # Sub: each byte adds the one a pixel left, so a running sum
            cur = np.cumsum(line.reshape(w, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:        # Up
            cur = (line + prev) % 256
        elif kind in (3, 4):   # Average and Paeth depend on the pixel just decoded: per pixel
            cur = np.zeros(stride, dtype=np.int64)
            left = np.zeros(bpp, dtype=np.int64)
            upleft = np.zeros(bpp, dtype=np.int64)
            for x in range(w):
                sl = slice(x * bpp, (x + 1) * bpp)
                up = prev[sl]
                if kind == 3:
                    pred = (left + up) // 2
                else:
                    p = left + up - upleft
                    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
                    pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
                cur[sl] = (line[sl] + pred) % 256
                left, upleft = cur[sl], up
        else:
            raise TorchError(f"image: corrupt 16-bit PNG data (row filter {kind})")
        out[y] = cur
        prev = cur
    v = out.reshape(h, w, chans, 2)
    return (v[..., 0] * 256 + v[..., 1]).astype(np.uint16)


def _decoded(im: Any, depth: Optional[int], tname: str) -> Tensor:
    im.load()
    return _from_array(_to_array(im), depth, tname)


def _from_array(a: np.ndarray, depth: Optional[int], tname: str) -> Tensor:
    """An H x W x C array (bytes, or uint16 from 16-bit files) as Torch7's image: 16-bit
    values become v / 65535 in a float image and their high byte in a byte image, as
    Torch7's libpng reader gave them."""
    dtype = DTYPES.get(str(tname))
    if dtype is None:
        raise TorchError(f"image.load: unknown tensor type '{tname}' (byte, float or double)")
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8) if dtype == np.uint8 else a / 65535.0
    unit = a.dtype != np.uint8            # 16-bit values, now floats in [0, 1]
    chw = np.moveaxis(a, 2, 0)
    c = chw.shape[0]
    if depth == 1:
        if c >= 3:
            chw = np.tensordot(_GREY, chw[:3].astype(np.float64), axes=1)   # H x W, as Torch7
        elif c == 2:
            chw = chw[:1]
    elif depth == 3:
        if c in (1, 2):
            chw = np.repeat(chw[:1], 3, axis=0)
        elif c == 4:
            chw = chw[:3]
    elif depth is not None:
        raise TorchError(f"image.load: depth should be 1 or 3 (got {depth})")
    if dtype == np.uint8:
        return _new(chw * 255.0 if unit else chw.astype(np.float64), np.uint8)
    # one pass into a C x H x W buffer: casting the H x W x C view and then copying it
    # contiguous cost twice the JPEG decode itself
    out = np.empty(chw.shape, dtype)
    if unit:
        out[...] = chw
    else:
        np.divide(chw, dtype(255), out=out, dtype=dtype)
    return Tensor.wrap(out)


_LOADERS = {"JPEG": "loadJPG", "PNG": "loadPNG", "PPM": "loadPPM"}


def _check_format(path: str, im: Any, fmt: str) -> None:
    """loadJPG / loadPNG / loadPPM read only their own format, as Torch7's libjpeg, libpng
    and PPM readers did (PPM: the grey and colour maps, P2 P3 P5 P6, not bitmaps)."""
    name = _LOADERS[fmt]
    if im.format != fmt:
        raise TorchError(f"image.{name}: {path} is not a {fmt} file (it is {im.format})")
    if fmt == "PPM":
        with open(path, "rb") as f:
            magic = f.read(2)
        if magic not in (b"P2", b"P3", b"P5", b"P6"):
            raise TorchError(f"image.{name}: {path}: unsupported magic number "
                             f"{magic.decode('latin-1')}")


def img_load(path: str, depth: Optional[int], tname: str, fmt: str) -> Tensor:
    """image.loadJPG/loadPNG/loadPPM (image.load picks one, as Torch7 did): decode file `path`,
    which must be of format `fmt` ('JPEG', 'PNG', 'PPM'), into C x H x W."""
    path = str(path)
    pil = _pil()
    if not os.path.exists(path):
        raise TorchError(f"{path}: No such file or directory")
    with open(path, "rb") as f:
        wide = _png16_header(f.read(33))
    if wide is not None and fmt == "PNG":
        with open(path, "rb") as f:
            return _from_array(_png16(f.read(), *wide), None if depth is None else int(depth),
                               tname)
    try:
        im = pil.open(path)
    except Exception as e:
        if fmt == "PNG":      # libpng's words, which scripts and Torch7's tests match
            raise TorchError(f"[read_png] Error during init_io: {path}: {e}") from None
        raise TorchError(f"image.load: unknown image type for file: {path} ({e})") from None
    with im:
        _check_format(path, im, str(fmt))
        return _decoded(im, None if depth is None else int(depth), tname)


def img_decompress(data: Tensor, depth: Optional[int], tname: str) -> Tensor:
    """image.decompress(JPG|PNG): decode an encoded image held in a ByteTensor."""
    pil = _pil()
    buf = np.ascontiguousarray(data.a, dtype=np.uint8).tobytes()
    wide = _png16_header(buf[:33])
    if wide is not None:
        return _from_array(_png16(buf, *wide), None if depth is None else int(depth), tname)
    try:
        im = pil.open(io.BytesIO(buf))
    except Exception:
        raise TorchError("image.decompress: the tensor does not hold a JPEG or PNG "
                         "image") from None
    with im:
        return _decoded(im, None if depth is None else int(depth), tname)


def _to_pil(t: Tensor) -> Any:
    """A Pillow image of a C x H x W (or H x W) tensor, clamped to [0, 1] unless bytes."""
    pil = _pil()
    a = _planes(t)
    if a.ndim == 3:
        if a.shape[0] not in (1, 2, 3, 4):
            raise TorchError(f"image.save: 1, 2, 3 or 4 channels expected (got {a.shape[0]})")
        a = np.moveaxis(a, 0, 2)
        if a.shape[2] == 1:
            a = a[..., 0]
    if a.dtype != np.uint8:
        a = np.floor(np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)
    mode = {2: "L", 3: None}.get(a.ndim) or {2: "LA", 3: "RGB", 4: "RGBA"}[a.shape[2]]
    return pil.fromarray(np.ascontiguousarray(a), mode=mode)


_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "ppm": "PPM", "pgm": "PPM",
            "bmp": "BMP", "tif": "TIFF", "tiff": "TIFF", "gif": "GIF", "webp": "WEBP"}


def img_save(path: str, t: Tensor, as_ext: Optional[str] = None) -> None:
    """image.save: encode `t` into `path`, the format named by its extension (or `as_ext`:
    saveJPG, savePNG, savePPM and savePGM write their format whatever the name)."""
    path = str(path)
    ext = str(as_ext) if as_ext else os.path.splitext(path)[1].lower().lstrip(".")
    fmt = _FORMATS.get(ext)
    if fmt is None:
        raise TorchError(f"unknown image type: {ext or path}")
    im = _to_pil(t)
    if fmt in ("JPEG", "PPM") and im.mode in ("LA", "RGBA"):
        im = im.convert("RGB")
    if ext == "pgm":
        im = im.convert("L")
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    im.save(path, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))


def img_compress(t: Tensor, fmt: str, quality: Optional[float]) -> Tensor:
    """image.compressJPG / compressPNG: the encoded file as a ByteTensor."""
    im = _to_pil(t)
    out = io.BytesIO()
    if str(fmt) == "JPEG":
        if im.mode in ("LA", "RGBA"):
            im = im.convert("RGB")
        im.save(out, format="JPEG", quality=int(quality or 75))
    else:
        im.save(out, format="PNG")
    return Tensor.from_array(np.frombuffer(out.getvalue(), dtype=np.uint8), dtype=np.uint8)


def img_size(path: str) -> tuple:
    """image.getSize: (channels, height, width) read from the file's header."""
    pil = _pil()
    with pil.open(str(path)) as im:
        c = len(im.getbands()) if im.mode != "P" else 3
        return c, im.height, im.width


# -- geometry ------------------------------------------------------------------------------

def _linear_weights(n: int, m: int) -> np.ndarray:
    """Torch7's 1-D bilinear resampling from n to m samples as an m x n matrix: corner-aligned
    interpolation when growing, pixel-area averaging when shrinking."""
    w = np.zeros((m, n))
    if m == n:
        return np.eye(n)
    if m > n:
        if n == 1:
            w[:, 0] = 1
            return w
        scale = np.float32(n - 1) / np.float32(m - 1)
        pos = np.arange(m - 1, dtype=np.float32) * scale
        i = pos.astype(np.int64)
        f = (pos - i).astype(np.float64)
        rows = np.arange(m - 1)
        w[rows, i] = 1 - f
        w[rows, np.minimum(i + 1, n - 1)] += f
        w[m - 1, n - 1] = 1
        return w
    scale = np.float32(n) / np.float32(m)
    i0, f0 = 0, 0.0
    for d in range(m):      # m small: one row of the matrix per output sample
        p = np.float32(d + 1) * scale
        i1 = int(p)
        f1 = float(p - np.float32(i1))
        w[d, i0] = 1 - f0
        w[d, i0 + 1:i1] = 1
        if i1 < n:
            w[d, i1] += f1
        w[d] /= w[d].sum()
        i0, f0 = i1, f1
    return w


def _cubic_weights(n: int, m: int) -> np.ndarray:
    """Torch7's 1-D bicubic resampling (corner-aligned Catmull-Rom, linear extrapolation past
    the ends) as an m x n matrix."""
    if m == n:
        return np.eye(n)
    w = np.zeros((m, n))
    if n == 1:
        w[:, 0] = 1
        return w
    scale = np.float32(n - 1) / np.float32(max(m - 1, 1)) if m > 1 else np.float32(n - 1)
    for d in range(m - 1):
        p = np.float32(d) * scale
        i = int(p)
        x = float(p - np.float32(i))
        # p0..p3 as combinations of the source samples (ends extrapolated: 2*p1 - p2 ...)
        row = w[d]

        def add(k: int, c: float, row: np.ndarray = row) -> None:
            row[k] += c
        c0 = 0.5 * (-x + 2 * x * x - x ** 3)
        c1 = 0.5 * (2 - 5 * x * x + 3 * x ** 3)
        c2 = 0.5 * (x + 4 * x * x - 3 * x ** 3)
        c3 = 0.5 * (-x * x + x ** 3)
        add(i, c1)
        add(i + 1, c2)
        if i > 0:
            add(i - 1, c0)
        else:
            add(i, 2 * c0)
            add(i + 1, -c0)
        if i + 2 < n:
            add(i + 2, c3)
        else:
            add(i + 1, 2 * c3)
            add(i, -c3)
    w[m - 1, n - 1] = 1
    return w


@functools.lru_cache(maxsize=256)
def _taps(mode: str, n: int, m: int) -> tuple:
    """A resampling matrix's nonzeros, row by row: (m x K indices, m x K weights), so that
    resampling costs K multiply-adds per output sample instead of n."""
    w = (_linear_weights if mode == "bilinear" else _cubic_weights)(n, m)
    k = max(int((w != 0).sum(axis=1).max()), 1)
    idx = np.zeros((m, k), dtype=np.int64)
    wts = np.zeros((m, k))
    for d in range(m):
        nz = np.flatnonzero(w[d])
        idx[d, :len(nz)] = nz
        wts[d, :len(nz)] = w[d, nz]
    return idx, wts


def _resample(x: np.ndarray, taps: tuple, work: Any) -> np.ndarray:
    """Resample the last axis of `x` with the taps of `_taps`."""
    idx, wts = taps
    out = np.zeros(x.shape[:-1] + (idx.shape[0],), dtype=work)
    for j in range(idx.shape[1]):
        out += x[..., idx[:, j]] * wts[:, j].astype(work)
    return out


def _simple_index(n: int, m: int) -> np.ndarray:
    sc = np.float32(n) / np.float32(m)
    return np.minimum((np.arange(m, dtype=np.float32) * sc).astype(np.int64), n - 1)


def img_scale(src: Tensor, width: int, height: int, mode: str) -> Tensor:
    """image.scale: resample to width x height ('bilinear', 'bicubic' or 'simple')."""
    a = _planes(src)
    width, height = int(width), int(height)
    if width < 1 or height < 1:
        raise TorchError(f"image.scale: invalid output size {width}x{height}")
    h, w = a.shape[-2:]
    mode = str(mode)
    if mode == "simple":
        out = a[..., _simple_index(h, height)[:, None], _simple_index(w, width)[None, :]]
        return Tensor.from_array(out, dtype=a.dtype)
    if mode not in ("bilinear", "bicubic"):
        raise TorchError(f"image.scale: mode should be bilinear, bicubic or simple (got {mode})")
    work = np.float64 if a.dtype == np.float64 else np.float32
    x = a.astype(work, copy=False)
    rows = _resample(x, _taps(mode, w, width), work)           # rows first, as Torch7
    if a.dtype == np.uint8:
        rows = np.clip(np.floor(rows + 0.5), 0, 255)
    out = np.swapaxes(_resample(np.swapaxes(rows, -1, -2), _taps(mode, h, height), work), -1, -2)
    return _new(out, a.dtype)


def img_rotate(src: Tensor, theta: float, mode: str) -> Tensor:
    """image.rotate: by `theta` radians about the centre; corners outside become 0."""
    a = _planes(src)
    h, w = a.shape[-2:]
    xc, yc = (w - 1) / 2.0, (h - 1) / 2.0
    c, s = np.cos(float(theta)), np.sin(float(theta))
    j, i = np.mgrid[0:h, 0:w].astype(np.float64)
    ri = c * (i - xc) - s * (j - yc)
    rj = c * (j - yc) + s * (i - xc)
    flat = a.reshape(-1, h * w) if a.ndim == 3 else a.reshape(1, h * w)
    if str(mode) == "simple":
        ii = np.round(ri + xc).astype(np.int64)
        jj = np.round(rj + yc).astype(np.int64)
        ok = (ii >= 0) & (ii < w) & (jj >= 0) & (jj < h)
        idx = np.where(ok, jj * w + ii, 0)
        out = np.where(ok.reshape(-1), flat[:, idx.reshape(-1)], 0)
        return Tensor.from_array(out.reshape(a.shape), dtype=a.dtype)
    if str(mode) != "bilinear":
        raise TorchError(f"image.rotate: mode should be simple or bilinear (got {mode})")
    x, y = ri + xc, rj + yc
    i0 = np.floor(x).astype(np.int64)
    j0 = np.floor(y).astype(np.int64)
    wi, wj = x - i0, y - j0
    i1, j1 = i0 + 1, j0 + 1
    # on the border, the nearer pixel stands for the missing one (else the pixel is blank)
    i1 = np.where((i1 == w) & (wi < 0.5), i0, i1)
    j1 = np.where((j1 == h) & (wj < 0.5), j0, j1)
    i0 = np.where((i0 == -1) & (wi > 0.5), i1, i0)
    j0 = np.where((j0 == -1) & (wj > 0.5), j1, j0)
    ok = (i0 >= 0) & (j0 >= 0) & (i1 < w) & (j1 < h)

    def at(jj: np.ndarray, ii: np.ndarray) -> np.ndarray:
        return flat[:, np.where(ok, jj * w + ii, 0).reshape(-1)].astype(np.float64)
    v = ((1 - wi) * (1 - wj)).reshape(-1) * at(j0, i0) + (wi * (1 - wj)).reshape(-1) * at(j0, i1) \
        + ((1 - wi) * wj).reshape(-1) * at(j1, i0) + (wi * wj).reshape(-1) * at(j1, i1)
    v = np.where(ok.reshape(-1), v, 0)
    return _new(v.reshape(a.shape), a.dtype)


def img_translate(src: Tensor, dx: int, dy: int) -> Tensor:
    """image.translate: shift by (dx, dy) pixels; uncovered pixels are 0."""
    a = _planes(src)
    h, w = a.shape[-2:]
    dx, dy = int(dx), int(dy)
    out = np.zeros_like(a)
    ys, xs = slice(max(dy, 0), min(h, h + dy)), slice(max(dx, 0), min(w, w + dx))
    ys0, xs0 = slice(max(-dy, 0), min(h, h - dy)), slice(max(-dx, 0), min(w, w - dx))
    if ys.start < ys.stop and xs.start < xs.stop:
        out[..., ys, xs] = a[..., ys0, xs0]
    return Tensor.wrap(out)


def img_flip(src: Tensor, dim: int) -> Tensor:
    """image.hflip / vflip / flip: a reversed copy along dimension `dim` (1-based)."""
    a = src.a
    dim = int(dim)
    if not 1 <= dim <= a.ndim:
        raise TorchError(f"image.flip: flip_dim {dim} out of range for a {a.ndim}D image")
    return Tensor.from_array(np.flip(a, axis=dim - 1), dtype=a.dtype)


# -- warps and polar maps --------------------------------------------------------------------

_WARP_MODES = {"simple": 0, "bilinear": 1, "bicubic": 2, "lanczos": 3}


def _cubic(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray,
           x: np.ndarray) -> np.ndarray:
    """Catmull-Rom through p1 (x = 0) and p2 (x = 1)."""
    return p1 + 0.5 * x * ((p2 - p0) + x * ((2 * p0 - 5 * p1 + 4 * p2 - p3)
                                            + x * (3 * (p1 - p2) + p3 - p0)))


def _lanczos(d: np.ndarray, rad: int = 3) -> np.ndarray:
    d = np.abs(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = rad * np.sin(np.pi * d) * np.sin(np.pi * d / rad) / (np.pi * np.pi * d * d)
    return np.where(d < 1e-6, 1.0, np.where(d > rad, 0.0, v))


def _warp(a: np.ndarray, iy: np.ndarray, ix: np.ndarray, mode: str, pad: bool,
          pad_value: float) -> np.ndarray:
    """Sample C x H x W `a` at the (iy, ix) positions (float32, as Torch7 computes them)."""
    if mode not in _WARP_MODES:
        raise TorchError("image.warp: Incorrect arguments (mode is not lanczos | bicubic | "
                         "bilinear | simple)!")
    c, h, w = a.shape
    flat = a.reshape(c, h * w)
    off = (iy < 0) | (iy > h - 1) | (ix < 0) | (ix > w - 1)
    ix = np.clip(ix, 0, w - 1)
    iy = np.clip(iy, 0, h - 1)
    work = np.float64 if a.dtype == np.float64 else np.float32

    def at(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        return flat[:, (yy * w + xx).reshape(-1)].reshape((c,) + yy.shape).astype(work)

    if mode == "simple":
        out = at(np.floor(iy + 0.5).astype(np.int64), np.floor(ix + 0.5).astype(np.int64))
        out = out.astype(a.dtype)
    elif mode == "bilinear":
        x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
        fx, fy = (ix - x0).astype(work), (iy - y0).astype(work)
        x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
        out = (at(y0, x0) * ((1 - fx) * (1 - fy)) + at(y0, x1) * (fx * (1 - fy))
               + at(y1, x0) * ((1 - fx) * fy) + at(y1, x1) * (fx * fy))
        out = _new(out, a.dtype).a if a.dtype == np.uint8 else out
    elif mode == "bicubic":
        x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
        fx, fy = (ix - x0).astype(work), (iy - y0).astype(work)
        rows = []
        for i in range(4):              # neighbours off the image read as the pad value
            yy = y0 + i - 1
            ps = []
            for j in range(4):
                xx = x0 + j - 1
                inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
                v = at(np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1))
                ps.append(np.where(inside, v, work(pad_value)))
            rows.append(_cubic(*ps, fx))
        out = _cubic(*rows, fy)
        out = _new(out, a.dtype).a if a.dtype == np.uint8 else out
    else:
        x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
        offs = range(-2, 4)
        lu = [_lanczos(ix - (x0 + k)).astype(np.float32) for k in offs]
        lv = [_lanczos(iy - (y0 + k)).astype(np.float32) for k in offs]
        total = sum(u * v for u in lu for v in lv)
        acc = np.zeros((c,) + ix.shape, dtype=work)
        for i, k in enumerate(offs):
            xx = np.clip(x0 + k, 0, w - 1)
            for j, m in enumerate(offs):
                acc += at(np.clip(y0 + m, 0, h - 1), xx) * (lu[i] * lv[j])
        out = acc / total
        out = _new(out, a.dtype).a if a.dtype == np.uint8 else out
    if pad:
        out = np.where(off, np.asarray(pad_value).astype(a.dtype), out)
    return np.ascontiguousarray(out.astype(a.dtype, copy=False))


def _three(src: Tensor, fname: str) -> np.ndarray:
    a = src.a
    if a.ndim == 2:
        return a[None]
    if a.ndim != 3:
        raise TorchError(f"image.{fname}: src not 2 or 3 dimensional (got {a.ndim} dimensions)")
    return a


def _clamp_mode(clamp: str) -> bool:
    if str(clamp) not in ("clamp", "pad"):
        raise TorchError("image.warp: Incorrect arguments (clamp_mode is not clamp | pad)!")
    return str(clamp) == "pad"


def img_warp(src: Tensor, field: Tensor, mode: str, offset: bool, clamp: str,
             pad_value: float) -> Tensor:
    """image.warp: sample `src` at the (y, x) flow `field` (2 x H x W), plus each pixel's own
    position when `offset`; samples off the image clamp to the border or take `pad_value`."""
    a = _three(src, "warp")
    f = field.a
    if f.ndim != 3 or f.shape[0] != 2:
        raise TorchError("image.warp: the flow field should be 2 x H x W")
    oh, ow = f.shape[1:]
    yy, xx = np.mgrid[0:oh, 0:ow].astype(np.float32)
    fy, fx = f[0].astype(np.float32), f[1].astype(np.float32)
    iy, ix = (yy + fy, xx + fx) if offset else (fy, fx)
    out = _warp(a, iy, ix, str(mode), _clamp_mode(clamp), float(pad_value))
    return Tensor.wrap(out if src.a.ndim == 3 else out[0])


def img_affine(src: Tensor, matrix: Tensor, mode: str, ty: float, tx: float, clamp: str,
               pad_value: float) -> Tensor:
    """image.affinetransform: each pixel p reads the source at c + M (p - c) - t, with c the
    image centre, M the 2 x 2 (y, x) `matrix` and t = (ty, tx)."""
    a = _three(src, "affinetransform")
    m = np.asarray(matrix.a, dtype=np.float64)
    if m.shape != (2, 2):
        raise TorchError("image.affinetransform: a 2 x 2 matrix expected")
    h, w = a.shape[1:]
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    dy, dx = yy - cy, xx - cx
    # the field Torch7 builds (centre-relative grid minus its image under M), then offset
    fy = (-dy) - (m[0, 0] * -dy + m[0, 1] * -dx) - float(ty)
    fx = (-dx) - (m[1, 0] * -dy + m[1, 1] * -dx) - float(tx)
    iy = yy.astype(np.float32) + fy.astype(np.float32)
    ix = xx.astype(np.float32) + fx.astype(np.float32)
    out = _warp(a, iy, ix, str(mode), _clamp_mode(clamp), float(pad_value))
    return Tensor.wrap(out if src.a.ndim == 3 else out[0])


def img_polar(src: Tensor, dh: int, dw: int, interp: str, full: bool, log: bool) -> Tensor:
    """image.polar / logpolar: rows are angles (2 pi j / dh), columns radii (linear up to the
    inner or outer half-diagonal, or exponential for logpolar); off-image samples are 0."""
    a = _three(src, "logpolar" if log else "polar")
    c, h, w = a.shape
    dh, dw = int(dh), int(dw)
    mid_y, mid_x = np.float32(h / 2.0), np.float32(w / 2.0)
    m = np.float32(np.sqrt(float(w * w + h * h)) / 2.0) if full else min(mid_x, mid_y)
    j, i = np.mgrid[0:dh, 0:dw].astype(np.float32)
    ang = np.float32(2 * np.pi) * j / np.float32(dh)
    if log:
        r = np.exp(i * np.float32(np.log(m) / dw))
    else:
        r = m * i / np.float32(dw)
    ry = (r * np.cos(ang) + mid_y).astype(np.float32)
    rx = (-r * np.sin(ang) + mid_x).astype(np.float32)
    x0, y0 = np.floor(rx).astype(np.int64), np.floor(ry).astype(np.int64)
    flat = a.reshape(c, h * w)

    def at(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        ok = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
        v = flat[:, (np.clip(yy, 0, h - 1) * w + np.clip(xx, 0, w - 1)).reshape(-1)]
        return np.where(ok.reshape(-1), v, 0).reshape((c,) + yy.shape).astype(np.float64)

    near = at(y0, x0)
    if str(interp) == "simple":
        out = near
    elif str(interp) == "bilinear":
        fx, fy = rx - x0, ry - y0
        inside = (x0 >= 0) & (y0 >= 0) & (x0 + 1 < w) & (y0 + 1 < h)
        bil = (near * ((1 - fx) * (1 - fy)) + at(y0, x0 + 1) * (fx * (1 - fy))
               + at(y0 + 1, x0) * ((1 - fx) * fy) + at(y0 + 1, x0 + 1) * (fx * fy))
        out = np.where(inside, bil, near)        # nearest where a neighbour is off the image
    else:
        raise TorchError("image.polar: interpolation must be one of: simple | bilinear")
    out = _new(out, a.dtype).a
    return Tensor.wrap(out if src.a.ndim == 3 else out[0])


# -- colour spaces ---------------------------------------------------------------------------

_YUV = np.array([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436],
                 [0.615, -0.51499, -0.10001]])
_RGB = np.array([[1, 0, 1.13983], [1, -0.39465, -0.58060], [1, 2.03211, 0]])


def _rgb(src: Tensor, what: str) -> np.ndarray:
    a = src.a
    if a.ndim != 3 or a.shape[0] < 3:
        raise TorchError(f"image.{what}: a 3 x H x W image expected")
    return a[:3].astype(np.float64)


def _hue2rgb(p: np.ndarray, q: np.ndarray, t: np.ndarray) -> np.ndarray:
    """One channel of HSL to RGB: the hue `t` (wrapped into [0, 1]) on the p..q ramp."""
    t = np.where(t < 0, t + 1, t)
    t = np.where(t > 1, t - 1, t)
    return np.select([t < 1 / 6, t < 1 / 2, t < 2 / 3],
                     [p + (q - p) * 6 * t, q, p + (q - p) * (2 / 3 - t) * 6], p)


def _hsl2rgb(x: np.ndarray) -> np.ndarray:
    h, s, lum = x
    q = np.where(lum < 0.5, lum * (1 + s), lum + s - lum * s)
    p = 2 * lum - q
    rgb = np.stack([_hue2rgb(p, q, h + 1 / 3), _hue2rgb(p, q, h), _hue2rgb(p, q, h - 1 / 3)])
    return np.where(s == 0, lum, rgb)              # grey when unsaturated


def _hsv2rgb(x: np.ndarray) -> np.ndarray:
    h, s, v = x
    i = np.floor(h * 6)
    f = h * 6 - i
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    # NOTE: the sector is i mod 6 as C computes it, so a negative hue gives black, as in Torch7
    sector = np.where(i < 0, -1, np.mod(i, 6))
    z = np.zeros_like(v)
    picks = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    conds = [sector == k for k in range(6)]
    return np.stack([np.select(conds, [c[ch] for c in picks], z) for ch in range(3)])


_XYZ2RGB = np.array([[3.2404542, -1.5371385, -0.4985314],
                     [-0.9692660, 1.8760108, 0.0415560],
                     [0.0556434, -0.2040259, 1.0572252]])
_LAB_EPS, _LAB_K = 216.0 / 24389.0, 24389.0 / 27.0
_D65_X, _D65_Z = 0.950456, 1.088754


def _lab2rgb(x: np.ndarray) -> np.ndarray:
    lum, a, b = x
    fy = (lum + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200
    cx, cz = fx ** 3, fz ** 3
    big_x = np.where(cx <= _LAB_EPS, (116 * fx - 16) / _LAB_K, cx) * _D65_X
    big_y = np.where(lum > _LAB_K * _LAB_EPS, fy ** 3, lum / _LAB_K)
    big_z = np.where(cz <= _LAB_EPS, (116 * fz - 16) / _LAB_K, cz) * _D65_Z
    lin = np.tensordot(_XYZ2RGB, np.stack([big_x, big_y, big_z]), axes=1)
    pos = np.maximum(lin, 0)                       # the power branch only sees positive values
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * pos ** (1 / 2.4) - 0.055)


def img_color(src: Tensor, what: str) -> Tensor:
    """Colour conversions by name: rgb2yuv yuv2rgb rgb2y rgb2hsl hsl2rgb rgb2hsv hsv2rgb
    rgb2lab lab2rgb rgb2nrgb."""
    what = str(what)
    dtype = src.a.dtype
    x = _rgb(src, what)
    if what in ("rgb2lab", "lab2rgb") and dtype == np.uint8:
        raise TorchError(f"image.{what}: not supported for torch.ByteTensor")
    if what == "rgb2nrgb":
        return _new(x / (x.sum(axis=0) + 1e-6), dtype)
    if what == "lab2rgb":
        return Tensor.from_array(_lab2rgb(x), dtype=dtype)
    if what in ("hsl2rgb", "hsv2rgb"):
        unit = x / 255 if dtype == np.uint8 else x
        out = (_hsl2rgb if what == "hsl2rgb" else _hsv2rgb)(unit)
        return _new(out * 255 if dtype == np.uint8 else out, dtype)
    if what in ("rgb2yuv", "yuv2rgb"):
        m = _YUV if what == "rgb2yuv" else _RGB
        return Tensor.from_array(np.tensordot(m, x, axes=1), dtype=dtype)
    if what == "rgb2y":
        # the weighted sum in double, kept as Torch7 kept it (a float unless the image is double)
        work = np.float64 if dtype == np.float64 else np.float32
        return _stored(np.tensordot(_GREY, x, axes=1)[None].astype(work), dtype)
    if what in ("rgb2hsl", "rgb2hsv"):
        return _stored(_rgb2hue(src.a[:3], what), dtype)
    if what == "rgb2lab":
        lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
        xyz = np.tensordot(np.array([[0.412453, 0.357580, 0.180423],
                                     [0.212671, 0.715160, 0.072169],
                                     [0.019334, 0.119193, 0.950227]]), lin, axes=1)
        xyz[0] /= 0.950456
        xyz[2] /= 1.088754
        eps, k = 216.0 / 24389.0, 24389.0 / 27.0
        f = np.where(xyz > eps, np.cbrt(xyz), (k * xyz + 16) / 116)
        return Tensor.from_array(np.stack([116 * f[1] - 16, 500 * (f[0] - f[1]),
                                           200 * (f[1] - f[2])]), dtype=dtype)
    raise TorchError(f"image: unknown colour conversion {what}")


def _stored(v: np.ndarray, dtype: Any) -> Tensor:
    """A result computed in Torch7's intermediate precision, stored as it stored it: a byte is
    the value plus 0.5 (rounded to that precision), held to 0..255 and truncated."""
    if dtype == np.uint8:
        up = (v.astype(np.float64) + 0.5).astype(v.dtype)
        return Tensor.from_array(np.clip(np.floor(up), 0, 255), dtype=np.uint8)
    return Tensor.from_array(v, dtype=dtype)


def _rgb2hue(a: np.ndarray, what: str) -> np.ndarray:
    """RGB to HSL or HSV in Torch7's arithmetic: float32 unless the image is double (so that a
    byte image and the same image as floats round alike); bytes are scaled to 0..1 and back."""
    work = np.float64 if a.dtype == np.float64 else np.float32
    one, two, six = work(1), work(2), work(6)
    x = a.astype(work)
    if a.dtype == np.uint8:
        x = x / work(255)
    r, g, b = x
    mx, mn = x.max(axis=0), x.min(axis=0)
    d = mx - mn
    safe = np.where(d == 0, one, d)
    h = np.where(mx == r, (g - b) / safe + np.where(g < b, six, work(0)),
                 np.where(mx == g, (b - r) / safe + two, (r - g) / safe + work(4))) / six
    h = np.where(d == 0, work(0), h)
    if what == "rgb2hsl":
        lum = (mx + mn) / two
        den = np.where(lum > 0.5, two - mx - mn, mx + mn)
        s = np.where(d == 0, work(0), d / np.where(den == 0, one, den))
        out = np.stack([h, s, lum])
    else:
        s = np.where(d == 0, work(0), d / np.where(mx == 0, one, mx))
        out = np.stack([h, s, mx])
    return out * work(255) if a.dtype == np.uint8 else out


# -- filters and drawing -------------------------------------------------------------------

def img_lcn(src: Tensor, ker: Tensor) -> Tensor:
    """image.lcn: local contrast normalisation of a grey image with kernel `ker` (valid part)."""
    im = src.a.astype(np.float64)
    if not (im.ndim == 2 or (im.ndim == 3 and im.shape[0] == 1)):
        raise TorchError("grayscale image expected")
    if im.ndim == 3:
        im = im[0]
    k = ker.a.astype(np.float64)
    if k.ndim != 2 or k.shape[0] > im.shape[0] or k.shape[1] > im.shape[1]:
        raise TorchError("image.lcn: a 2D kernel no larger than the image expected")
    sd = im.std(ddof=1) if im.size > 1 else 1.0
    im = (im - im.mean()) / sd
    kf = k[::-1, ::-1]        # torch.conv2 is a true convolution
    win = np.lib.stride_tricks.sliding_window_view
    lmn = np.tensordot(win(im, k.shape), kf, axes=2)
    lmnsq = np.tensordot(win(im * im, k.shape), kf, axes=2)
    lstd = np.sqrt(np.maximum(lmnsq - lmn * lmn, 0))
    lstd = np.maximum(lstd, 1)
    si, sj = k.shape[0] // 2, k.shape[1] // 2
    mid = im[si:si + lmn.shape[0], sj:sj + lmn.shape[1]]
    return Tensor.from_array((mid - lmn) / lstd, dtype=np.float64)


def img_draw_text(src: Tensor, text: str, x: int, y: int, color: Any, bg: Any,
                  size: int, wrap: bool) -> Tensor:
    """image.drawText: `text` in Pillow's bitmap font at (x, y), scaled by `size`."""
    pil = _pil()
    from PIL import ImageDraw, ImageFont

    a = src.a
    if a.ndim != 3 or a.shape[0] != 3:
        raise TorchError("image.drawText: a 3-channel image (3 x H x W) expected")
    h, w = a.shape[1:]
    size = max(int(size or 1), 1)
    font = ImageFont.load_default(size=10 * size) if hasattr(ImageFont, "FreeTypeFont") \
        else ImageFont.load_default()
    lines = str(text).split("\n")
    if wrap:
        wrapped = []
        for line in lines:
            cur = ""
            for ch in line:
                if cur and x + font.getlength(cur + ch) > w:
                    wrapped.append(cur)
                    cur = ""
                cur += ch
            wrapped.append(cur)
        lines = wrapped
    mask = pil.new("L", (w, h), 0)
    box = pil.new("L", (w, h), 0)
    draw, bdraw = ImageDraw.Draw(mask), ImageDraw.Draw(box)
    step = int(font.size * 1.2) if hasattr(font, "size") else 12
    for n, line in enumerate(lines):
        pos = (int(x), int(y) + n * step)
        if line:
            bdraw.rectangle(draw.textbbox(pos, line, font=font), fill=255)
        draw.text(pos, line, fill=255, font=font)
    out = a.astype(np.float64, copy=True)
    top = 1.0 if a.dtype != np.uint8 else 255.0
    fg = np.asarray([float(c) for c in seq(color)], dtype=np.float64) / 255 * top
    cover = np.asarray(mask, dtype=np.float64) / 255
    if bg is not None:
        b = np.asarray([float(c) for c in seq(bg)], dtype=np.float64) / 255 * top
        inbox = np.asarray(box) > 0
        out[:, inbox] = b[:, None]
    out = out * (1 - cover) + fg[:, None, None] * cover
    return _new(out, a.dtype)


def img_draw_rect(src: Tensor, x1: int, y1: int, x2: int, y2: int, width: int,
                  color: Any) -> None:
    """image.drawRect, in place: a `width`-pixel frame from (x1, y1) to (x2, y2), 0-based."""
    a = src.a
    if a.ndim != 3 or a.shape[0] != 3:
        raise TorchError("input image has to be a 3D tensor of shape 3 x H x W ")
    h, w = a.shape[1:]
    x1, y1, x2, y2, width = int(x1), int(y1), int(x2), int(y2), int(width)
    lo = width // 2 + 1            # Torch7's split of the line around each edge
    hi = width - lo
    rgb = [float(v) for v in seq(color)][:3]
    col = np.asarray(rgb) if a.dtype == np.uint8 else np.asarray(rgb, dtype=np.float32) / 255

    def paint(ys: slice, xs: slice) -> None:
        if ys.start < ys.stop and xs.start < xs.stop:
            a[:, ys, xs] = col.astype(a.dtype)[:, None, None]
    top, bottom = max(0, y1 - lo), min(h, y2 + hi)
    left, right = max(0, x1 - lo), min(w, x2 + hi)
    paint(slice(top, bottom), slice(left, min(w, x1 + hi)))
    paint(slice(top, bottom), slice(max(0, x2 - lo), right))
    paint(slice(top, min(h, y1 + hi)), slice(left, right))
    paint(slice(max(0, y2 - lo), bottom), slice(left, right))


def img_colorize(src: Tensor, cmap: Tensor) -> Tensor:
    """The colour of each 0-based level of `src` (H x W) looked up in `cmap` (L x C): C x H x W."""
    lv = src.a
    if lv.ndim != 2:
        raise TorchError("image.y2jet: a greyscale H x W image expected")
    cm = cmap.a
    idx = lv.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= cm.shape[0]):
        raise TorchError(f"image.y2jet: levels should be whole numbers from 1 to "
                         f"{max(cm.shape[0], 1)} (got {idx.min() + 1} to {idx.max() + 1})")
    return Tensor.from_array(np.moveaxis(cm[idx], 2, 0), dtype=cm.dtype)


def img_available() -> bool:
    """Whether Pillow can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("PIL") is not None


def img_abspath(path: str) -> str:
    """The absolute path of a written file, to tell the user where it is."""
    return os.path.abspath(str(path))


EXPORTS: dict[str, Callable] = {
    "img_load": img_load,
    "img_decompress": img_decompress,
    "img_save": img_save,
    "img_compress": img_compress,
    "img_size": img_size,
    "img_scale": img_scale,
    "img_rotate": img_rotate,
    "img_translate": img_translate,
    "img_flip": img_flip,
    "img_color": img_color,
    "img_lcn": img_lcn,
    "img_draw_text": img_draw_text,
    "img_draw_rect": img_draw_rect,
    "img_colorize": img_colorize,
    "img_warp": img_warp,
    "img_affine": img_affine,
    "img_polar": img_polar,
    "img_available": img_available,
    "img_abspath": img_abspath,
}
