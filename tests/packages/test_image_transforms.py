"""image's convolutions, morphology, warps, polar maps, colour maps and the colour spaces added
after the first set, each against a plain NumPy (or colorsys) reference written from Torch7's
documented arithmetic, per pixel where the rule is per pixel."""

from __future__ import annotations

import colorsys
import math

import numpy as np
import pytest

from luatorch.runtime import LuaError, Runtime
from tests.packages.image_util import _lua, _np, _run

PIL = pytest.importorskip("PIL.Image")

PACKAGE = "image"


RNG = np.random.default_rng(7)


# -- convolve ------------------------------------------------------------------------------

def _full_conv(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """True 2-D convolution, full size, by shifted sums."""
    h, w = x.shape
    kh, kw = k.shape
    out = np.zeros((h + kh - 1, w + kw - 1))
    for a in range(kh):
        for b in range(kw):
            out[a:a + h, b:b + w] += k[a, b] * x
    return out


@pytest.mark.parametrize("mode", ["valid", "full", "same"])
def test_convolve_modes_match_numpy(r, mode):
    x = RNG.random((6, 7))
    k = RNG.random((3, 4))
    full = _full_conv(x, k)
    kh, kw = k.shape
    ref = {"full": full,
           "valid": full[kh - 1:6, kw - 1:7],
           "same": full[math.ceil(kh / 2) - 1:][:6, math.ceil(kw / 2) - 1:][:, :7]}[mode]
    got = _run(r, f"image.convolve({_lua(x)}, {_lua(k)}, '{mode}')")
    assert got.shape == ref.shape
    assert np.allclose(got, ref)


def test_convolve_default_valid_3d_and_dst(r):
    x = RNG.random((3, 5, 5))
    k = RNG.random((3, 3))
    ref = np.stack([_full_conv(p, k)[2:5, 2:5] for p in x])
    assert np.allclose(_run(r, f"image.convolve({_lua(x)}, {_lua(k)})"), ref)
    same, into = r.execute(f"""
        local dst = torch.Tensor()
        local res = image.convolve(dst, {_lua(x)}, {_lua(k, 'Float')}, 'same')
        return res:totable(), torch.pointer(res) == torch.pointer(dst)""")
    ref_same = np.stack([_full_conv(p, k)[1:6, 1:6] for p in x])
    assert into and np.allclose(_np(same), ref_same)


def test_convolve_bad_mode_is_a_lua_error(r):
    with pytest.raises(LuaError, match=r"\(command line\):1: image.convolve: mode has to be"):
        r.execute("image.convolve(torch.rand(4, 4), torch.rand(2, 2), 'wide')")


# -- morphology ----------------------------------------------------------------------------

def _morph(x: np.ndarray, k: np.ndarray, pad: float, erode: bool) -> np.ndarray:
    ph, pw = k.shape[0] // 2, k.shape[1] // 2
    p = np.full((x.shape[0] + 2 * ph, x.shape[1] + 2 * pw), pad)
    p[ph:ph + x.shape[0], pw:pw + x.shape[1]] = x
    kk = k[::-1, ::-1] if erode else k          # Torch7 erodes with conv2, dilates with xcorr2
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            win = p[i:i + k.shape[0], j:j + k.shape[1]]
            out[i, j] = np.all(win[kk == 1] == 1) if erode else np.any(win[kk == 1] == 1)
    return out


def test_erode_dilate_match_reference(r):
    x = (RNG.random((7, 8)) > 0.4).astype(float)
    k = np.array([[0, 1, 1], [1, 1, 0], [0, 1, 0]], dtype=float)        # not symmetric
    for fn, erode, pad in (("erode", True, 1), ("dilate", False, 0)):
        got = _run(r, f"image.{fn}({_lua(x)}, {_lua(k)})")
        assert np.array_equal(got, _morph(x, k, pad, erode)), fn
        ones = _run(r, f"image.{fn}({_lua(x)})")
        assert np.array_equal(ones, _morph(x, np.ones((3, 3)), pad, erode)), fn
    # the pad value decides the border: eroding with pad 0 clears it
    assert _run(r, "image.erode(torch.ones(4, 4), nil, 0)").sum() == 4
    with pytest.raises(LuaError, match="odd dimensions"):
        r.execute("image.erode(torch.ones(4, 4), torch.ones(2, 2))")


# -- kernels -------------------------------------------------------------------------------

def test_laplacian_formula(r):
    got = _run(r, "image.laplacian{width=5, height=4, sigma_horz=0.3, sigma_vert=0.2, "
                  "amplitude=2}")
    ref = np.zeros((4, 5))
    cu, cv = 0.5 * 5 + 0.5, 0.5 * 4 + 0.5
    for i in range(1, 5):
        for j in range(1, 6):
            q = ((i - cu) / (0.3 * 5)) ** 2 / 2 + ((j - cv) / (0.2 * 4)) ** 2 / 2
            ref[i - 1, j - 1] = (1 - q) * 2 * math.exp(-q)
    assert np.allclose(got, ref)
    norm = _run(r, "image.laplacian(5, 0.25, 1, true)")
    assert norm.shape == (5, 5) and norm.sum() == pytest.approx(1)


def test_gaussianpyramid_levels(r):
    x = RNG.random((8, 12))
    lv1, lv2 = r.execute(f"""
        local p = image.gaussianpyramid({_lua(x)}, {{1, 0.5}})
        return p[1]:totable(), p[2]:totable()""")
    lv1, lv2 = _np(lv1), _np(lv2)
    assert np.array_equal(lv1, x)
    g = np.exp(-0.5 * (((np.arange(1, 4) - 2) / 0.75) ** 2))
    k = np.outer(g, g)
    k /= k.sum()
    blurred = _full_conv(x, k)[1:9, 1:13]
    rows = np.minimum((np.arange(4, dtype=np.float32) * np.float32(2)).astype(int), 7)
    cols = np.minimum((np.arange(6, dtype=np.float32) * np.float32(2)).astype(int), 11)
    assert np.allclose(lv2, blurred[rows][:, cols])


def test_colormaps(r):
    jet = _run(r, "image.jetColormap(7)")
    v = 4 * np.arange(1, 8) / 7
    ref = np.stack([np.clip(np.minimum(v - 1.5, 4.5 - v), 0, 1),
                    np.clip(np.minimum(v - 0.5, 3.5 - v), 0, 1),
                    np.clip(np.minimum(v + 0.5, 2.5 - v), 0, 1)], axis=1)
    assert np.allclose(jet, ref)
    cmap = _run(r, "image.colormap(12)")
    for i in range(12):            # hue steps of 39 degrees, lightness 0.5, as HLS colours
        hue = (39 * i % 360) / 360
        sat = math.fmod(i / 9, 0.7) + 0.3
        assert np.allclose(cmap[i], colorsys.hls_to_rgb(hue, 0.5, sat)), i


def test_y2jet_levels_and_bytes(r):
    levels = np.array([[1, 3], [5, 2]], dtype=float)
    got = _run(r, f"image.y2jet({_lua(levels)})")
    jet = _run(r, "image.jetColormap(5)")
    assert got.shape == (3, 2, 2)
    assert np.allclose(np.moveaxis(got, 0, 2), jet[levels.astype(int) - 1])
    byte = _run(r, f"image.y2jet({_lua(levels, 'Byte')})")
    assert np.array_equal(byte, np.clip(np.floor(got * 255 + 0.5), 0, 255))
    vec = _run(r, "image.y2jet(torch.linspace(1, 10, 10))")
    assert vec.shape == (3, 1, 10)


# -- colour spaces ---------------------------------------------------------------------------

def test_hsv_hsl_round_trips_and_colorsys(r):
    x = RNG.random((3, 4, 5))
    for fwd, back in (("rgb2hsv", "hsv2rgb"), ("rgb2hsl", "hsl2rgb")):
        assert np.allclose(_run(r, f"image.{back}(image.{fwd}({_lua(x)}))"), x, atol=1e-10)
    hsv = RNG.random((3, 4, 5))
    got = _run(r, f"image.hsv2rgb({_lua(hsv)})")
    ref = np.array([[colorsys.hsv_to_rgb(*hsv[:, i, j]) for j in range(5)] for i in range(4)])
    assert np.allclose(got, np.moveaxis(ref, 2, 0))
    got = _run(r, f"image.hsl2rgb({_lua(hsv)})")
    ref = np.array([[colorsys.hls_to_rgb(hsv[0, i, j], hsv[2, i, j], hsv[1, i, j])
                     for j in range(5)] for i in range(4)])
    assert np.allclose(got, np.moveaxis(ref, 2, 0))
    # known colours: pure hues
    prim = np.array([[0, 1 / 3, 2 / 3], [1, 1, 1], [0.5, 0.5, 0.5]]).reshape(3, 1, 3)
    assert np.allclose(_run(r, f"image.hsl2rgb({_lua(prim)})")[:, 0, :], np.eye(3))


def test_byte_hsv_hsl_round_trip(r):
    x = RNG.integers(0, 256, (3, 6, 6)).astype(float)
    for fwd, back in (("rgb2hsv", "hsv2rgb"), ("rgb2hsl", "hsl2rgb")):
        got = _run(r, f"image.{back}(image.{fwd}({_lua(x, 'Byte')}))")
        assert np.abs(got - x).max() <= 3, fwd


def _lab_ref(rgb: np.ndarray) -> np.ndarray:
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                  [0.019334, 0.119193, 0.950227]])
    xyz = np.tensordot(m, lin, axes=1) / np.array([0.950456, 1, 1.088754])[:, None, None]
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_lab_round_trip_and_known_values(r):
    x = RNG.random((3, 5, 4))
    x[:, 0, 0] = 0.001                                     # the linear branches too
    lab = _run(r, f"image.rgb2lab({_lua(x)})")
    assert np.allclose(lab, _lab_ref(x))
    # Torch7's two XYZ matrices are inverses to about 1e-5 only, hence its own 1e-4 tolerance
    assert np.allclose(_run(r, f"image.lab2rgb({_lua(lab)})"), x, atol=1e-4)
    white = _run(r, f"image.lab2rgb({_lua(np.array([100.0, 0, 0]).reshape(3, 1, 1))})")
    assert np.allclose(white.ravel(), 1, atol=1e-4)
    assert np.allclose(_run(r, "image.lab2rgb(torch.zeros(3, 1, 1))"), 0)
    with pytest.raises(LuaError, match="not supported for torch.ByteTensor"):
        r.execute("image.lab2rgb(torch.ByteTensor(3, 2, 2):zero())")


def test_rgb2nrgb(r):
    x = RNG.random((3, 3, 4))
    got = _run(r, f"image.rgb2nrgb({_lua(x)})")
    assert np.allclose(got, x / (x.sum(axis=0) + 1e-6))
    dst = r.execute(f"local d = torch.Tensor() image.rgb2nrgb(d, {_lua(x)}) return d:dim()")
    assert dst == 3


# -- warp and affinetransform --------------------------------------------------------------

def _cubic(p, x):
    p0, p1, p2, p3 = p
    return p1 + 0.5 * x * (p2 - p0 + x * (2 * p0 - 5 * p1 + 4 * p2 - p3
                                          + x * (3 * (p1 - p2) + p3 - p0)))


def _lanczos_w(d: float) -> float:
    d = abs(d)
    if d < 1e-6:
        return 1.0
    if d > 3:
        return 0.0
    return 3 * math.sin(math.pi * d) * math.sin(math.pi * d / 3) / (math.pi ** 2 * d * d)


def _sample(src: np.ndarray, iy: float, ix: float, mode: str, pad: bool,
            pad_value: float) -> np.ndarray:
    """One output pixel of Torch7's warp, written per pixel."""
    c, h, w = src.shape
    if pad and (iy < 0 or iy > h - 1 or ix < 0 or ix > w - 1):
        return np.full(c, pad_value)
    ix, iy = min(max(ix, 0), w - 1), min(max(iy, 0), h - 1)
    x0, y0 = math.floor(ix), math.floor(iy)
    fx, fy = ix - x0, iy - y0
    if mode == "simple":
        return src[:, math.floor(iy + 0.5), math.floor(ix + 0.5)]
    if mode == "bilinear":
        x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
        return (src[:, y0, x0] * (1 - fx) * (1 - fy) + src[:, y0, x1] * fx * (1 - fy)
                + src[:, y1, x0] * (1 - fx) * fy + src[:, y1, x1] * fx * fy)
    if mode == "bicubic":
        out = np.zeros(c)
        for k in range(c):
            rows = []
            for i in range(4):
                yy = y0 + i - 1
                ps = [src[k, yy, x0 + j - 1] if 0 <= yy < h and 0 <= x0 + j - 1 < w
                      else pad_value for j in range(4)]
                rows.append(_cubic(ps, fx))
            out[k] = _cubic(rows, fy)
        return out
    acc, tot = np.zeros(c), 0.0
    for u in range(x0 - 2, x0 + 4):
        for v in range(y0 - 2, y0 + 4):
            wgt = _lanczos_w(ix - u) * _lanczos_w(iy - v)
            tot += wgt
            acc += wgt * src[:, min(max(v, 0), h - 1), min(max(u, 0), w - 1)]
    return acc / tot


def _warp_ref(src, field, mode, offset, pad, pad_value):
    _, oh, ow = field.shape
    out = np.zeros((src.shape[0], oh, ow))
    for y in range(oh):
        for x in range(ow):
            iy = float(np.float32(field[0, y, x]) + (y if offset else 0))
            ix = float(np.float32(field[1, y, x]) + (x if offset else 0))
            out[:, y, x] = _sample(src, iy, ix, mode, pad, pad_value)
    return out


@pytest.mark.parametrize("mode", ["simple", "bilinear", "bicubic", "lanczos"])
def test_warp_modes_match_reference(r, mode):
    src = RNG.random((2, 6, 7))
    field = (RNG.random((2, 5, 6)) - 0.5) * 4            # some samples land off the image
    got = _run(r, f"image.warp({_lua(src)}, {_lua(field)}, '{mode}')")
    assert np.allclose(got, _warp_ref(src, field, mode, True, False, 0), atol=1e-5)
    pad = _run(r, f"image.warp({_lua(src)}, {_lua(field)}, '{mode}', true, 'pad', -1)")
    assert np.allclose(pad, _warp_ref(src, field, mode, True, True, -1), atol=1e-5)
    absolute = np.stack([RNG.random((5, 6)) * 5, RNG.random((5, 6)) * 6])
    got = _run(r, f"image.warp({_lua(src)}, {_lua(absolute)}, '{mode}', false)")
    assert np.allclose(got, _warp_ref(src, absolute, mode, False, False, 0), atol=1e-5)


def test_warp_forms_and_errors(r):
    src = RNG.random((4, 5))
    field = np.zeros((2, 4, 5))
    assert np.allclose(_run(r, f"image.warp({_lua(src)}, {_lua(field)})"), src)   # 2-D kept 2-D
    same = r.execute(f"""local d = torch.Tensor()
        local res = image.warp(d, {_lua(src)}, {_lua(field)}, 'simple')
        return torch.pointer(res) == torch.pointer(d) and d:dim() == 2""")
    assert same
    with pytest.raises(LuaError, match='pad_value can only be specified if clamp_mode = "pad"'):
        r.execute(f"image.warp({_lua(src)}, {_lua(field)}, 'bilinear', true, 'clamp', 3)")
    with pytest.raises(LuaError, match="mode is not lanczos"):
        r.execute(f"image.warp({_lua(src)}, {_lua(field)}, 'nearest')")
    with pytest.raises(LuaError, match="clamp_mode is not clamp"):
        r.execute(f"image.warp({_lua(src)}, {_lua(field)}, 'simple', true, 'wrap')")


def test_affinetransform(r):
    src = RNG.random((3, 5, 5))
    ident = _run(r, f"image.affinetransform({_lua(src)}, torch.eye(2))")
    assert np.allclose(ident, src)
    # a quarter turn of a square image with nearest sampling is an exact rotation
    rot = _run(r, f"image.affinetransform({_lua(src)}, torch.Tensor{{{{0, 1}}, {{-1, 0}}}}, "
                  "'simple')")
    assert np.allclose(rot, np.rot90(src, k=1, axes=(1, 2)))
    # translation moves the sampling point back: out(y, x) = src(y - ty, x - tx)
    m = np.array([[0.9, 0.2], [-0.1, 1.1]])
    got = _run(r, f"image.affinetransform({_lua(src)}, {_lua(m)}, 'bilinear', {{0.5, -1}}, "
                  "'pad', 0)")
    ref = np.zeros_like(src)
    for y in range(5):
        for x in range(5):
            iy, ix = np.array([2.0, 2.0]) + m @ np.array([y - 2.0, x - 2.0]) - [0.5, -1]
            ref[:, y, x] = _sample(src, float(np.float32(iy)), float(np.float32(ix)),
                                   "bilinear", True, 0)
    assert np.allclose(got, ref, atol=1e-5)


# -- polar maps ----------------------------------------------------------------------------

def _polar_ref(src, dh, dw, interp, full, log):
    c, h, w = src.shape
    mid_y, mid_x = h / 2, w / 2
    m = math.sqrt(w * w + h * h) / 2 if full else min(mid_x, mid_y)
    out = np.zeros((c, dh, dw))

    def px(yy, xx):
        return src[:, yy, xx] if 0 <= xx < w and 0 <= yy < h else np.zeros(c)
    for j in range(dh):
        a = 2 * math.pi * j / dh
        for i in range(dw):
            rad = math.exp(i * math.log(m) / dw) if log else m * i / dw
            ry, rx = rad * math.cos(a) + mid_y, -rad * math.sin(a) + mid_x
            x0, y0 = math.floor(rx), math.floor(ry)
            if interp == "simple" or not (0 <= x0 and 0 <= y0 and x0 + 1 < w and y0 + 1 < h):
                out[:, j, i] = px(y0, x0)
            else:
                fx, fy = rx - x0, ry - y0
                out[:, j, i] = (px(y0, x0) * (1 - fx) * (1 - fy) + px(y0, x0 + 1) * fx * (1 - fy)
                                + px(y0 + 1, x0) * (1 - fx) * fy + px(y0 + 1, x0 + 1) * fx * fy)
    return out


@pytest.mark.parametrize("fn", ["polar", "logpolar"])
def test_polar_maps_match_reference(r, fn):
    src = RNG.random((2, 9, 11))
    log = fn == "logpolar"
    got = _run(r, f"image.{fn}({_lua(src)})")                  # simple, valid, 11 x 11
    assert got.shape == (2, 11, 11)
    assert np.allclose(got, _polar_ref(src, 11, 11, "simple", False, log), atol=1e-5)
    got = _run(r, f"image.{fn}(torch.Tensor(2, 8, 10), {_lua(src)}, 'bilinear', 'full')")
    assert np.allclose(got, _polar_ref(src, 8, 10, "bilinear", True, log), atol=1e-4)
    grey = _run(r, f"image.{fn}({_lua(src[0])}, 'bilinear')")
    assert np.allclose(grey, _polar_ref(src[:1], 11, 11, "bilinear", False, log)[0], atol=1e-4)
    with pytest.raises(LuaError, match="interpolation must be one of"):
        r.execute(f"image.{fn}({_lua(src)}, 'cubic')")


# -- drawing, windows and Torch7's pictures ------------------------------------------------

@pytest.mark.parametrize("ttype,top", [("Double", 1.0), ("Byte", 255.0)])
def test_draw_rect(r, ttype, top):
    bg = 3 / 255 * top
    out, untouched = r.execute(f"""
        local x = torch.{ttype}Tensor(3, 24, 12):fill({bg})
        local y = image.drawRect(x, 5, 5, 10, 20, {{color = {{255, 0, 255}}}})
        return y:totable(), x:max() == {bg}""")
    out = _np(out)
    assert untouched
    ref = np.full((3, 24, 12), bg)
    mask = np.zeros((24, 12), bool)
    mask[4:20, 4] = mask[4:20, 9] = True                # 1-pixel lines at x1 - 1, x2 - 1
    mask[4, 4:10] = mask[19, 4:10] = True
    ref[:, mask] = np.array([1.0, 0, 1.0])[:, None] * top
    assert np.allclose(out, ref, atol=1e-6)
    wide = _run(r, "image.drawRect(torch.zeros(3, 30, 30), 10, 10, 20, 20, {lineWidth = 3, "
                   "inplace = true})")
    assert wide[0, 8:11, 8:21].min() == 1 and wide[0, 11:18, 11:18].max() == 0


def test_window_and_display_into_it(r, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("LUATORCH_DISPLAY", str(tmp_path))
    file, again = r.execute("""
        local w, painter = image.window()
        local w2 = image.display{image = torch.rand(3, 8, 10), win = w}
        return w.file, w2 == w and painter == w""")
    assert again and file.startswith(str(tmp_path))
    with PIL.open(file) as im:
        assert im.size == (10, 8)
    # display's own result (a file name) given back as win draws over that same file
    first, second = r.execute("""
        local w = image.display{image = torch.rand(3, 4, 4)}
        return w, image.display{image = torch.rand(3, 6, 5), win = w}""")
    assert first == second
    with PIL.open(first) as im:
        assert im.size == (5, 6)
    assert "no window" in capfd.readouterr().out


def test_lena_and_fabio_are_not_shipped(tmp_path, monkeypatch):
    monkeypatch.delenv("LUATORCH_IMAGE_ASSETS", raising=False)
    monkeypatch.chdir(tmp_path)
    r = Runtime()
    r.execute("require 'image'")
    with pytest.raises(LuaError, match=r"image.lena: grace_hopper_512.jpg is a photograph "
                                       r"shipped with Torch7's image package, not with luatorch"):
        r.execute("image.lena()")
    with pytest.raises(LuaError, match="fabio.jpg"):
        r.execute("image.fabio()")
    # a folder holding the files (here our own pictures under those names) is read
    PIL.fromarray(RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8)).save(
        tmp_path / "grace_hopper_512.jpg")
    PIL.fromarray(RNG.integers(0, 256, (4, 7), dtype=np.uint8)).save(tmp_path / "fabio.jpg")
    monkeypatch.setenv("LUATORCH_IMAGE_ASSETS", str(tmp_path))
    sizes = r.execute("return image.lena():size():totable(), image.fabio():size():totable()")
    assert list(sizes[0].values()) == [3, 6, 5] and list(sizes[1].values()) == [1, 4, 7]


@pytest.mark.parametrize("call,msg", [
    ("image.erode(torch.rand(2, 3, 3))", "image.erode: a 2D"),
    ("image.warp(torch.rand(3, 4, 4))", "image.warp: incorrect arguments"),
    ("image.warp(torch.rand(3, 4, 4), torch.zeros(2, 4, 4), 'simple', true, 'clamp', 2)",
     'pad_value can only be specified if clamp_mode = "pad"'),
    ("image.affinetransform(3, torch.eye(2))", "bad argument #1 to 'image.affinetransform'"),
    ("image.polar(torch.rand(3, 4, 4), 'simple', 'half')", "image.polar: mode must be one of"),
    ("image.y2jet(torch.zeros(2, 2))", "image.y2jet: levels should be whole numbers from 1"),
])
def test_bad_input_names_the_callers_line(r, call, msg):
    with pytest.raises(LuaError) as e:
        r.execute(call)
    assert str(e.value).startswith("(command line):1: " + msg)


# -- byte images round as Torch7's did, format-specific files ----------------------------------

@pytest.mark.parametrize("fn", ["rgb2hsl", "rgb2hsv", "rgb2y"])
def test_byte_colour_conversions_match_the_float_path(r, fn):
    # Torch7's own check: f on a byte image equals f on the same image as floats, rounded
    # (ties such as HSL's lightness (a + b) / 2 round alike only in float32, as Torch7 worked)
    data = RNG.integers(0, 256, (3, 40, 40)).astype(float)
    same = r.execute(f"""
        local b = {_lua(data, 'Byte')}
        local f = b:float():div(255)
        local expected = torch.round(torch.mul(image.{fn}(f), 255)):clamp(0, 255)
        return (image.{fn}(b):double() - expected:double()):abs():max()""")
    assert same == 0


def test_byte_gaussian_rounds_and_saturates(r):
    got = _run(r, "image.gaussian{amplitude = 1000, tensor = torch.ByteTensor(5, 5)}")
    ref = _run(r, "image.gaussian{amplitude = 1000, tensor = torch.DoubleTensor(5, 5)}")
    assert np.array_equal(got, np.clip(np.floor(ref + 0.5), 0, 255))
    assert got.max() == 255 and got.min() > 0


def test_format_specific_load_save_size(r, tmp_path):
    data = RNG.integers(0, 256, (3, 4, 6), dtype=np.uint8)
    png, odd = tmp_path / "a.png", tmp_path / "b.img"
    PIL.fromarray(np.moveaxis(data, 0, 2)).save(png)
    assert np.array_equal(_run(r, f"image.loadPNG('{png}', 3, 'byte')"), data)
    assert r.execute(f"return image.getPNGsize('{png}')") == (3, 4, 6)
    with pytest.raises(LuaError, match=r"image.loadJPG: .*a.png is not a JPEG file \(it is PNG\)"):
        r.execute(f"image.loadJPG('{png}')")
    r.execute(f"image.saveJPG('{odd}', image.loadPNG('{png}'))")       # JPEG whatever the name
    assert odd.read_bytes()[:3] == b"\xff\xd8\xff"
    pgm = tmp_path / "c.pgm"
    r.execute(f"image.savePGM('{pgm}', image.loadPNG('{png}'))")
    assert pgm.read_bytes()[:2] == b"P5"
    assert _run(r, f"image.loadPPM('{pgm}', 1, 'byte')").shape == (1, 4, 6)
    pbm = tmp_path / "d.pbm"
    PIL.fromarray(data[0] > 128).save(pbm)
    with pytest.raises(LuaError, match="unsupported magic number P4"):
        r.execute(f"image.loadPPM('{pbm}')")
    assert r.execute("return image.is_supported('jpg'), image.is_supported('gif')") == (True,
                                                                                       False)


def _png16_file(values: np.ndarray, ctype: int) -> bytes:
    """A 16-bit PNG of H x W x C `values` written here by the PNG spec, each row with another
    of the five filters (None, Sub, Up, Average, Paeth), so the reader undoes every one."""
    import struct
    import zlib

    h, w, c = values.shape
    raw = values.astype(">u2").view(np.uint8).reshape(h, w * c * 2).astype(np.int64)
    bpp = 2 * c
    rows = []
    prev = np.zeros(w * bpp, dtype=np.int64)
    for y in range(h):
        kind, cur = y % 5, raw[y]
        left = np.concatenate([np.zeros(bpp, np.int64), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
        if kind == 0:
            pred = np.zeros_like(cur)
        elif kind == 1:
            pred = left
        elif kind == 2:
            pred = prev
        elif kind == 3:
            pred = (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        rows.append(bytes([kind]) + ((cur - pred) % 256).astype(np.uint8).tobytes())
        prev = cur

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("ctype,chans", [(2, 3), (6, 4), (4, 2)])
def test_sixteen_bit_colour_png_keeps_its_precision(r, tmp_path, ctype, chans):
    vals = RNG.integers(0, 65536, (7, 5, chans)).astype(np.uint16)
    path = tmp_path / "deep.png"
    path.write_bytes(_png16_file(vals, ctype))
    got = _run(r, f"image.load('{path}', nil, 'double')")
    assert np.allclose(got, np.moveaxis(vals, 2, 0) / 65535.0, atol=1e-12)
    # a byte image keeps the high byte, as Torch7's libpng reader did
    byte = _run(r, f"image.load('{path}', nil, 'byte')")
    assert np.array_equal(byte, np.moveaxis(vals >> 8, 2, 0))
    blob = _run(r, f"""(function()
        local f = io.open('{path}', 'rb'); local s = f:read('*a'); f:close()
        local b = torch.ByteTensor(#s)
        for i = 1, #s do b[i] = s:byte(i) end
        return image.decompressPNG(b, nil, 'double')
    end)()""")
    assert np.array_equal(blob, got)
