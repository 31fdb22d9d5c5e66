"""gnuplot's splot, scatter3, raw commands, setterm and figprint on matplotlib.  Each drawing is
a real file; what it holds is read back from the real matplotlib figure that was saved."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError

pytest.importorskip("matplotlib")
PIL = pytest.importorskip("PIL.Image")

PNG = b"\x89PNG\r\n\x1a\n"


PACKAGE = "gnuplot"


@pytest.fixture()
def saved(monkeypatch):
    """The matplotlib figures gnuplot saves, in order (saving still happens)."""
    from luatorch.packages import gnuplot

    figs = []
    real = gnuplot.save

    def keep(fig, path, **kw):
        figs.append((fig, str(path)))
        real(fig, path, **kw)
    monkeypatch.setattr(gnuplot, "save", keep)
    return figs


def test_splot_matrix_default_grid(r, tmp_path, saved):
    path = tmp_path / "s.png"
    r.execute(f"""
        gnuplot.pngfigure('{path}')
        local x = torch.linspace(-1, 1, 6)
        gnuplot.splot(torch.ger(x, torch.linspace(0, 2, 4)))
        gnuplot.zlabel('height')
    """)
    assert path.read_bytes()[:8] == PNG
    fig, where = saved[-1]
    assert where == str(path)
    ax = fig.axes[0]
    assert ax.name == "3d" and ax.get_zlabel() == "height"
    segs = np.concatenate([np.asarray(s) for c in ax.collections for s in c._segments3d])
    # without x and y, x is the row number and y the column number, as Torch7's gnuplot
    assert segs[..., 0].min() == 1 and segs[..., 0].max() == 6
    assert segs[..., 1].min() == 1 and segs[..., 1].max() == 4
    z = np.outer(np.linspace(-1, 1, 6), np.linspace(0, 2, 4))
    assert segs[..., 2].min() == pytest.approx(z.min()) and \
        segs[..., 2].max() == pytest.approx(z.max())


def test_splot_named_surfaces_and_scatter3(r, tmp_path, saved):
    path = tmp_path / "two.png"
    r.execute(f"""
        gnuplot.pngfigure('{path}')
        local z = torch.rand(5, 5)
        gnuplot.splot({{'low', z}}, {{'high', z + 2}})
    """)
    ax = saved[-1][0].axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["low", "high"]
    r.execute(f"""
        gnuplot.pngfigure('{tmp_path / "p.png"}')
        local t = torch.linspace(0, 6, 20)
        gnuplot.scatter3({{'helix', torch.cos(t), torch.sin(t), t}})
    """)
    ax = saved[-1][0].axes[0]
    xs, ys, zs = ax.collections[0]._offsets3d
    assert len(xs) == 20 and np.allclose(np.asarray(zs), np.linspace(0, 6, 20))


def test_splot_errors(r):
    with pytest.raises(LuaError, match=r"\(command line\):1: gnuplot.splot: z is expected"):
        r.execute("gnuplot.splot(torch.ones(3))")
    with pytest.raises(LuaError, match="same size"):
        r.execute("gnuplot.splot(torch.ones(2, 2), torch.ones(2, 3), torch.ones(2, 2))")
    with pytest.raises(LuaError, match="must be 1D"):
        r.execute("gnuplot.scatter3(torch.ones(2, 2), torch.ones(2, 2), torch.ones(2, 2))")


def test_raw_translates_the_common_commands(r, tmp_path, saved, capfd):
    path = tmp_path / "raw.png"
    r.execute(f"""
        gnuplot.pngfigure('{path}')
        gnuplot.plot({{'High', torch.Tensor{{9, 10, 12, 15}}}},
                     {{'Low', torch.Tensor{{5, 5, 6, 7}}}})
        gnuplot.raw('set xtics ("Jan" 1, "Feb" 2, "Mar" 3, "Apr" 4)')
        gnuplot.raw("set title 'London'; set xrange [0:5]; set yrange [*:20]")
        gnuplot.raw('set key left bottom')
        gnuplot.raw('set logscale y')
        gnuplot.raw('set grid')
        gnuplot.raw('set xlabel "month"')
    """)
    ax = saved[-1][0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Jan", "Feb", "Mar", "Apr"]
    assert list(ax.get_xticks()) == [1, 2, 3, 4]
    assert ax.get_title() == "London" and ax.get_xlabel() == "month"
    assert ax.get_xlim() == (0, 5) and ax.get_ylim()[1] == 20
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
    assert ax.get_legend()._loc == 3                             # matplotlib's 'lower left'
    assert any(line.get_visible() for line in ax.get_xgridlines())
    assert "no matplotlib translation" not in capfd.readouterr().out
    r.execute("gnuplot.raw('unset key; unset logscale; set xtics 0.5')")
    ax = saved[-1][0].axes[0]
    assert ax.get_legend() is None and ax.get_yscale() == "linear"
    assert np.allclose(np.diff(ax.get_xticks()), 0.5)


def test_raw_untranslatable_warns_once_naming_it(r, tmp_path, capfd):
    r.execute(f"gnuplot.pngfigure('{tmp_path / 'w.png'}'); gnuplot.plot(torch.ones(3))")
    capfd.readouterr()
    for _ in range(3):
        r.execute("gnuplot.raw(\"plot 'data.txt' using 2:3 with labels\")")
        r.execute("gnuplot.raw('set palette defined (0 \"blue\", 1 \"red\")')")
    out = capfd.readouterr().out
    assert out.count("gnuplot.raw: 'plot' has no matplotlib translation here; ignored") == 1
    assert out.count("gnuplot.raw: 'set palette' has no matplotlib translation") == 1
    with pytest.raises(LuaError, match="a command string was expected"):
        r.execute("gnuplot.raw(3)")


def test_axis_keeps_a_range_given_as_empty_string(r, tmp_path, saved):
    r.execute(f"""
        gnuplot.pngfigure('{tmp_path / 'a.png'}')
        gnuplot.plot(torch.Tensor{{1, 4, 2}})
        gnuplot.axis{{0, 13, 0, 5}}
        gnuplot.axis{{'', 10, -1, ''}}
    """)
    ax = saved[-1][0].axes[0]
    assert ax.get_xlim() == (0, 10) and ax.get_ylim() == (-1, 5)


def test_setterm_and_figprint(r, tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    r.execute("gnuplot.closeall(); gnuplot.setterm('postscript eps enhanced color')"
              "; gnuplot.figure(); gnuplot.plot(torch.ones(3))")
    assert (tmp_path / "figure1.eps").read_bytes().startswith(b"%!PS-Adobe")
    r.execute("gnuplot.setterm('wxt'); gnuplot.figure(); gnuplot.plot(torch.ones(3))")
    assert (tmp_path / "figure2.png").read_bytes()[:8] == PNG
    assert "terminal 'wxt' draws PNG files here" in capfd.readouterr().out
    r.execute("gnuplot.figprint('copy.svg'); gnuplot.title('after')")
    assert b"<svg" in (tmp_path / "copy.svg").read_bytes()[:400]
    assert (tmp_path / "figure2.png").exists()
    with pytest.raises(LuaError, match="gnuplot does not seem to have this term"):
        r.execute("gnuplot.setterm('braille')")
    with pytest.raises(LuaError, match="only eps, png, pdf and svg"):
        r.execute("gnuplot.figprint('x.gif')")
    r.execute("gnuplot.setterm('png')")
    with pytest.raises(LuaError, match="does not exist"):
        r.execute(f"gnuplot.setgnuplotexe('{tmp_path}/no-gnuplot')")


def test_raw_terminal_and_output(r, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r.execute("gnuplot.closeall(); gnuplot.figure(); gnuplot.plot(torch.ones(3)); "
              "gnuplot.raw('set output \"mine.png\"'); gnuplot.plotflush(); gnuplot.closeall()")
    assert (tmp_path / "mine.png").read_bytes()[:8] == PNG


def test_file_figure_in_a_missing_folder_fails_as_torch7(r, tmp_path):
    with pytest.raises(LuaError, match=r"\(command line\):1: cannot save to .*nowhere/f.png: "
                                       r"directory does not exist"):
        r.execute(f"gnuplot.pngfigure('{tmp_path}/nowhere/f.png')")
    assert not (tmp_path / "nowhere").exists()


def test_plot_style_clauses_and_multicolumn_data(r, tmp_path, saved, capfd):
    # the filled-band example of gnuplot's plotline doc: a 3-column matrix under
    # 'with filledcurves ...' and curves 'with lines ls 1'
    r.execute(f"""
        gnuplot.pngfigure('{tmp_path / 'band.png'}')
        local x = torch.linspace(-5, 5, 50)
        local y = torch.sin(x)
        local yy = torch.cat(torch.cat(x, y - 0.3, 2), y + 0.3, 2)
        gnuplot.plot({{yy, 'with filledcurves fill transparent solid 0.5'}},
                     {{x, y, 'with lines ls 1'}}, {{'pts', x, y, 'points'}})
    """)
    ax = saved[-1][0].axes[0]
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 0].min() == pytest.approx(-5) and band[:, 1].max() == pytest.approx(1.3,
                                                                                      abs=0.01)
    lines = ax.get_lines()
    assert len(lines) == 2 and lines[0].get_linestyle() == "-" and lines[1].get_marker() == "+"
    assert "no matplotlib translation" not in capfd.readouterr().out
    # a matrix of 4 columns is x and three curves; an unknown style is named once
    r.execute(f"""
        gnuplot.pngfigure('{tmp_path / 'cols.png'}')
        local m = torch.rand(6, 4)
        gnuplot.plot({{'cols', m, 'with steps'}})
        gnuplot.plot({{'cols', m, 'with steps'}})
    """)
    ax = saved[-1][0].axes[0]
    assert len(ax.get_lines()) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cols"]
    out = capfd.readouterr().out
    assert out.count("gnuplot.plot: style 'with steps' has no matplotlib translation") == 1
