"""Torch7's torch core and type system (issue 11, 'torch' and 'The Lua runtime')."""

from __future__ import annotations

import pytest

from luatorch.runtime import Runtime


def test_half_tensor_and_storage(rt: Runtime) -> None:
    rt.execute("h = torch.rand(3, 4):half()")
    assert rt.eval("torch.type(h)") == "torch.HalfTensor"
    assert rt.eval("torch.type(h:storage())") == "torch.HalfStorage"
    assert rt.eval("torch.type(h:float())") == "torch.FloatTensor"
    assert rt.eval("torch.HalfTensor({1, 2.5, 3}):totable()[2]") == 2.5
    assert rt.eval("torch.HalfStorage({1, 2.5}):totable()[2]") == 2.5
    # float16 rounding: 0.1 is stored as the nearest half
    assert rt.eval("torch.HalfTensor({0.1})[1]") == pytest.approx(0.0999755859375)
    assert rt.eval("torch.HalfTensor(2):fill(1.5):apply(function(x) return x * 2 end)[2]") == 3
    assert "torch.HalfTensor of size 3x4" in rt.eval("tostring(h)")
    assert "torch.HalfStorage of size 2" in rt.eval("tostring(torch.HalfStorage(2))")


def test_real_is_the_default_type(rt: Runtime) -> None:
    assert rt.eval("torch.HalfTensor(2):real():type()") == "torch.DoubleTensor"
    rt.execute("torch.setdefaulttensortype('torch.FloatTensor')")
    try:
        assert rt.eval("torch.IntTensor(2):real():type()") == "torch.FloatTensor"
    finally:
        rt.execute("torch.setdefaulttensortype('torch.DoubleTensor')")
    assert rt.eval("torch.getmetatable('torch.DoubleTensor').half ~= nil") is True


def test_element_size(rt: Runtime) -> None:
    sizes = {"Byte": 1, "Char": 1, "Short": 2, "Int": 4, "Long": 8, "Float": 4, "Half": 2,
             "Double": 8}
    for name, n in sizes.items():
        assert rt.eval(f"torch.{name}Tensor():elementSize()") == n
        assert rt.eval(f"torch.{name}Storage():elementSize()") == n


@pytest.mark.parametrize("mode", ["binary", "ascii"])
def test_half_serializes_as_half(rt: Runtime, mode: str) -> None:
    rt.execute(f"""
      local f = torch.MemoryFile(); f:{mode}()
      h = torch.HalfTensor({{1.5, -2, 0.25}})
      f:writeObject(h); f:writeObject(h:storage()); f:seek(1)
      hh, hs = f:readObject(), f:readObject()""")
    assert rt.eval("torch.type(hh)") == "torch.HalfTensor"
    assert rt.eval("torch.type(hs)") == "torch.HalfStorage"
    assert rt.eval("hh[2]") == -2 and rt.eval("hs[3]") == 0.25
