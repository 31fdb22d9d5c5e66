"""gnuplot on matplotlib: figures are real PNG / EPS files, drawn from what the script asked."""

from __future__ import annotations

import os

import numpy as np
import pytest

from luatorch.runtime import LuaError, Runtime

pytest.importorskip("matplotlib")
PIL = pytest.importorskip("PIL.Image")

PNG = b"\x89PNG\r\n\x1a\n"


PACKAGE = "gnuplot"


def _pixels(path) -> np.ndarray:
    with PIL.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_pngfigure_plot_plotflush(r, tmp_path, capfd):
    path = tmp_path / "loss.png"
    r.execute(f"""
        gnuplot.closeall()
        gnuplot.pngfigure('{path}')
        gnuplot.plot({{'train', torch.range(1, 10), torch.range(1, 10):pow(-1), '-'}},
                     {{'valid', torch.range(1, 10):mul(0.05), '+'}})
        gnuplot.xlabel('epoch'); gnuplot.ylabel('loss'); gnuplot.title('loss')
        gnuplot.plotflush()
    """)
    assert path.read_bytes()[:8] == PNG
    out = capfd.readouterr().out
    assert out.count("figure drawn into " + str(path)) == 1     # said once, not per redraw
    px = _pixels(path)
    assert px.shape[0] > 100 and px.shape[1] > 100
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 4        # curves, not a blank page


def test_plot_forms_draw_different_pictures(r, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    r.execute(f"""
        gnuplot.pngfigure('{a}'); gnuplot.plot(torch.Tensor{{1, 5, 2}})
        gnuplot.pngfigure('{b}'); gnuplot.plot(torch.Tensor{{1, 2, 3}}, torch.Tensor{{5, 1, 5}},
                                               '+')
    """)
    assert not np.array_equal(_pixels(a), _pixels(b))


def test_epsfigure_writes_postscript(r, tmp_path):
    path = tmp_path / "fig.eps"
    r.execute(f"gnuplot.epsfigure('{path}'); gnuplot.plot(torch.Tensor{{3, 1, 2}}, '|')")
    assert path.read_bytes().startswith(b"%!PS-Adobe")


def test_default_terminal_writes_figure_png_in_cwd(r, tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    n = r.execute("gnuplot.closeall(); local n = gnuplot.figure(); gnuplot.plot(torch.ones(3)); "
                  "return n")
    assert n == 1
    assert (tmp_path / "figure1.png").read_bytes()[:8] == PNG
    assert str(tmp_path / "figure1.png") in capfd.readouterr().out


def test_hist_counts_as_histc(r, tmp_path):
    path = tmp_path / "h.png"
    counts = r.execute(f"""
        gnuplot.pngfigure('{path}')
        return gnuplot.hist(torch.Tensor{{1, 1, 2, 3, 3, 3, 4}}, 3):totable()
    """)
    assert [counts[i] for i in range(1, 4)] == [2, 1, 4]      # histc over [1, 4] in 3 bins
    assert path.read_bytes()[:8] == PNG


def test_imagesc_axis_grid_movelegend(r, tmp_path):
    path = tmp_path / "m.png"
    r.execute(f"""
        gnuplot.pngfigure('{path}')
        gnuplot.imagesc(torch.range(1, 12):view(3, 4), 'gray')
    """)
    gray = _pixels(path)
    r.execute(f"""
        gnuplot.pngfigure('{path}')
        gnuplot.plot({{'a', torch.ones(4)}})
        gnuplot.axis{{0, 10, -1, 2}}; gnuplot.grid(true); gnuplot.movelegend('left', 'top')
        gnuplot.axis('auto')
    """)
    assert path.read_bytes()[:8] == PNG
    assert gray.shape != () and not np.array_equal(gray, _pixels(path))


def test_bad_arguments(r):
    with pytest.raises(LuaError, match="movelegend expects"):
        r.execute("gnuplot.movelegend('up', 'top')")
    with pytest.raises(LuaError, match="4 components"):
        r.execute("gnuplot.axis{1, 2}")
    with pytest.raises(LuaError, match="2D tensor"):
        r.execute("gnuplot.imagesc(torch.ones(3))")


def test_without_matplotlib_one_line_naming_the_extra(r, monkeypatch, tmp_path, capfd):
    from luatorch.packages import plotting

    fresh = Runtime()
    monkeypatch.setattr(plotting, "_AVAILABLE", False)
    monkeypatch.chdir(tmp_path)
    fresh.execute("require 'gnuplot'; gnuplot.plot(torch.ones(3)); gnuplot.title('x')")
    out = capfd.readouterr().out
    assert out.count('gnuplot requires matplotlib: pip install "luatorch[plot]"') == 1
    assert os.listdir(tmp_path) == []
