"""tds: Hash, Vec and AtomicCounter with Lua's operators, Torch7's printing and its
serialized form."""

from __future__ import annotations

import pytest

from luatorch.runtime import LuaError, Runtime

PACKAGE = "tds"


@pytest.fixture(autouse=True)
def _tds_global(r: Runtime) -> None:
    """tds makes no global (scripts write `local tds = require 'tds'`); the tests want one."""
    r.execute("tds = require 'tds'")


def test_hash_operators_and_nesting(r: Runtime) -> None:
    r.execute("""
      h = tds.Hash({a = 1, b = {4, 5}, c = {x = 'y'}})
      h[7] = torch.range(1, 3)
      h.a = nil
      keys = {}
      for k, v in pairs(h) do keys[#keys + 1] = tostring(k) .. '=' .. torch.type(v) end
      table.sort(keys)
    """)
    assert r.eval("#h") == 3
    assert list(r.eval("keys").values()) == ["7=torch.DoubleTensor", "b=tds.Vec", "c=tds.Hash"]
    assert r.eval("h.b[2]") == 5 and r.eval("h.c.x") == "y" and r.eval("h.missing") is None
    assert r.eval("tostring(tds.Hash({z = 1, a = 'b'}))") == "tds.Hash[2]{\na : b\nz : 1\n}"


def test_vec_methods(r: Runtime) -> None:
    r.execute("""
      v = tds.Vec(3, 1, 2)
      v:insert('x')            -- at the end
      v:insert(1, 'first')
      v:remove(2)              -- the 3
      sizes = {#v}
      v:resize(6)
      sizes[2] = #v
      v:resize(3)
      w = tds.Vec({5, 3, 9, 1})
      w:sort()
      down = tds.Vec({5, 3, 9, 1})
      down:sort(function(a, b) return a > b end)
      seen = {}
      for i, x in ipairs(tds.Vec({1, nil, 3})) do seen[#seen + 1] = i .. ':' .. tostring(x) end
    """)
    assert list(r.eval("sizes").values()) == [4, 6]
    assert r.eval("v:concat(',')") == "first,1,2"
    assert r.eval("w:concat(' ')") == "1 3 5 9" and r.eval("down:concat(' ', 2, 3)") == "5 3"
    assert r.eval("torch.type(w:concatstorage('-'))") == "torch.CharStorage"
    assert r.eval("w:concatstorage('-'):string()") == "1-3-5-9"
    assert list(r.eval("seen").values()) == ["1:1", "2:nil", "3:3"]


def test_round_trip_through_torch_serialization(r: Runtime, tmp_path) -> None:
    path = tmp_path / "d.t7"
    r.execute(f"""
      local d = tds.Vec(4, 5, torch.range(1, 3), tds.Hash({{foo = 'bar'}}), 'hello')
      d[7] = true
      torch.save('{path}', {{data = d, count = tds.AtomicCounter()}})
      back = torch.load('{path}')
    """)
    assert r.eval("torch.type(back.data)") == "tds.Vec" and r.eval("#back.data") == 7
    assert r.eval("back.data[3]:sum()") == 6 and r.eval("back.data[4].foo") == "bar"
    assert r.eval("back.data[6]") is None and r.eval("back.data[7]") is True
    assert r.eval("back.count:get()") == 0
    # Torch7's layout: class name, version 0, then the size as a long and each element
    raw = path.read_bytes()
    assert b"tds.Vec" in raw and b"V 0" in raw


def test_bad_elements_and_keys_fail_clearly(r: Runtime) -> None:
    with pytest.raises(LuaError, match=r"user.lua:1: tds: value of type <function> cannot be "
                                      r"stored"):
        r.execute("local h = tds.Hash() h.f = function() end", "@user.lua")
    with pytest.raises(LuaError, match="positive number expected as key"):
        r.execute("local v = tds.Vec() v[0] = 1")
    with pytest.raises(LuaError, match="invalid key \\(number\\) or method name"):
        r.execute("return tds.Vec().nope")
    with pytest.raises(LuaError, match="hash index is nil"):
        r.execute("local h = tds.Hash() h[nil] = 1")


def test_atomic_counter(r: Runtime) -> None:
    assert r.eval("(function() local a = tds.AtomicCounter() a:inc() a:inc() "
                  "return a:inc(), a:get() end)()") == (2, 3)
