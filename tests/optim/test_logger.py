"""optim.Logger: the text file it writes, and the PNG plot when matplotlib is present."""

from __future__ import annotations

import importlib.util

import pytest

from luatorch.runtime import LuaError, Runtime

from .helpers import runtime

HAVE_MPL = importlib.util.find_spec("matplotlib") is not None


@pytest.fixture(scope="module")
def r() -> Runtime:
    return runtime()


def lua_path(p) -> str:
    return str(p).replace("\\", "/")


def test_set_names_then_rows(r, tmp_path):
    path = tmp_path / "acc.log"
    r.execute(f"""
        local logger = optim.Logger('{lua_path(path)}')
        logger:setNames{{'Training acc.', 'Test acc.'}}
        logger:add{{70, 59}}
        logger:add{{76.5, 8e-3}}
        logger:add{{-1.25, 'n/a'}}
        logger.file:close()
    """)
    assert path.read_text() == (
        "Training acc.\tTest acc.\t\n"
        " 7.0000e+01\t 5.9000e+01\t\n"
        " 7.6500e+01\t 8.0000e-03\t\n"
        "-1.2500e+00\tn/a\t\n"
    )


def test_named_symbols_on_first_add(r, tmp_path):
    path = tmp_path / "loss.log"
    keys = r.execute(f"""
        logger = optim.Logger('{lua_path(path)}')
        logger:add{{['loss'] = 0.5}}
        logger:add{{['loss'] = 0.25}}
        logger.file:close()
        return #logger.symbols.loss
    """)
    assert keys == 2
    assert path.read_text() == "loss\t\n 5.0000e-01\t\n 2.5000e-01\t\n"


def test_creates_the_folder(r, tmp_path):
    path = tmp_path / "deep" / "er" / "run.log"
    r.execute(f"""
        local logger = optim.Logger('{lua_path(path)}')
        logger:setNames{{'a'}}
        logger:add{{1}}
        logger.file:close()
    """)
    assert path.read_text() == "a\t\n 1.0000e+00\t\n"


def test_style_and_options(r, tmp_path):
    path = tmp_path / "s.log"
    styles = r.execute(f"""
        local logger = optim.Logger('{lua_path(path)}')
        logger:setNames{{'a', 'b'}}
        assert(logger:style{{'+-', {{'-', '.'}}}} == logger)
        logger:setlogscale(true)
        logger:display(false)
        assert(logger.logscale == true and logger.showPlot == false)
        logger.file:close()
        return logger.styles[1][1] .. logger.styles[2][1] .. logger.styles[2][2]
    """)
    assert styles == "+--."


def test_rejects_other_values(r, tmp_path):
    path = tmp_path / "bad.log"
    with pytest.raises(LuaError, match="can only log numbers and strings"):
        r.execute(f"""
            local logger = optim.Logger('{lua_path(path)}')
            logger:setNames{{'a'}}
            logger:add{{{{}}}}
        """)


def test_plot(r, tmp_path, capfd):
    path = tmp_path / "curve.log"
    r.execute(f"""
        local logger = optim.Logger('{lua_path(path)}')
        logger:setNames{{'train', 'test'}}
        for i = 1, 10 do logger:add{{1 / i, 1.5 / i}} end
        logger:style{{'+-', '~'}}
        logger:plot()
        logger:plot('test')
        logger.file:close()
    """)
    png = tmp_path / "curve.log.png"
    if HAVE_MPL:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # and the .eps file Torch7's Logger wrote, which scripts test for
        assert (tmp_path / "curve.log.eps").read_bytes().startswith(b"%!PS-Adobe")
    else:
        assert not png.exists()
        out = capfd.readouterr().out
        assert out.count("matplotlib") == 1      # one notice per logger, then silence
