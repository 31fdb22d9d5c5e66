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


def test_atomic_counter_is_shared_by_threads_under_sharedserialize(r: Runtime) -> None:
    """As Torch7's threads shared tds's C counter: workers given the counter by
    sharedserialize count together (threads' own test-atomic.lua, smaller); under the
    default serialization each worker counts on its own copy."""
    got = r.execute("""
        local threads = require 'threads'
        local function run(mode)
           threads.Threads.serialization(mode)
           local a = tds.AtomicCounter()
           a:set(5)
           local pool = threads.Threads(4)
           for _ = 1, 4 do
              pool:addjob(function() for _ = 1, 500 do a:inc() end return a:get() end)
           end
           pool:synchronize()
           pool:terminate()
           return a:get()
        end
        local shared = run('threads.sharedserialize')
        local copied = run('threads.serialize')
        threads.Threads.serialization('threads.serialize')
        return shared, copied
    """)
    assert got == (2005, 5)


def test_torch_load_finds_tds_classes_without_require(r: Runtime, tmp_path) -> None:
    """A file naming tds classes loads in a state that never required tds (a threads worker,
    a fresh script), as nn's and nngraph's classes do; loading runs only our tds."""
    path = tmp_path / "t.t7"
    r.execute(f"local h = tds.Hash() h.a = 3 torch.save('{path}', {{h, tds.AtomicCounter()}})")
    fresh = Runtime()
    assert fresh.execute(f"local t = torch.load('{path}') "
                         "return torch.typename(t[1]), t[1].a, t[2]:get()") == ("tds.Hash", 3, 0)
