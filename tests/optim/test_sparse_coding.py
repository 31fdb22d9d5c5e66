"""What optim's test_fista.lua needs beside optim.FistaLS: kex's Tensor:shrinkage,
unsup.LinearFistaL1 and gnuplot's figure/plot/title (drawn with matplotlib when present)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from luatorch.runtime import LuaError, Runtime

from .test_global import _fista_reference, _lua_matrix, _soft, _vals


@pytest.fixture(scope="module")
def r() -> Runtime:
    rt = Runtime()
    rt.execute("require 'unsup'; require 'gnuplot'")
    return rt


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_shrinkage_matches_numpy(r, ttype):
    v = np.array([-3.0, -1.0, -0.25, 0.0, 0.5, 1.0, 2.5])
    out, same, neg_zero = r.execute(f"""
        local x = torch.{ttype}Tensor({_lua_matrix(v)})
        local y = x:shrinkage(0.75)
        return x:totable(), y == x, 1 / x[3]
    """)
    assert _vals(out) == pytest.approx(_soft(v, 0.75).tolist())
    assert same
    assert neg_zero > 0                      # 0, not -0, between -lambda and lambda


def test_shrinkage_checks_lambda(r):
    with pytest.raises(LuaError, match="non-negative"):
        r.execute("torch.Tensor(3):shrinkage(-1)")
    assert _vals(r.execute("return torch.Tensor{-2, 2}:shrinkage(0):totable()")) == [-2, 2]


def test_linear_fista_l1_codes_like_numpy(r):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(6)
    code, F, W, L = r.execute(f"""
        torch.manualSeed(1)
        local m = unsup.LinearFistaL1(6, 10, 0.2)
        m:normalize()
        local F = m:updateOutput(torch.Tensor({_lua_matrix(x)}))
        return m.code:totable(), F, m.D.weight:totable(), m.params.L
    """)
    W = np.array([_vals(row) for row in _vals(W)])
    assert np.allclose(np.linalg.norm(W, axis=0), 1)
    xref, href = _fista_reference(W, x, 0.2, True)
    assert np.allclose(_vals(code), xref, atol=1e-9)
    assert F == pytest.approx(href[-1][2], rel=1e-9)
    # L grew from 0.1 during the call, so it is kept (a call that did not grow it halves it)
    assert L == pytest.approx(href[-1][1], rel=1e-12)


def test_linear_fista_l1_is_a_module(r):
    nparams, gw_nonzero, gb = r.execute("""
        torch.manualSeed(2)
        local m = unsup.LinearFistaL1(4, 6, 0.1)
        local x = torch.randn(4)
        m:zeroGradParameters()
        m:updateOutput(x)
        m:accGradParameters(x)
        local p = m:parameters()
        return #p, m.D.gradWeight:norm() > 0, m.D.gradBias:norm()
    """)
    assert nparams == 2 and gw_nonzero and gb == 0
    assert r.execute("return torch.isTypeOf(unsup.LinearFistaL1(2, 3, 0.1), 'nn.Module')")


def test_gnuplot_without_matplotlib_says_so_once(r, monkeypatch, tmp_path, capfd):
    from luatorch.packages import plotting

    monkeypatch.setattr(plotting, "_AVAILABLE", False)
    monkeypatch.chdir(tmp_path)
    n1, n2 = r.execute("""
        gnuplot.closeall()
        local a = gnuplot.figure()
        gnuplot.plot({'a', torch.range(1, 3), torch.Tensor{1, 4, 9}, '+'}, {'b', torch.ones(3)})
        gnuplot.title('t')
        return a, gnuplot.figure()
    """)
    assert (n1, n2) == (1, 2)
    assert capfd.readouterr().out.count("gnuplot requires matplotlib") == 1
    assert os.listdir(tmp_path) == []


def test_gnuplot_plot_checks_sizes(r):
    with pytest.raises(LuaError, match="different sizes"):
        r.execute("gnuplot.plot(torch.ones(3), torch.ones(4))")


def test_gnuplot_draws_png(r, tmp_path):
    pytest.importorskip("matplotlib")
    path = str(tmp_path / "fig.png")
    r.execute(f"""
        gnuplot.pngfigure('{path}')
        gnuplot.plot({{'code', torch.linspace(1, 5, 5), torch.Tensor{{0, 1, 0, 2, 0}}, '+'}})
        gnuplot.plot(torch.Tensor{{{{1, 2}}, {{2, 3}}, {{3, 5}}}}, '+-')
        gnuplot.xlabel('x'); gnuplot.grid(true)
    """)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
