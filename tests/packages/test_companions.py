"""paths, sys, xlua, lapp, lfs, penlight's path and trepl, against their documented behaviour."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from luatorch.runtime import LuaError, Runtime


@pytest.fixture(scope="module")
def rt() -> Iterator[Runtime]:
    """One runtime with trepl's prelude, as th gave scripts."""
    runtime = Runtime()
    runtime.require("trepl")
    yield runtime


def test_paths_is_global_after_torch() -> None:
    assert Runtime().eval("type(paths.concat)") == "function"


def test_paths_names(rt: Runtime) -> None:
    assert rt.eval("paths.basename('/a/b/c.lua')") == "c.lua"
    assert rt.eval("paths.basename('/a/b/c.lua', 'lua')") == "c"
    assert rt.eval("paths.dirname('/a/b/c.lua')") == "/a/b"
    assert rt.eval("paths.extname('/a/b/c.t7')") == "t7"
    assert rt.eval("paths.extname('/a/b/c')") is None
    assert rt.eval("paths.concat('/a', 'b', '../c')") == "/a/c"
    assert rt.eval("paths.concat('/a', '/b')") == "/b"
    assert rt.eval("paths.concat('x')") == os.path.join(os.getcwd(), "x")


def test_paths_filesystem(rt: Runtime, tmp_path: Path) -> None:
    d = str(tmp_path)
    (tmp_path / "f.txt").write_text("hi")
    rt.execute(f"D = '{d}'")
    assert rt.eval("paths.mkdir(paths.concat(D, 'sub'))") is True
    assert rt.eval("paths.dirp(paths.concat(D, 'sub')) and paths.filep(paths.concat(D, 'f.txt'))")
    assert not rt.eval("paths.filep(paths.concat(D, 'sub'))")
    names = rt.execute("local t = {} for f in paths.files(D) do t[#t+1] = f end "
                       "table.sort(t) return table.concat(t, ',')")
    assert names == "f.txt,sub"
    assert rt.execute("local t = {} for f in paths.iterdirs(D) do t[#t+1] = f end "
                      "return table.concat(t, ',')") == "sub"
    assert rt.execute("local t = {} for f in paths.iterfiles(D) do t[#t+1] = f end "
                      "return table.concat(t, ',')") == "f.txt"
    assert rt.eval("#paths.dir(D)") == 4  # with . and ..
    assert rt.eval("paths.rmall(paths.concat(D, 'sub'), 'no')") is False
    assert rt.eval("paths.rmall(paths.concat(D, 'sub'), 'yes')") is True
    assert not (tmp_path / "sub").exists()
    assert rt.eval("paths.findprogram('sh')") is not None
    name = rt.eval("paths.tmpname()")
    assert os.path.isfile(name)
    os.remove(name)


def test_sys(rt: Runtime, tmp_path: Path) -> None:
    assert rt.execute("return (sys.execute('echo hello'))") == "hello"
    assert rt.eval("sys.uname()") == "linux"
    assert rt.execute("sys.tic() sys.sleep(0.01) return sys.toc()") >= 0.01
    assert rt.eval("sys.COLORS.red") == "\x1b[0;31m"
    assert rt.eval("sys.colors.red('x'):find('x') ~= nil")


def test_lfs(rt: Runtime, tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(b"12345")
    rt.execute(f"D = '{tmp_path}'")
    assert rt.eval("lfs.attributes(D .. '/f.bin').size") == 5
    assert rt.eval("lfs.attributes(D .. '/f.bin', 'mode')") == "file"
    assert rt.eval("lfs.attributes(D, 'mode')") == "directory"
    assert rt.eval("lfs.attributes(D .. '/none') == nil")
    assert rt.eval("select(2, lfs.mkdir(D))") == "File exists"
    assert rt.eval("lfs.mkdir(D .. '/new')") is True
    assert rt.eval("lfs.touch(D .. '/f.bin', 1000, 2000)") is True
    assert (tmp_path / "f.bin").stat().st_mtime == 2000
    assert rt.execute("local n = 0 for f in lfs.dir(D) do n = n + 1 end return n") == 4
    assert rt.eval("lfs.currentdir()") == os.getcwd()


def test_lfs_global_when_a_library_requires_it(tmp_path: Path) -> None:
    """LuaFileSystem under Lua 5.1 set the global `lfs`: with real penlight on LUA_PATH (its
    path module requires lfs locally) char-rnn's sample.lua used the global and failed."""
    (tmp_path / "pl").mkdir()
    (tmp_path / "pl" / "init.lua").write_text("local lfs = require 'lfs'\nreturn {}\n")
    script = tmp_path / "main.lua"
    script.write_text("print(type(lfs), lfs == package.loaded.lfs)")
    env = dict(os.environ, LUA_PATH=f"{tmp_path}/?.lua;{tmp_path}/?/init.lua;;")
    r = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", str(script)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["table", "true"]


def test_penlight_path(rt: Runtime, tmp_path: Path) -> None:
    assert rt.eval("path.join('a', 'b', 'c.t7')") == "a/b/c.t7"
    assert rt.eval("path.join('a', '/b')") == "/b"
    assert rt.execute("return {path.splitext('d/x.tar.gz')}") is not None
    assert rt.execute("local a, b = path.splitext('d/x.tar.gz') return a .. '|' .. b") == \
        "d/x.tar|.gz"
    assert rt.execute("local a, b = path.splitext('d/.rc') return a .. '|' .. b") == "d/.rc|"
    assert rt.eval("path.basename('/a/b.txt')") == "b.txt"
    assert rt.eval("path.dirname('/a/b.txt')") == "/a"
    assert rt.eval("path.abspath('/a/./b/../c')") == "/a/c"
    assert rt.eval(f"path.exists('{tmp_path}') ~= false and path.isdir('{tmp_path}')")
    assert rt.eval("path.exists('/surely/not/here')") is False


LAPP = """[[
   -b,--batchSize  (default 128)    batch size
   -s,--save       (default "logs") subdirectory
   --lr            (number)         learning rate
   --cuda                           use the GPU
   --mode          (optional string) mode
]]"""


def test_lapp(rt: Runtime) -> None:
    opt = rt.execute(f"return lapp({LAPP}, {{'--lr', '0.5', '-s', 'out', '--cuda'}})")
    assert (opt.batchSize, opt.save, opt.lr, opt.cuda, opt.mode) == (128, "out", 0.5, True, None)
    opt = rt.execute(f"return lapp({LAPP}, {{'--lr=2', '-b64'}})")
    assert (opt.batchSize, opt.lr, opt.cuda) == (64, 2, False)


def lua_script(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess:
    """Run a script through `luatorch run` from its own folder."""
    script = tmp_path / "main.lua"
    script.write_text(text)
    return subprocess.run([sys.executable, "-m", "luatorch.cli", "run", str(script), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_lapp_help_and_errors(tmp_path: Path) -> None:
    r = lua_script(tmp_path, f"opt = lapp{LAPP}\nprint(opt.lr)", "--help")
    assert r.returncode == 0 and "batch size" in r.stdout
    r = lua_script(tmp_path, f"opt = lapp{LAPP}\nprint(opt.lr)")
    assert r.returncode == 1 and "main.lua: missing required parameter: lr" in r.stderr
    r = lua_script(tmp_path, f"opt = lapp{LAPP}\nprint(opt.lr)", "--lr", "x")
    assert r.returncode == 1 and "unable to convert to number: x" in r.stderr


def test_th_prelude(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helper.lua").write_text("return {answer = 42}")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "init.lua").write_text("return 'pkg'")
    text = ("print(type(paths), type(sys), type(xlua), type(lapp), type(path), type(lfs))\n"
            "print(require('./lib/helper').answer, require('pkg'))\n"
            "print({a = {b = 1}})\n"
            "print(require('trepl.colorize').red('r'))\n")
    r = lua_script(tmp_path, text)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["table"] * 6
    assert lines[1] == "42\tpkg"
    assert lines[2:7] == ["{", "  a : ", "    {", "      b : 1", "    }"]
    assert "\x1b[0;31mr\x1b[0m" in r.stdout


def test_xlua(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    assert rt.eval("xlua.formatTime(0.25)") == "250ms"
    assert rt.eval("xlua.formatTime(3725)") == "1h2m"
    assert rt.eval("xlua.require('surely_absent_pkg')") is False
    assert rt.eval("xlua.require('paths') == paths")
    # as xlua: the table of arguments (by name and position) first, then each value
    assert rt.execute("local function f(...) return xlua.unpack({...}, 'f', 'doc', "
                      "{arg='a', type='number', req=true}, {arg='b', default=7}, "
                      "{arg='c', defaulta='a'}) end "
                      "local t, a, b, c = f{a = 1} local _, d, e, g = f(2, 3, 4) "
                      "return a + b + c + d + e + g, t.a, t[2], t.c, "
                      "tostring(t.usage):find('NAME:') ~= nil") == (18, 1, 7, 1, True)
    with pytest.raises(LuaError, match="<f> missing argument: a"):
        rt.execute("xlua.unpack({{}}, 'f', 'doc', {arg='a', req=true})")
    with pytest.raises(LuaError, match="<f> arguments expected"):
        rt.execute("xlua.unpack({}, 'f', 'doc', {arg='a', default=1})")
    assert rt.execute("local o = {} xlua.unpack_class(o, {{n = 3}}, 'C', 'doc', "
                      "{arg='n'}, {arg='m', default=2}) return o.n, o.m") == (3, 2)


def test_dok_is_global_after_image(tmp_path: Path) -> None:
    """Torch7's image loaded dok, and scripts (image's own tests) used its global."""
    pytest.importorskip("PIL")
    r = lua_script(tmp_path, "require 'image'\n"
                   "local _, s, g = dok.unpack({5}, 'f', 'doc', {arg='size'}, "
                   "{arg='sigma', default=0.25})\nprint(s, g)\n"
                   "print(pcall(dok.error, 'bad', 'image.f'))")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["5", "0.25"]
    assert lines[1].startswith("false") and lines[1].endswith("<image.f> bad")


def test_xlua_progress_plain_into_a_file(tmp_path: Path) -> None:
    r = lua_script(tmp_path, "for i = 1, 100 do xlua.progress(i, 100) end")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "\r" not in r.stdout and len(lines) == 10
    assert lines[0].startswith(" [====>" + "." * 45 + " 10/100 ] ETA: ")
    assert lines[-1].startswith(" [" + "=" * 50 + " 100/100 ] Tot: ")


def test_xlua_progress_redrawn_on_a_terminal(tmp_path: Path) -> None:
    import pty

    script = tmp_path / "p.lua"
    script.write_text("for i = 1, 20 do xlua.progress(i, 20) end")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "luatorch.cli", "run", str(script)],
                            stdout=slave, stderr=slave, cwd=tmp_path)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(master)
    text = out.decode()
    assert text.count("\r") >= 20 and "20/20 ] Tot:" in text


def test_paths_thisfile_and_dofile(rt: Runtime, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.lua").write_text("return paths.thisfile(), paths.thisfile('x.t7'), "
                                            "paths.dofile('other.lua')")
    (tmp_path / "sub" / "other.lua").write_text("return 'other'")
    here = str(tmp_path / "sub")
    assert rt.execute(f"return dofile('{here}/a.lua')") == (f"{here}/a.lua", f"{here}/x.t7",
                                                            "other")


OPTION_PARSER = """
local op = xlua.OptionParser('%prog [options] data')
op:option{'-l', '--learningRate', action = 'store', dest = 'lr', default = 0.1,
          help = 'learning rate'}
op:option{'-b', '--batch', dest = 'batch', help = 'batch size', req = true}
op:option{'--cuda', action = 'store_true', dest = 'cuda', help = 'use the GPU'}
local opt, rest = op:parse()
print(opt.lr, opt.batch, opt.cuda, opt.__main__, #rest, rest[1])
print(op:tostring(true))
"""


def test_xlua_option_parser(tmp_path: Path) -> None:
    r = lua_script(tmp_path, OPTION_PARSER, "--learningRate=0.5", "-b", "32", "--cuda", "d.t7")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["0.5\t32\ttrue\ttrue\t1\td.t7",
                                     "-l=0.5,-b=32,--cuda=true"]
    r = lua_script(tmp_path, OPTION_PARSER, "-b", "8")
    assert r.stdout.splitlines()[0] == "0.1\t8\tnil\ttrue\t0\tnil"
    r = lua_script(tmp_path, OPTION_PARSER, "-h")
    assert r.returncode == 0
    assert r.stdout.splitlines()[:4] == [f"Usage: {tmp_path}/main.lua [options] data", "",
                                         "Options:",
                                         "  -h, --help                show this help message "
                                         "and exit"]
    assert "  -l LR, --learningRate=LR  learning rate [default = 0.1]" in r.stdout
    assert "  -b BATCH, --batch=BATCH   batch size [REQUIRED]" in r.stdout
    r = lua_script(tmp_path, OPTION_PARSER, "--bogus", "-b", "1")
    assert r.returncode == 1 and r.stderr.startswith("invalid option --bogus")
    r = lua_script(tmp_path, OPTION_PARSER)
    assert r.returncode == 1 and "option --batch requires an argument" in r.stderr
    r = lua_script(tmp_path, OPTION_PARSER, "-b")
    assert r.returncode == 1 and "option requires an argument -b" in r.stderr
