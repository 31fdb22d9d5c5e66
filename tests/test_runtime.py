"""The Lua engine: LuaJIT 2.1 with Lua 5.1 semantics, package paths, no back door to Python."""

from __future__ import annotations

import pytest

from luatorch.runtime import LuaError, Runtime


def test_lua51_semantics(rt):
    assert str(rt.eval("jit.version")).startswith("LuaJIT 2.1")
    assert rt.eval("select('#', unpack({1, 2, 3}))") == 3
    assert rt.eval("loadstring('return 6 * 7')()") == 42
    assert rt.eval("bit.band(12, 10)") == 8
    assert rt.eval("type(setfenv)") == "function"
    assert rt.eval("type(require('ffi').cast)") == "function"


def test_no_python_back_door(rt):
    assert rt.eval("python") is None
    assert rt.eval("type(eval)") == "nil"


def test_lua_path_and_script_dir(tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "extra.lua").write_text("return {answer = 42}\n")
    (tmp_path / "local_mod.lua").write_text("return {name = 'local'}\n")
    monkeypatch.setenv("LUA_PATH", str(lib / "?.lua") + ";;")
    r = Runtime(script_dir=str(tmp_path))
    assert r.eval("require('extra').answer") == 42
    assert r.eval("require('local_mod').name") == "local"


def test_lua_path_precedence(tmp_path, monkeypatch):
    """LUA_PATH comes before the script's folder and LuaJIT's default, after our own packages
    (a leftover Torch7 install's torch/init.lua must not replace ours)."""
    user = tmp_path / "user"
    (user / "torch").mkdir(parents=True)
    (user / "torch" / "init.lua").write_text("error('Torch7 C library needed')\n")
    (user / "shadow.lua").write_text("return 'from LUA_PATH'\n")
    script = tmp_path / "script"
    script.mkdir()
    (script / "shadow.lua").write_text("return 'from the script folder'\n")
    monkeypatch.setenv("LUA_PATH", f"{user}/?.lua;{user}/?/init.lua")
    r = Runtime(script_dir=str(script))
    assert r.eval("require('shadow')") == "from LUA_PATH"
    assert r.eval("torch.Tensor(2):nElement()") == 2
    monkeypatch.delenv("LUA_PATH")
    assert Runtime(script_dir=str(script)).eval("require('shadow')") == "from the script folder"


def test_python_exception_becomes_torch_style_lua_error(rt):
    with pytest.raises(LuaError) as ei:
        rt.execute("local a = torch.Tensor(2, 3)\nlocal b = torch.mm(a, a)", "@net.lua")
    assert ei.value.message.startswith("net.lua:2: size mismatch")
    # and pcall hands scripts a string with the position, as Torch7 did
    msg = rt.execute("local ok, e = pcall(torch.mm, torch.Tensor(2, 3), torch.Tensor(2, 3))\n"
                     "return e", "@net.lua")
    assert isinstance(msg, str) and msg.startswith("net.lua:1: size mismatch")


def test_xpcall_handlers_get_torch_style_strings(rt):
    """Regression: torch.Tester's xpcall handler saw Python's exception text."""
    msg = rt.execute("local ok, e = xpcall(function() return torch.mm(torch.Tensor(2, 3), "
                     "torch.Tensor(2, 3)) end, function(e) return e end)\nreturn e", "@net.lua")
    assert isinstance(msg, str) and msg.startswith("net.lua:1: size mismatch")
    assert rt.eval("select(2, xpcall(function() error({code = 7}) end, "
                   "function(e) return e end)).code") == 7
    assert rt.eval("select('#', xpcall(function(a, b) return a + b end, print, 1, 2))") == 2


def test_error_tables_pass_through_pcall(rt):
    assert rt.eval("select(2, pcall(error, {code = 7})).code") == 7


def test_default_path_keeps_current_directory(rt):
    # regression: assigning package.path dropped LuaJIT's default './?.lua', which th had
    assert "./?.lua" in rt.eval("package.path")
