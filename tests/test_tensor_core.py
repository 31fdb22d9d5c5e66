"""Tensor construction, views sharing memory, indexing forms, storages and the class system."""

from __future__ import annotations

import re

import numpy as np
import pytest

from luatorch.runtime import LuaError
from tests.conftest import arr, lua_list

TYPES = ["Byte", "Char", "Short", "Int", "Long", "Float", "Double"]
DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64]


@pytest.mark.parametrize("tname,dtype", list(zip(TYPES, DTYPES)))
def test_types_and_construction(rt, tname, dtype):
    rt.execute(f"x = torch.{tname}Tensor(2, 3)")
    assert rt.eval("torch.type(x)") == f"torch.{tname}Tensor"
    assert rt.eval("type(x)") == "userdata"
    assert rt.eval("x:dim()") == 2 and rt.eval("x:nElement()") == 6
    a = arr(rt, "x")
    assert a.dtype == dtype and a.shape == (2, 3)
    rt.execute(f"y = torch.{tname}Tensor({{{{1, 2, 3}}, {{4, 5, 6}}}})")
    np.testing.assert_array_equal(arr(rt, "y"), np.array([[1, 2, 3], [4, 5, 6]], dtype))
    rt.execute(f"s = torch.{tname}Storage({{1, 2, 3, 4}})")
    assert rt.eval("#s") == 4 and rt.eval("s[3]") == 3
    assert rt.eval("torch.type(s)") == f"torch.{tname}Storage"


def test_construction_forms(rt):
    rt.execute("""
      s = torch.DoubleStorage({1, 2, 3, 4, 5, 6, 7, 8})
      a = torch.Tensor(s)                                  -- whole storage, 1-D
      b = torch.Tensor(s, 2, torch.LongStorage({2, 3}))    -- offset 2, 2x3 contiguous
      c = torch.Tensor(s, 1, 2, 4, 3, 1)                    -- size/stride pairs
      d = torch.Tensor(torch.LongStorage({2, 2}))
      e = torch.Tensor(b)                                   -- shares b's storage
      f = torch.Tensor()
    """)
    np.testing.assert_array_equal(arr(rt, "a"), np.arange(1, 9))
    np.testing.assert_array_equal(arr(rt, "b"), [[2, 3, 4], [5, 6, 7]])
    np.testing.assert_array_equal(arr(rt, "c"), [[1, 2, 3], [5, 6, 7]])
    assert rt.eval("d:size(1)") == 2 and rt.eval("d:size(2)") == 2
    rt.execute("e[{1, 1}] = 100")
    assert rt.eval("s[2]") == 100
    assert rt.eval("f:dim()") == 0 and rt.eval("f:nElement()") == 0
    assert rt.eval("b:storageOffset()") == 2


def test_views_share_memory(rt):
    rt.execute("""
      x = torch.Tensor(4, 5):zero()
      n = x:narrow(2, 2, 3); n:fill(1)
      s = x:select(1, 4); s:fill(2)
      t = x:t(); t[{1, 1}] = 7
      u = x:sub(2, 3, 4, 5); u:fill(3)
      v = x:view(20); v[20] = 9
      w = x:transpose(1, 2):contiguous(); w:fill(-1)    -- a copy: must not alias
      p = x:permute(2, 1); p[{5, 1}] = 8
    """)
    x = arr(rt, "x")
    ref = np.zeros((4, 5))
    ref[:, 1:4] = 1
    ref[3, :] = 2
    ref[0, 0] = 7
    ref[1:3, 3:5] = 3
    ref[3, 4] = 9
    ref[0, 4] = 8
    np.testing.assert_array_equal(x, ref)
    assert not rt.eval("w:isContiguous() == false")


def test_unfold_expand_squeeze(rt):
    rt.execute("""
      x = torch.range(1, 7)
      u = x:unfold(1, 2, 2)
      e = torch.Tensor({{1}, {2}}):expand(2, 3)
      q = torch.Tensor(1, 3, 1):fill(1):squeeze()
      q1 = torch.Tensor(1, 3, 1):squeeze(1)
      z = torch.Tensor(3):unsqueeze(1)
      r = torch.Tensor({1, 2}):repeatTensor(2, 2)
    """)
    np.testing.assert_array_equal(arr(rt, "u"), [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(arr(rt, "e"), [[1, 1, 1], [2, 2, 2]])
    assert rt.eval("e:stride(2)") == 0
    assert lua_list(rt.eval("q:size():totable()")) == [3]
    assert lua_list(rt.eval("q1:size():totable()")) == [3, 1]
    assert lua_list(rt.eval("z:size():totable()")) == [1, 3]
    np.testing.assert_array_equal(arr(rt, "r"), [[1, 2, 1, 2], [1, 2, 1, 2]])


def test_resize_keeps_storage(rt):
    rt.execute("""
      x = torch.Tensor(10):fill(3)
      st = x:storage()
      x:resize(2, 3)
      same = torch.pointer(x:storage()) == torch.pointer(st)
      x:resize(20)
      grown = x:storage():size()
      y = torch.Tensor(2, 2):resizeAs(torch.Tensor(3, 4))
    """)
    assert rt.eval("same") is True
    assert rt.eval("grown") == 20
    assert rt.eval("x[1]") == 3
    assert lua_list(rt.eval("y:size():totable()")) == [3, 4]


def test_storage_resize_updates_views(rt):
    rt.execute("""
      s = torch.FloatStorage(4):fill(1)
      t = torch.FloatTensor(s)
      s:resize(8)
      s[1] = 5
    """)
    assert rt.eval("t[1]") == 5


def test_every_index_form(rt):
    rt.execute("""
      x = torch.Tensor({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}})
      a = x[2][3]
      b = x[{2, 3}]
      c = x[{{1, 2}, {}, }]
      d = x[{{}, 2}]
      e = x[{-1, -1}]
      f = x[torch.LongStorage({3, 1})]
      mask = torch.ByteTensor({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})
      g = x[mask]
      h = x[torch.LongTensor({3, 1})]
      i = x[{{2}, {2, 3}}]
      j = x[1]
    """)
    assert rt.eval("a") == 6 and rt.eval("b") == 6 and rt.eval("e") == 9 and rt.eval("f") == 7
    np.testing.assert_array_equal(arr(rt, "c"), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(arr(rt, "d"), [2, 5, 8])
    np.testing.assert_array_equal(arr(rt, "g"), [1, 5, 9])
    np.testing.assert_array_equal(arr(rt, "h"), [[7, 8, 9], [1, 2, 3]])
    np.testing.assert_array_equal(arr(rt, "i"), [[5, 6]])
    np.testing.assert_array_equal(arr(rt, "j"), [1, 2, 3])


def test_every_assignment_form(rt):
    rt.execute("""
      x = torch.Tensor(3, 3):zero()
      x[1] = 1                                   -- fill a row
      x[{2, 3}] = 5                              -- one element
      x[{{3}, {1, 2}}] = torch.Tensor({{7, 8}})  -- copy into a block
      x[torch.LongStorage({2, 1})] = 4
      v = torch.Tensor(3):zero(); v[2] = 6
      m = torch.Tensor(2, 2):zero()
      m[torch.ByteTensor({{1, 0}, {0, 1}})] = 3
      k = torch.Tensor(3, 2):zero()
      k[torch.LongTensor({1, 3})] = 2
    """)
    np.testing.assert_array_equal(arr(rt, "x"), [[1, 1, 1], [4, 0, 5], [7, 8, 0]])
    np.testing.assert_array_equal(arr(rt, "v"), [0, 6, 0])
    np.testing.assert_array_equal(arr(rt, "m"), [[3, 0], [0, 3]])
    np.testing.assert_array_equal(arr(rt, "k"), [[2, 2], [0, 0], [2, 2]])


def test_result_forms_of_view_and_expand(rt):
    rt.execute("""
      src = torch.range(1, 6)
      res = torch.Tensor()
      r1 = res:view(src, 2, 3)
      e = torch.Tensor()
      e:expand(torch.Tensor({{1}, {2}}), 2, 3)  -- Torch7: the result comes first
    """)
    np.testing.assert_array_equal(arr(rt, "res"), [[1, 2, 3], [4, 5, 6]])
    assert rt.eval("r1 == res") is True
    np.testing.assert_array_equal(arr(rt, "e"), [[1, 1, 1], [2, 2, 2]])


def test_size_stride_len(rt):
    rt.execute("x = torch.FloatTensor(2, 3, 4)")
    assert lua_list(rt.eval("x:size():totable()")) == [2, 3, 4]
    assert lua_list(rt.eval("(#x):totable()")) == [2, 3, 4]
    assert lua_list(rt.eval("x:stride():totable()")) == [12, 4, 1]
    assert rt.eval("x:size(3)") == 4
    # regression: Torch7 has no negative dimensions or select indices (TH checks 0 <= d < n)
    for expr, msg in [("x:size(-1)", "bad argument #1 to 'size' (dimension -1 out of range"),
                      ("x:stride(-1)", "bad argument #1 to 'stride' (dimension -1 out of range"),
                      ("x:select(1, -1)", "bad argument #2 to 'select' (index -1 out of range"),
                      ("x[1][1]:select(1, 0)", "bad argument #2 to 'select' (index 0 out of"),
                      ("x[1][1]:select(1, -1)", "bad argument #2 to 'select' (index -1 out of")]:
        with pytest.raises(LuaError, match=re.escape(msg)):
            rt.eval(expr)
    assert rt.eval("x[1][1]:select(1, 4)") == rt.eval("x[1][1][4]")
    assert rt.eval("x[1][1][-1]") == rt.eval("x[1][1][4]")
    assert rt.eval("x:isContiguous()") is True
    assert rt.eval("x:transpose(1, 3):isContiguous()") is False


def test_copy_converts_types(rt):
    rt.execute("""
      d = torch.DoubleTensor({1.7, -2.5, 3})
      i = torch.IntTensor(3):copy(d)
      f = d:float(); l = d:long(); b = torch.ByteTensor({1, 2}):double()
      c = d:clone(); c[1] = 0
      t = d:type('torch.FloatTensor')
    """)
    np.testing.assert_array_equal(arr(rt, "i"), [1, -2, 3])
    assert rt.eval("torch.type(f)") == "torch.FloatTensor"
    assert rt.eval("torch.type(l)") == "torch.LongTensor"
    assert rt.eval("torch.type(b)") == "torch.DoubleTensor"
    assert rt.eval("torch.type(t)") == "torch.FloatTensor"
    assert rt.eval("d[1]") == 1.7
    assert rt.eval("d:type()") == "torch.DoubleTensor"


def test_apply_map_map2_totable(rt):
    rt.execute("""
      x = torch.Tensor({{1, 2}, {3, 4}}):t()
      local i = 0
      x:apply(function(v) i = i + 1; return v * 10 + i end)
      y = torch.Tensor({{1, 1}, {1, 1}})
      y:map(x, function(a, b) return a + b end)
      z = torch.Tensor(2, 2):zero()
      z:map2(x, y, function(a, b, c) return b - c end)
      l = torch.LongTensor({5, 6}); s = 0
      l:apply(function(v) s = s + v end)
      tt = torch.Tensor({{1, 2}, {3, 4}}):totable()
    """)
    # apply visits x (a transposed view) in its own row-major order
    np.testing.assert_array_equal(arr(rt, "x"), [[11, 32], [23, 44]])
    np.testing.assert_array_equal(arr(rt, "y"), [[12, 33], [24, 45]])
    np.testing.assert_array_equal(arr(rt, "z"), [[-1, -1], [-1, -1]])
    assert rt.eval("s") == 11
    assert rt.eval("tt[2][1]") == 3


def test_split_chunk(rt):
    rt.execute("x = torch.range(1, 10); parts = x:split(4); ch = x:chunk(3)")
    assert rt.eval("#parts") == 3 and rt.eval("parts[3]:size(1)") == 2
    assert rt.eval("#ch") == 3 and rt.eval("ch[1]:size(1)") == 4


def test_default_tensor_type(rt):
    rt.execute("torch.setdefaulttensortype('torch.FloatTensor'); x = torch.Tensor(2)")
    try:
        assert rt.eval("torch.type(x)") == "torch.FloatTensor"
        assert rt.eval("torch.getdefaulttensortype()") == "torch.FloatTensor"
        assert rt.eval("torch.type(torch.Storage(2))") == "torch.FloatStorage"
    finally:
        rt.execute("torch.setdefaulttensortype('torch.DoubleTensor')")


def test_class_system(rt):
    rt.execute("""
      local A = torch.class('test.A')
      function A:__init(v) self.v = v end
      function A:get() return self.v end
      function A:__tostring__() return 'A(' .. self.v .. ')' end
      function A:__call__(x) return self.v + x end
      function A:__add__(o) return test.A(self.v + o.v) end
      local B, parent = torch.class('test.B', 'test.A')
      function B:__init(v) parent.__init(self, v * 2) end
      b = test.B(3)
      a = test.A(1)
      sum = (a + b):get()
      f = torch.factory('test.B')()
    """)
    assert rt.eval("b:get()") == 6
    assert rt.eval("torch.typename(b)") == "test.B"
    assert rt.eval("torch.isTypeOf(b, 'test.A')") is True
    assert rt.eval("torch.isTypeOf(b, test.A)") is True
    assert rt.eval("torch.isTypeOf(a, 'test.B')") is False
    assert rt.eval("tostring(b)") == "A(6)"
    assert rt.eval("b(1)") == 7
    assert rt.eval("sum") == 7
    assert rt.eval("torch.type(f)") == "test.B" and rt.eval("f.v") is None
    assert rt.eval("torch.getmetatable('test.B') == getmetatable(b)") is True
    assert rt.eval("torch.type(1)") == "number"
    assert rt.eval("torch.isTensor(torch.Tensor())") is True
    assert rt.eval("torch.isStorage(torch.Storage())") is True
    assert rt.eval("torch.isTensor({})") is False


@pytest.mark.parametrize("code,words", [
    ("torch.Tensor(3)[4]", "out of range"),
    ("torch.Tensor(3, 3)[{1, 5}]", "out of range"),
    ("torch.Tensor(3):narrow(1, 2, 5)", "out of range"),
    ("torch.Tensor(2, 3):view(4)", "size mismatch"),
    ("torch.Tensor(3):fill('x')", "number expected, got string"),
    ("torch.Tensor(3):resize('a')", "number expected"),
    ("torch.Tensor(2):copy(torch.Tensor(3))", "inconsistent tensor size"),
    ("torch.Tensor({1, {2}})", "inconsistent tensor size"),
])
def test_errors_name_the_line(rt, code, words):
    with pytest.raises(LuaError) as ei:
        rt.execute("local x = 1\nlocal y = " + code, "@user.lua")
    msg = ei.value.message
    assert msg.startswith("user.lua:2:"), msg
    assert words in msg
    assert "\n" not in msg


def test_views_record_stays_proportional_to_live_views():
    """Dead view references are dropped when the record doubles the live count, so a storage
    with many live views is not rescanned every few new views (a row-selecting loop spent
    40% of its time there)."""
    from luatorch.tensor import Tensor

    base = Tensor.empty((64, 8), np.float32)
    views = base.storage.views
    keep = [base.select(0, i % 64) for i in range(1000)]
    scans = []
    compact = type(views).compact

    def counting(self):
        scans.append(list.__len__(self))
        compact(self)

    type(views).compact = counting
    try:
        for i in range(20000):
            base.narrow(0, i % 64, 1)          # dropped at once
    finally:
        type(views).compact = compact
    assert len(scans) <= 25, scans             # one per ~1000 new views, not one per 64
    assert list.__len__(views) <= views.limit <= 2 * (len(keep) + 1) + 64
    assert np.shares_memory(keep[5].a, base.a) and keep[5].a.shape == (8,)
    assert np.array_equal(base.narrow(1, 2, 3).a, base.a[:, 2:5])
