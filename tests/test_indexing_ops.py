"""index / indexCopy / indexAdd / indexFill / gather / scatter / masked* / nonzero and the
x[mask], x[longTensor] forms, against NumPy references."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError
from tests.conftest import arr

TYPES = [("Float", np.float32), ("Double", np.float64), ("Int", np.int32), ("Long", np.int64)]
RNG = np.random.default_rng(11)


def put(rt, name: str, data: np.ndarray, tname: str) -> None:
    """Global Lua tensor `name` of type `tname` holding `data`."""
    shape = ", ".join(str(s) for s in data.shape)
    rt.execute(f"{name} = torch.{tname}Tensor({shape})")
    rt.eval(f"torch._handle({name})").a[...] = data


def fails(rt, code: str) -> str:
    with pytest.raises(LuaError) as ei:
        rt.execute(code, name="=test.lua")
    return ei.value.message


def data(shape, dtype):
    return (RNG.standard_normal(shape) * 10).astype(dtype)


@pytest.mark.parametrize("tname,dtype", TYPES)
def test_index(rt, tname, dtype):
    src = data((4, 5), dtype)
    put(rt, "s", src, tname)
    rt.execute(f"""
      i = torch.LongTensor({{3, 1, 3}})
      a = s:index(1, i)
      b = torch.index(s, 2, i)
      c = torch.{tname}Tensor(); c:index(s, 1, i)
      d = torch.{tname}Tensor(); torch.index(d, s:t(), 1, i)   -- non-contiguous source
      e = s:select(1, 2):index(1, torch.LongTensor({{5, 1}}))
      f = s:clone(); f:index(f, 2, torch.LongTensor({{2}}))    -- result aliases the source
      g = s[torch.LongTensor({{4, 2}})]
    """)
    ids = np.array([2, 0, 2])
    np.testing.assert_array_equal(arr(rt, "a"), src[ids])
    np.testing.assert_array_equal(arr(rt, "b"), src[:, ids])
    np.testing.assert_array_equal(arr(rt, "c"), src[ids])
    np.testing.assert_array_equal(arr(rt, "d"), src.T[ids])
    np.testing.assert_array_equal(arr(rt, "e"), src[1, [4, 0]])
    np.testing.assert_array_equal(arr(rt, "f"), src[:, [1]])
    np.testing.assert_array_equal(arr(rt, "g"), src[[3, 1]])
    np.testing.assert_array_equal(arr(rt, "s"), src)
    assert rt.eval("torch.type(a)") == f"torch.{tname}Tensor"


@pytest.mark.parametrize("tname,dtype", TYPES)
def test_index_copy_add_fill(rt, tname, dtype):
    base = data((4, 3), dtype)
    put(rt, "t", base, tname)
    put(rt, "src2", data((2, 3), dtype), tname)
    put(rt, "srcc", data((4, 2), dtype), tname)
    rt.execute("""
      i = torch.LongTensor({4, 2})
      a = t:clone(); ra = a:indexCopy(1, i, src2)
      b = t:clone(); b:indexCopy(2, torch.LongTensor({3, 1}), srcc)
      c = t:clone(); c:indexAdd(1, torch.LongTensor({1, 1}), src2)   -- repeats accumulate
      d = t:clone(); d:indexFill(2, torch.LongTensor({2}), -7)
      e = t:clone(); e:t():indexFill(1, torch.LongTensor({1, 3}), 5)  -- through a view
      f = t:clone(); f[torch.LongTensor({2})] = 9
      g = t:clone(); g[torch.LongTensor({1, 3})] = src2
    """)
    s2, sc = arr(rt, "src2").copy(), arr(rt, "srcc").copy()
    a = base.copy()
    a[[3, 1]] = s2
    b = base.copy()
    b[:, [2, 0]] = sc
    c = base.copy()
    c[0] += s2[0]
    c[0] += s2[1]
    d = base.copy()
    d[:, 1] = -7
    e = base.copy()
    e[:, [0, 2]] = 5
    f = base.copy()
    f[1] = 9
    g = base.copy()
    g[[0, 2]] = s2
    for k, ref in {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}.items():
        np.testing.assert_array_equal(arr(rt, k), ref, err_msg=k)
    assert rt.eval("ra == a")


@pytest.mark.parametrize("tname,dtype", TYPES)
def test_gather_scatter(rt, tname, dtype):
    src = data((3, 4), dtype)
    put(rt, "s", src, tname)
    idx1 = np.array([[1, 2, 3, 1], [3, 3, 1, 2]])          # dim 1: picks rows, 2 x 4
    idx2 = np.array([[4, 1], [2, 2], [1, 3]])              # dim 2: picks columns, 3 x 2
    rt.execute(f"""
      i1 = torch.LongTensor({idx1.tolist()!r}); i2 = torch.LongTensor({idx2.tolist()!r})
    """.replace("[", "{").replace("]", "}"))
    rt.execute(f"""
      a = s:gather(1, i1)
      b = torch.gather(s, 2, i2)
      c = torch.{tname}Tensor(); torch.gather(c, s:t():t(), 2, i2)
      z = torch.{tname}Tensor(3, 4):zero()
      sc = z:clone(); rs = sc:scatter(2, i2, s:narrow(2, 1, 2))
      sf = z:clone(); sf:scatter(1, torch.LongTensor({{{{2, 1, 3, 2}}}}), 8)
    """)
    np.testing.assert_array_equal(arr(rt, "a"), np.take_along_axis(src, idx1 - 1, 0))
    np.testing.assert_array_equal(arr(rt, "b"), np.take_along_axis(src, idx2 - 1, 1))
    np.testing.assert_array_equal(arr(rt, "c"), np.take_along_axis(src, idx2 - 1, 1))
    sc = np.zeros((3, 4), dtype)
    np.put_along_axis(sc, idx2 - 1, src[:, :2], 1)
    np.testing.assert_array_equal(arr(rt, "sc"), sc)
    sf = np.zeros((3, 4), dtype)
    sf[[1, 0, 2, 1], [0, 1, 2, 3]] = 8
    np.testing.assert_array_equal(arr(rt, "sf"), sf)
    assert rt.eval("rs == sc")


@pytest.mark.parametrize("tname,dtype", TYPES)
def test_masked_ops(rt, tname, dtype):
    base = data((3, 4), dtype)
    put(rt, "t", base, tname)
    mask = RNG.random((3, 4)) > 0.5
    put(rt, "m", mask.astype(np.uint8), "Byte")
    put(rt, "v", data((12,), dtype), tname)
    rt.execute(f"""
      a = t:maskedSelect(m)
      b = torch.maskedSelect(t, m)
      c = torch.{tname}Tensor(); c:maskedSelect(t, m)
      d = t:t():maskedSelect(m:t())                   -- non-contiguous
      e = t:maskedSelect(m:view(12))                  -- same count, other shape
      f = t:clone(); rf = f:maskedFill(m, -3)
      g = t:clone(); g:maskedCopy(m, v)
      h = t:clone(); h:t():maskedFill(m:t(), 1)       -- in place through a view
      k = t[m]
      l = t:clone(); l[m] = 4
      n = t:clone(); n[m] = v
    """)
    vv = arr(rt, "v").copy()
    cnt = int(mask.sum())
    np.testing.assert_array_equal(arr(rt, "a") if cnt else [], base[mask])
    for k in "bcek":
        np.testing.assert_array_equal(arr(rt, k), base[mask], err_msg=k)
    np.testing.assert_array_equal(arr(rt, "d"), base.T[mask.T])
    f = base.copy()
    f[mask] = -3
    g = base.copy()
    g[mask] = vv[:cnt]
    h = base.copy()
    h[mask] = 1
    l_ = base.copy()
    l_[mask] = 4
    for k, ref in {"f": f, "g": g, "h": h, "l": l_, "n": g}.items():
        np.testing.assert_array_equal(arr(rt, k), ref, err_msg=k)
    assert rt.eval("rf == f") and rt.eval("a:dim()") == 1


def test_masked_select_nothing_and_nonzero(rt):
    rt.execute("""
      x = torch.Tensor({{0, 1, 0}, {2, 0, 3}})
      e = x:maskedSelect(torch.ByteTensor(2, 3):zero())
      nz = x:nonzero()
      nz2 = torch.nonzero(torch.Tensor({0, 5, 0, 7}))
      nz3 = torch.LongTensor(); torch.nonzero(nz3, x:t())
      nz4 = torch.zeros(3):nonzero()
      b = torch.nonzero(x:gt(1))
    """)
    assert rt.eval("e:nElement()") == 0
    np.testing.assert_array_equal(arr(rt, "nz"), [[1, 2], [2, 1], [2, 3]])
    np.testing.assert_array_equal(arr(rt, "nz2"), [[2], [4]])
    np.testing.assert_array_equal(arr(rt, "nz3"), [[1, 2], [2, 1], [3, 2]])
    assert rt.eval("torch.type(nz)") == "torch.LongTensor"
    assert rt.eval("nz4:nElement()") == 0
    np.testing.assert_array_equal(arr(rt, "b"), [[2, 1], [2, 3]])


def test_logical_indexing_doc_example(rt):
    a = RNG.random(10)
    b = RNG.random(10)
    put(rt, "a", a, "Double")
    put(rt, "b", b, "Double")
    rt.execute("a[torch.gt(a, b)] = 10; a[torch.gt(a, 1)] = -1")
    ref = a.copy()
    ref[a > b] = 10
    ref[ref > 1] = -1
    np.testing.assert_array_equal(arr(rt, "a"), ref)


def test_errors(rt):
    msg = fails(rt, "local x = torch.range(1, 5)\nlocal y = x:index(1, torch.LongTensor({6}))")
    assert msg.startswith("test.lua:2:") and "index out of range" in msg
    msg = fails(rt, "local x = torch.range(1, 5)\nlocal y = x[torch.LongTensor({0})]")
    assert msg.startswith("test.lua:2:") and "index out of range" in msg
    msg = fails(rt, "local x = torch.zeros(3, 2)\n\nx:indexFill(1, torch.LongTensor({4}), 1)")
    assert msg.startswith("test.lua:3:") and "index out of range" in msg
    msg = fails(rt, "local x = torch.zeros(3, 2)\nx:indexCopy(1, torch.LongTensor({1, 2}), "
                    "torch.zeros(3, 2))")
    assert msg.startswith("test.lua:2:")
    msg = fails(rt, "local x = torch.zeros(3, 2)\nx:indexAdd(1, torch.LongTensor({9}), "
                    "torch.zeros(1, 2))")
    assert "index out of range" in msg
    msg = fails(rt, "local x = torch.zeros(3)\nlocal y = x:gather(1, torch.LongTensor({4}))")
    assert msg.startswith("test.lua:2:") and "index out of range" in msg
    msg = fails(rt, "local x = torch.zeros(3)\nx:scatter(1, torch.LongTensor({0}), 1)")
    assert msg.startswith("test.lua:2:") and "index out of range" in msg
    msg = fails(rt, "local x = torch.range(1, 5)\nlocal y = x:index(1, torch.IntTensor({1}))")
    assert msg.startswith("test.lua:2:") and "invalid arguments: " in msg
    msg = fails(rt, "local x = torch.range(1, 3)\nlocal y = x:maskedSelect(torch.Tensor(3))")
    assert msg.startswith("test.lua:2:") and "invalid arguments: " in msg
    msg = fails(rt, "local x = torch.range(1, 3)\nx:maskedFill(torch.ByteTensor(4):zero(), 1)")
    assert msg.startswith("test.lua:2:") and "inconsistent tensor size" in msg
    msg = fails(rt, "local x = torch.range(1, 3)\nx:maskedFill(torch.ByteTensor({1, 2, 0}), 1)")
    assert "0 and 1" in msg
    msg = fails(rt, "local x = torch.range(1, 3)\n"
                    "x:maskedCopy(torch.ByteTensor({1, 1, 1}), torch.Tensor(2))")
    assert msg.startswith("test.lua:2:") and "Number of elements of src" in msg
    msg = fails(rt, "local x = torch.range(1, 3)\nx:indexFill(1, torch.LongTensor({1}), 'a')")
    assert msg.startswith("test.lua:2:") and "invalid arguments: " in msg
