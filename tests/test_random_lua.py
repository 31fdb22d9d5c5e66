"""The Lua-side random API gives Torch7's numbers for the same seed."""

from __future__ import annotations

import numpy as np

from tests.conftest import arr


def test_torch7_reference_numbers(rt):
    rt.execute("torch.manualSeed(1); a = torch.rand(3)")
    np.testing.assert_allclose(arr(rt, "a"), [0.417021998437122, 0.997184808133170,
                                              0.720324489288032], rtol=0, atol=1e-15)
    rt.execute("torch.manualSeed(1); b = torch.randn(3)")
    np.testing.assert_allclose(arr(rt, "b"), [-2.971829030930406, 1.706951063411611,
                                              -0.430498971038916], rtol=0, atol=1e-14)
    rt.execute("torch.manualSeed(1); p = torch.randperm(5)")
    np.testing.assert_array_equal(arr(rt, "p"), [1, 5, 3, 4, 2])
    assert rt.eval("torch.type(p)") == "torch.DoubleTensor"
    rt.execute("torch.manualSeed(1)")
    assert rt.eval("torch.random()") == 1791095845
    assert rt.eval("torch.initialSeed()") == 1


def test_generators_and_state(rt):
    rt.execute("""
      g = torch.Generator()
      torch.manualSeed(g, 5)
      x = torch.Tensor(4):uniform(g, -1, 1)
      st = torch.getRNGState(g)
      y1 = torch.rand(g, 2, 2)
      torch.setRNGState(g, st)
      y2 = torch.rand(g, 2, 2)
      torch.manualSeed(5)
      z = torch.Tensor(4):uniform(-1, 1)
      m = torch.multinomial(torch.Tensor({0, 0, 1}), 4, true)
      b = torch.Tensor(1000):bernoulli(0.25):sum()
    """)
    np.testing.assert_array_equal(arr(rt, "y1"), arr(rt, "y2"))
    np.testing.assert_array_equal(arr(rt, "x"), arr(rt, "z"))
    np.testing.assert_array_equal(arr(rt, "m"), [3, 3, 3, 3])
    assert rt.eval("torch.type(m)") == "torch.LongTensor"
    assert rt.eval("torch.type(st)") == "torch.ByteTensor"


def test_scalar_draws(rt):
    rt.execute("torch.manualSeed(1)")
    u = rt.eval("torch.uniform()")
    assert abs(u - 0.417021998437122) < 1e-15
    v = rt.eval("torch.random(10)")
    assert 1 <= v <= 10
    assert 3 <= rt.eval("torch.random(3, 4)") <= 4
    assert rt.eval("torch.normal(0, 1)") != 0
