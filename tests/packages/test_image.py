"""image on Pillow and NumPy, against Torch7's documented behaviour and plain NumPy references:
real PNG/JPEG files round-trip, each transform matches a loop written from Torch7's arithmetic."""

from __future__ import annotations

import colorsys
import math

import numpy as np
import pytest

from luatorch.runtime import LuaError
from tests.packages.image_util import _lua, _np, _run

PIL = pytest.importorskip("PIL.Image")

PACKAGE = "image"


@pytest.fixture()
def rgb() -> np.ndarray:
    return np.random.default_rng(0).random((3, 7, 9))


# -- files ---------------------------------------------------------------------------------

def test_png_round_trip_byte_and_float(r, tmp_path):
    data = np.random.default_rng(1).integers(0, 256, (3, 6, 8), dtype=np.uint8)
    path = tmp_path / "a.png"
    PIL.fromarray(np.moveaxis(data, 0, 2)).save(path)
    got_b = _run(r, f"image.load('{path}', 3, 'byte')")
    assert np.array_equal(got_b, data)
    typ, got_f = r.execute(f"local x = image.load('{path}', 3, 'float') "
                           "return torch.type(x), x:totable()")
    assert typ == "torch.FloatTensor"
    assert np.allclose(_np(got_f), data / 255.0, atol=1e-6)
    # a float image saved and loaded again gives the same bytes back
    out = tmp_path / "b.png"
    r.execute(f"image.save('{out}', image.load('{path}', 3, 'float'))")
    assert np.array_equal(np.moveaxis(np.asarray(PIL.open(out)), 2, 0), data)


def test_default_type_depth_and_size(r, tmp_path):
    grey = np.arange(20, dtype=np.uint8).reshape(4, 5) * 10
    path = tmp_path / "g.png"
    PIL.fromarray(grey).save(path)
    typ, size = r.execute(f"local x = image.load('{path}') return torch.type(x), #x:size()")
    assert typ == "torch.DoubleTensor" and size == 3
    assert _run(r, f"image.load('{path}', 3, 'byte')").shape == (3, 4, 5)
    assert list(_run(r, f"image.getSize('{path}')")) == [1, 4, 5]
    rgbpath = tmp_path / "c.png"
    col = np.random.default_rng(2).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    PIL.fromarray(col).save(rgbpath)
    y = _run(r, f"image.load('{rgbpath}', 1, 'double')")
    assert np.allclose(y, (col / 255.0) @ [0.299, 0.587, 0.114])        # Torch7's rgb2y


def test_jpeg_save_load_and_decompress(r, tmp_path):
    yy, xx = np.mgrid[0:16, 0:24] / 24.0
    rgb = np.stack([xx, yy, 0.5 + 0 * xx])           # smooth, as JPEG expects
    path = tmp_path / "a.jpg"
    r.execute(f"image.save('{path}', {_lua(rgb)})")
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"
    back = _run(r, f"image.load('{path}', 3, 'float')")
    assert back.shape == (3, 16, 24) and np.abs(back - rgb).mean() < 0.02
    same = _run(r, f"""(function()
        local f = io.open('{path}', 'rb'); local s = f:read('*a'); f:close()
        local b = torch.ByteTensor(#s)
        for i = 1, #s do b[i] = s:byte(i) end
        return image.decompress(b, 3, 'float')
    end)()""")
    assert np.array_equal(same, back)
    comp = _run(r, f"image.compressJPG({_lua(rgb)}, 90)")
    assert bytes(comp[:3].astype(np.uint8)) == b"\xff\xd8\xff"
    # the float image is the byte image / 255 in the element type, bit for bit, and a
    # contiguous C x H x W tensor
    for t in ("float", "double"):
        assert r.execute(f"""return (function()
            local b = image.load('{path}', 3, 'byte')
            local f = image.load('{path}', 3, '{t}')
            return torch.{t.capitalize()}Tensor(b:size()):copy(b):div(255):eq(f):min() == 1
               and f:isContiguous() and f:stride(1) == 16 * 24
        end)()""")


def test_load_errors(r, tmp_path):
    with pytest.raises(LuaError, match="No such file"):
        r.execute(f"image.load('{tmp_path}/none.png')")
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    # Torch7 went by the first bytes, then the extension: a .png that is none fails in libpng
    with pytest.raises(LuaError, match=r"\[read_png\] Error during init_io"):
        r.execute(f"image.load('{bad}')")
    PIL = pytest.importorskip("PIL.Image")
    PIL.new("RGB", (3, 2)).save(tmp_path / "bmp", format="BMP")
    with pytest.raises(LuaError, match="<image.load> unable to determine image type for file"):
        r.execute(f"image.load('{tmp_path}/bmp')")
    PIL.new("RGB", (3, 2)).save(tmp_path / "a.gif")
    with pytest.raises(LuaError, match="<image.load> unknown image type: gif"):
        r.execute(f"image.load('{tmp_path}/a.gif')")
    PIL.new("RGB", (3, 2), (255, 0, 0)).save(tmp_path / "png.jpg", format="PNG")
    assert r.execute(f"return image.load('{tmp_path}/png.jpg', 3, 'byte'):size(3)") == 3
    with pytest.raises(LuaError, match="unknown image type"):
        r.execute(f"image.save('{tmp_path}/x.abc', torch.rand(3, 2, 2))")


# -- geometry ------------------------------------------------------------------------------

def _ref_linear(src: np.ndarray, m: int) -> np.ndarray:
    """Torch7's 1-D bilinear rule along the last axis, written as loops."""
    n = src.shape[-1]
    out = np.zeros(src.shape[:-1] + (m,))
    if m > n:
        sc = np.float32(n - 1) / np.float32(m - 1)
        for d in range(m - 1):
            p = np.float32(d) * sc
            i = int(p)
            f = float(p - i)
            out[..., d] = (1 - f) * src[..., i] + f * src[..., min(i + 1, n - 1)]
        out[..., m - 1] = src[..., n - 1]
    elif m < n:
        sc = np.float32(n) / np.float32(m)
        i0, f0 = 0, 0.0
        for d in range(m):
            p = np.float32(d + 1) * sc
            i1 = int(p)
            f1 = float(p - np.float32(i1))
            acc, cnt = (1 - f0) * src[..., i0], 1 - f0
            for k in range(i0 + 1, i1):
                acc, cnt = acc + src[..., k], cnt + 1
            if i1 < n:
                acc, cnt = acc + f1 * src[..., i1], cnt + f1
            out[..., d] = acc / cnt
            i0, f0 = i1, f1
    else:
        out = src.copy()
    return out


def _ref_cubic(src: np.ndarray, m: int) -> np.ndarray:
    n = src.shape[-1]
    out = np.zeros(src.shape[:-1] + (m,))
    sc = np.float32(n - 1) / np.float32(m - 1)
    for d in range(m - 1):
        p = np.float32(d) * sc
        i = int(p)
        x = float(p - i)
        p1, p2 = src[..., i], src[..., i + 1]
        p0 = src[..., i - 1] if i > 0 else 2 * p1 - p2
        p3 = src[..., i + 2] if i + 2 < n else 2 * p2 - p1
        out[..., d] = p1 + 0.5 * x * (p2 - p0 + x * (2 * p0 - 5 * p1 + 4 * p2 - p3
                                                       + x * (3 * (p1 - p2) + p3 - p0)))
    out[..., m - 1] = src[..., n - 1]
    return out


@pytest.mark.parametrize("w,h", [(15, 11), (4, 3), (9, 7), (13, 4)])
def test_scale_bilinear_matches_torch7_rule(r, rgb, w, h):
    rows = _ref_linear(rgb, w)
    ref = np.swapaxes(_ref_linear(np.swapaxes(rows, 1, 2), h), 1, 2)
    assert np.allclose(_run(r, f"image.scale({_lua(rgb)}, {w}, {h})"), ref, atol=1e-6)


def test_scale_bicubic_and_simple(r, rgb):
    rows = _ref_cubic(rgb, 14)
    ref = np.swapaxes(_ref_cubic(np.swapaxes(rows, 1, 2), 12), 1, 2)
    assert np.allclose(_run(r, f"image.scale({_lua(rgb)}, 14, 12, 'bicubic')"), ref, atol=1e-6)
    got = _run(r, f"image.scale({_lua(rgb)}, 4, 3, 'simple')")
    jj = (np.arange(3) * np.float32(7 / 3)).astype(int)
    ii = (np.arange(4) * np.float32(9 / 4)).astype(int)
    assert np.array_equal(got, rgb[:, jj][:, :, ii])


def test_scale_byte_rounds_and_size_forms(r):
    b = np.random.default_rng(3).integers(0, 256, (3, 8, 12)).astype(float)
    got = _run(r, f"image.scale({_lua(b, 'Byte')}, 6, 4)")
    rows = np.clip(np.floor(_ref_linear(b, 6) + 0.5), 0, 255)
    ref = np.clip(np.floor(np.swapaxes(_ref_linear(np.swapaxes(rows, 1, 2), 4), 1, 2) + 0.5),
                  0, 255)
    assert np.array_equal(got, ref)
    sizes = r.execute("""
        local x = torch.rand(3, 40, 60)
        local function s(y) return y:size(2) .. 'x' .. y:size(3) end
        return s(image.scale(x, 30)), s(image.scale(x, '24x10')), s(image.scale(x, '^20')),
               s(image.scale(x, '*2')), s(image.scale(x, '*1/4')),
               s(image.scale(torch.Tensor(3, 5, 7), x))
    """)
    assert sizes == ("20x30", "10x24", "20x30", "80x120", "10x15", "5x7")


def test_crop_forms(r, rgb):
    x = _lua(rgb)
    assert np.array_equal(_run(r, f"image.crop({x}, 2, 1, 6, 5)"), rgb[:, 1:5, 2:6])
    for fmt, ys, xs in [("c", slice(2, 5), slice(2, 6)), ("tl", slice(0, 3), slice(0, 4)),
                        ("tr", slice(0, 3), slice(5, 9)), ("bl", slice(4, 7), slice(0, 4)),
                        ("br", slice(4, 7), slice(5, 9))]:
        assert np.array_equal(_run(r, f"image.crop({x}, '{fmt}', 4, 3)"), rgb[:, ys, xs])
    assert np.array_equal(_run(r, f"image.crop(torch.Tensor(3, 2, 3), {x}, 1, 4)"),
                          rgb[:, 4:6, 1:4])
    # with x2, y2 and dst, Torch7 scales the window into dst
    assert np.allclose(_run(r, f"image.crop(torch.Tensor(3, 2, 2), {x}, 0, 0, 4, 4)"),
                       _run(r, f"image.scale(image.crop({x}, 0, 0, 4, 4), 2, 2)"))
    with pytest.raises(LuaError, match="outside"):
        r.execute(f"image.crop({x}, 0, 0, 10, 3)")


def test_flips_and_translate(r, rgb):
    x = _lua(rgb)
    assert np.array_equal(_run(r, f"image.hflip({x})"), rgb[:, :, ::-1])
    assert np.array_equal(_run(r, f"image.vflip({x})"), rgb[:, ::-1, :])
    assert np.array_equal(_run(r, f"image.flip({x}, 1)"), rgb[::-1])
    ref = np.zeros_like(rgb)
    ref[:, 2:, :6] = rgb[:, :5, 3:]
    assert np.array_equal(_run(r, f"image.translate({x}, -3, 2)"), ref)


def _ref_rotate(a: np.ndarray, theta: float) -> np.ndarray:
    c, h, w = a.shape
    out = np.zeros_like(a)
    xc, yc = (w - 1) / 2, (h - 1) / 2
    for j in range(h):
        for i in range(w):
            ii = round(math.cos(theta) * (i - xc) - math.sin(theta) * (j - yc) + xc)
            jj = round(math.cos(theta) * (j - yc) + math.sin(theta) * (i - xc) + yc)
            if 0 <= ii < w and 0 <= jj < h:
                out[:, j, i] = a[:, jj, ii]
    return out


def test_rotate(r, rgb):
    x = _lua(rgb)
    assert np.array_equal(_run(r, f"image.rotate({x}, 0.7)"), _ref_rotate(rgb, 0.7))
    sq = rgb[:, :7, :7]
    assert np.array_equal(_run(r, f"image.rotate({_lua(sq)}, math.pi / 2)"),
                          np.rot90(sq, 1, axes=(1, 2)))
    assert np.allclose(_run(r, f"image.rotate({x}, 0, 'bilinear')"), rgb)
    half = _run(r, f"image.rotate({x}, 0.3, 'bilinear')")
    assert half.shape == rgb.shape and half[:, 3, 4] == pytest.approx(
        _run(r, f"image.rotate({x}, 0.3, 'bilinear')")[:, 3, 4])


# -- colour --------------------------------------------------------------------------------

def test_yuv_round_trip_and_reference(r, rgb):
    x = _lua(rgb)
    yuv = _run(r, f"image.rgb2yuv({x})")
    assert np.allclose(yuv[0], 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])
    assert np.allclose(yuv[1], -0.14713 * rgb[0] - 0.28886 * rgb[1] + 0.436 * rgb[2])
    assert np.allclose(_run(r, f"image.yuv2rgb(image.rgb2yuv({x}))"), rgb, atol=1e-4)


def test_hsl_hsv_lab(r, rgb):
    x = _lua(rgb)
    hsl = _run(r, f"image.rgb2hsl({x})")
    hsv = _run(r, f"image.rgb2hsv({x})")
    for j, i in [(0, 0), (3, 4), (6, 8)]:
        h, lum, s = colorsys.rgb_to_hls(*rgb[:, j, i])
        assert hsl[:, j, i] == pytest.approx([h, s, lum])
        assert hsv[:, j, i] == pytest.approx(colorsys.rgb_to_hsv(*rgb[:, j, i]))
    lab = _run(r, "image.rgb2lab(torch.ones(3, 1, 1))")[:, 0, 0]
    assert lab == pytest.approx([100, 0, 0], abs=0.05)           # white under D65
    assert _run(r, "image.rgb2lab(torch.zeros(3, 1, 1))")[:, 0, 0] == pytest.approx([0, 0, 0])


# -- kernels and display -------------------------------------------------------------------

def test_gaussian_kernels(r):
    g = _run(r, "image.gaussian(5)")
    u = (np.arange(1, 6) - 3) / (0.25 * 5)
    assert np.allclose(g, np.exp(-0.5 * (u[None, :] ** 2 + u[:, None] ** 2)))
    gn = _run(r, "image.gaussian{size=4, sigma=0.3, normalize=true}")
    assert gn.sum() == pytest.approx(1)
    g1 = _run(r, "image.gaussian1D(7, 0.2, 2)")
    assert np.allclose(g1, 2 * np.exp(-0.5 * ((np.arange(1, 8) - 4) / 1.4) ** 2))


def test_lcn_matches_reference(r):
    im = np.random.default_rng(4).random((12, 14))
    k = np.random.default_rng(5).random((3, 3))
    got = _run(r, f"image.lcn({_lua(im)}, {_lua(k)})")
    z = (im - im.mean()) / im.std(ddof=1)
    kf = k[::-1, ::-1]
    lm = np.array([[np.sum(z[a:a + 3, b:b + 3] * kf) for b in range(12)] for a in range(10)])
    lq = np.array([[np.sum(z[a:a + 3, b:b + 3] ** 2 * kf) for b in range(12)]
                   for a in range(10)])
    sd = np.maximum(np.sqrt(np.maximum(lq - lm ** 2, 0)), 1)
    assert np.allclose(got, (z[1:11, 1:13] - lm) / sd)
    with pytest.raises(LuaError, match="grayscale image expected"):
        r.execute("image.lcn(torch.rand(3, 5, 5))")


def test_minmax_and_display_tensor(r, rgb):
    x = _lua(rgb * 4 - 1)
    assert np.allclose(_run(r, f"image.minmax{{tensor={x}}}"),
                       (rgb - rgb.min()) / (rgb.max() - rgb.min()))
    sat = _run(r, f"image.minmax{{tensor={x}, min=0, max=1, saturate=true}}")
    assert np.allclose(sat, np.clip(rgb * 4 - 1, 0, 1))
    grid = _run(r, "image.toDisplayTensor{input=torch.rand(5, 3, 4, 6), padding=1, nrow=3}")
    assert grid.shape == (3, 2 * 5 - 1, 3 * 7 - 1)
    assert grid.max() <= 1 and grid[:, 4, :].max() == 0          # the padding row


def test_display_writes_png_and_says_where(r, tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    name = r.execute("return image.display{image=torch.rand(2, 3, 5, 5), zoom=2}")
    assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(tmp_path / name) in capfd.readouterr().out
    with PIL.open(tmp_path / name) as im:
        assert im.size == (2 * (2 * 5), 2 * 5)


def test_draw_text(r):
    out, same = r.execute("""
        local x = torch.zeros(3, 20, 40)
        local y = image.drawText(x, 'hi', 2, 2, {color = {255, 0, 0}})
        return y:totable(), x:sum() == 0
    """)
    out = _np(out)
    assert same                                                  # not in place by default
    assert out[0].max() > 0.5 and out[1].max() == 0 and out[2].max() == 0
    assert out[0, :, 30:].max() == 0                             # text stays near (2, 2)


def test_missing_pillow_one_line(r, monkeypatch, tmp_path):
    import sys

    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    for mod in ("PIL", "PIL.Image"):
        monkeypatch.setitem(sys.modules, mod, None)      # import now fails as if absent
    with pytest.raises(LuaError) as e:
        r.execute(f"image.load('{png}')")
    msg = str(e.value)
    assert msg.endswith('image requires Pillow: pip install "luatorch[image]"')
    assert "\n" not in msg and "Traceback" not in msg


def test_a_temporary_tensor_outlives_its_totable():
    """Regression: totable read a temporary tensor (`image.minmax{...}:totable()`) through an
    FFI pointer after its last reference was gone, so the collector could free its memory
    mid-read (the last element came back as a denormal). Before the fix this loop failed, in
    some runtime's fourth call."""
    import gc

    from luatorch.runtime import Runtime

    rgb = np.random.default_rng(0).random((3, 7, 9))
    x = _lua(rgb * 4 - 1)
    want = (rgb - rgb.min()) / (rgb.max() - rgb.min())
    for _ in range(30):
        rt = Runtime()
        rt.execute("require 'image'")
        for _ in range(20):
            np.testing.assert_allclose(_run(rt, f"image.minmax{{tensor={x}}}"), want)
        del rt
        gc.collect()
