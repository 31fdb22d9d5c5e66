"""Torch7's Lua runtime as luaT and Torch7's init set it up (issue 11, 'The Lua runtime')."""

from __future__ import annotations

from luatorch.runtime import Runtime


def test_table_unpack_and_pack(rt: Runtime) -> None:
    assert rt.eval("select('#', table.unpack({1, 2, 3}))") == 3
    assert rt.eval("table.pack(1, nil, 3).n") == 3
    assert rt.eval("table.pack(1, nil, 3)[3]") == 3


def test_eq_falls_back_to_identity(rt: Runtime) -> None:
    rt.require("nn")
    rt.execute("a = nn.Sequential(); x = torch.Tensor(2); s = x:storage()")
    assert rt.eval("a == a") is True
    assert rt.eval("a == nn.Sequential()") is False
    assert rt.eval("a ~= nn.Sequential()") is True
    assert rt.eval("nn.Linear(2, 2) ~= nn.Linear(2, 2)") is True
    assert rt.eval("x == x") is True
    assert rt.eval("x == torch.Tensor(2)") is False
    # two Lua wrappers of one storage are one object, as luaT compares the C pointers
    assert rt.eval("x:storage() == x:storage()") is True
    assert rt.eval("s == torch.DoubleStorage(2)") is False


def test_lt_still_raises(rt: Runtime) -> None:
    ok, msg = rt.execute("return pcall(function() return torch.Tensor(1) < torch.Tensor(1) end)")
    assert ok is False and "attempt to perform lt" in msg


def test_resize_to_the_same_size_keeps_strides(rt: Runtime) -> None:
    """TH's resizeNd returns early on an unchanged size: a strided view stays a view.

    nn.Jacobian flattens a strided parameter view with resize and perturbs it through that view.
    """
    rt.execute("""
      _m = torch.Tensor(4, 2):zero()
      _v = _m:select(2, 2)
      _v:resize(4)
      _v[3] = 7
      _t = torch.Tensor(2, 3):t()
      _t:resizeAs(torch.Tensor(3, 2))
      _u = torch.Tensor(2, 3):t()
      _u:resize(2, 3)
    """)
    assert rt.eval("_v:stride(1)") == 2
    assert rt.eval("_m[3][2]") == 7
    assert rt.eval("_t:isContiguous()") is False
    assert rt.eval("_u:isContiguous()") is True
