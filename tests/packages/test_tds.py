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


# Shared under threads.sharedserialize: `run(mode, body)` runs `body` with a fresh pool `pool`
# of 3 workers in specific mode, the serialization `mode`, and puts threads.serialize back.
POOL = """
    local threads = require 'threads'
    function run(mode, body)
       threads.Threads.serialization(mode)
       local pool = threads.Threads(3, function() tds = require 'tds' end)
       pool:specific(true)
       local ok, a, b, c = pcall(body, pool)
       pool:terminate()
       threads.Threads.serialization('threads.serialize')
       assert(ok, a)
       return a, b, c
    end
"""


def test_workers_writes_to_a_shared_hash_and_vec_are_seen_by_all(r: Runtime) -> None:
    """As Torch7's threads passed tds's C structures by pointer: what worker 1 writes, the
    main state and worker 2 read; the original handle reads through the shared store too."""
    r.execute(POOL)
    got = r.execute("""
        local h, v = tds.Hash({a = 1}), tds.Vec(10, 20)
        return run('threads.sharedserialize', function(pool)
           pool:addjob(1, function()
              h.b = 'from 1'
              h.a = nil
              v[2] = 21
              v:insert('end')
              v:insert(1, 'first')
           end)
           pool:synchronize()
           local seen
           pool:addjob(2, function() return h.b, #h, v:concat(',') end,
                       function(b, n, s) seen = b .. ' ' .. n .. ' ' .. s end)
           pool:synchronize()
           return seen, tostring(h.b) .. ' ' .. tostring(h.a) .. ' ' .. #h, v:concat(',')
        end)
    """)
    assert got == ("from 1 1 first,10,21,end", "from 1 nil 1", "first,10,21,end")


def test_threads_serialize_still_copies(r: Runtime) -> None:
    r.execute(POOL)
    got = r.execute("""
        local h, v = tds.Hash({a = 1}), tds.Vec(10)
        return run('threads.serialize', function(pool)
           local inside
           pool:addjob(1, function() h.a = 2 v[1] = 11 return h.a + v[1] end,
                       function(x) inside = x end)
           pool:synchronize()
           return inside, h.a, v[1]
        end)
    """)
    assert got == (13, 1, 10)


def test_nested_tds_and_tensors_in_a_shared_hash_are_shared(r: Runtime) -> None:
    """A Hash inside a shared Hash is shared too (with the same handle when read twice), and
    tensor and storage elements are their one buffer in every state."""
    r.execute(POOL)
    got = r.execute("""
        local h = tds.Hash({inner = tds.Hash({x = 1}), list = tds.Vec(1, 2)})
        h.t, h.s = torch.zeros(3), torch.FloatStorage(2):fill(1)
        local inner = h.inner
        return run('threads.sharedserialize', function(pool)
           pool:addjob(1, function()
              h.inner.y = 'y'
              h.list:insert(3)
              h.t:add(2)
              h.s[1] = 5
              h.new = tds.Vec('made', 'in', 'worker')
              h.self = h
              assert(h.inner == h.inner and h.self == h)
           end)
           pool:synchronize()
           return inner.y .. ' ' .. h.list:concat(',') .. ' ' .. h.new:concat(' '),
                  h.t:sum() + h.s[1] + h.s[2], h.self == h and h.inner == inner
        end)
    """)
    assert got == ("y 1,2,3 made in worker", 12, True)


def test_shared_strings_keep_their_bytes(r: Runtime) -> None:
    """Keys and values with NUL and bytes 128-255 (UTF-8 or not) round-trip byte for byte."""
    r.execute(POOL)
    got = r.execute("""
        local weird = {'a\\0b', '\\128\\255', '\\195\\169t\\195\\169', '\\0', '', 'x\\200\\0y'}
        local h, v = tds.Hash(), tds.Vec()
        for i, s in ipairs(weird) do h[s] = s .. s v[i] = s end
        return run('threads.sharedserialize', function(pool)
           local fine
           pool:addjob(1, function()
              for i, s in ipairs(weird) do
                 if h[s] ~= s .. s or v[i] ~= s then return false end
                 h[s] = s
                 v[i] = s .. '\\255'
              end
              h['\\255'] = '\\0\\128'
              return #h == #weird + 1
           end, function(ok) fine = ok end)
           pool:synchronize()
           for i, s in ipairs(weird) do
              if h[s] ~= s or v[i] ~= s .. '\\255' then return 'main: ' .. i end
           end
           local n = 0
           for k, x in pairs(h) do
              if x ~= (k == '\\255' and '\\0\\128' or k) then return 'pairs: ' .. k end
              n = n + 1
           end
           return fine, n, h['\\255'] == '\\0\\128'
        end)
    """)
    assert got == (True, 7, True)


def test_shared_hash_and_vec_keep_tds_semantics(r: Runtime, tmp_path) -> None:
    """#, pairs, ipairs, deletion, booleans (true is not the key 1), printing, Vec's methods and
    torch.save of shared structures (Torch7's form: the loaded copy is a plain one)."""
    path = tmp_path / "shared.t7"
    r.execute(POOL)
    r.execute(f"""
        local h = tds.Hash({{a = 1, [1] = 'one', [true] = 'yes', nested = tds.Hash({{x = 'y'}})}})
        local v = tds.Vec(5, 3, 9, 1)
        _G.h, _G.v = h, v
        run('threads.sharedserialize', function(pool)
           pool:addjob(1, function() h.z = 26 h.a = nil v:sort() v[6] = 'six' end)
           pool:synchronize()
        end)
        keys = {{}}
        for k in pairs(h) do keys[#keys + 1] = tostring(k) end
        table.sort(keys)
        seen = {{}}
        for i, x in ipairs(v) do seen[#seen + 1] = i .. ':' .. tostring(x) end
        before = tostring(v)
        v:remove(1) v:insert(2, 'two') v:resize(4)
        torch.save('{path}', {{h = h, v = v}})
        back = torch.load('{path}')
    """)
    assert r.eval("#h") == 4 and r.eval("h.a") is None and r.eval("h[1]") == "one"
    assert r.eval("h[true]") == "yes" and r.eval("h.z") == 26
    assert list(r.eval("keys").values()) == ["1", "nested", "true", "z"]
    assert list(r.eval("seen").values()) == ["1:1", "2:3", "3:5", "4:9", "5:nil", "6:six"]
    assert r.eval("before") == "tds.Vec[6]{\n1 : 1\n2 : 3\n3 : 5\n4 : 9\n5 : nil\n6 : six\n}"
    assert r.eval("tostring(h.nested)") == "tds.Hash[1]{\nx : y\n}"
    assert r.eval("#v") == 4 and r.eval("v:concat(',')") == "3,two,5,9"
    assert r.eval("torch.type(back.h)") == "tds.Hash" and r.eval("#back.h") == 4
    assert r.eval("back.h.nested.x") == "y" and r.eval("back.h[true]") == "yes"
    assert r.eval("back.v:concat(',')") == "3,two,5,9"


def test_shared_structure_outlives_the_pool(r: Runtime) -> None:
    """After terminate, the structures the workers shared keep working in the main state, and a
    new pool shares the same ones again."""
    r.execute(POOL)
    got = r.execute("""
        local h, v = tds.Hash(), tds.Vec()
        run('threads.sharedserialize', function(pool)
           pool:addjob(1, function() h.a = 'a' v:insert('x') end)
           pool:synchronize()
        end)
        collectgarbage() collectgarbage()
        h.b = 'b'
        v:insert('y')
        run('threads.sharedserialize', function(pool)
           pool:addjob(2, function() h.c = h.a .. h.b v:insert(v:concat()) end)
           pool:synchronize()
        end)
        return h.c, #h, v:concat(',')
    """)
    assert got == ("ab", 3, "x,y,xy")


def test_concurrent_writes_to_a_shared_structure_all_land(r: Runtime) -> None:
    r.execute(POOL)
    got = r.execute("""
        local h, v = tds.Hash(), tds.Vec()
        return run('threads.sharedserialize', function(pool)
           for w = 1, 3 do
              pool:addjob(w, function()
                 for i = 1, 300 do v:insert(i) h[w * 1000 + i] = i end
              end)
           end
           pool:synchronize()
           local sum = 0
           for _, x in ipairs(v) do sum = sum + x end
           return #v, #h, sum
        end)
    """)
    assert got == (900, 900, 3 * 300 * 301 // 2)
