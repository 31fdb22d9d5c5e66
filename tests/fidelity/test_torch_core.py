"""Torch7's torch core and type system (issue 11, 'torch' and 'The Lua runtime')."""

from __future__ import annotations

import pytest

from luatorch.runtime import Runtime


def test_half_tensor_and_storage(rt: Runtime) -> None:
    rt.execute("h = torch.rand(3, 4):half()")
    assert rt.eval("torch.type(h)") == "torch.HalfTensor"
    assert rt.eval("torch.type(h:storage())") == "torch.HalfStorage"
    assert rt.eval("torch.type(h:float())") == "torch.FloatTensor"
    assert rt.eval("torch.HalfTensor({1, 2.5, 3}):totable()[2]") == 2.5
    assert rt.eval("torch.HalfStorage({1, 2.5}):totable()[2]") == 2.5
    # float16 rounding: 0.1 is stored as the nearest half
    assert rt.eval("torch.HalfTensor({0.1})[1]") == pytest.approx(0.0999755859375)
    assert rt.eval("torch.HalfTensor(2):fill(1.5):apply(function(x) return x * 2 end)[2]") == 3
    assert "torch.HalfTensor of size 3x4" in rt.eval("tostring(h)")
    assert "torch.HalfStorage of size 2" in rt.eval("tostring(torch.HalfStorage(2))")


def test_real_is_the_default_type(rt: Runtime) -> None:
    assert rt.eval("torch.HalfTensor(2):real():type()") == "torch.DoubleTensor"
    rt.execute("torch.setdefaulttensortype('torch.FloatTensor')")
    try:
        assert rt.eval("torch.IntTensor(2):real():type()") == "torch.FloatTensor"
    finally:
        rt.execute("torch.setdefaulttensortype('torch.DoubleTensor')")
    assert rt.eval("torch.getmetatable('torch.DoubleTensor').half ~= nil") is True


def test_element_size(rt: Runtime) -> None:
    sizes = {"Byte": 1, "Char": 1, "Short": 2, "Int": 4, "Long": 8, "Float": 4, "Half": 2,
             "Double": 8}
    for name, n in sizes.items():
        assert rt.eval(f"torch.{name}Tensor():elementSize()") == n
        assert rt.eval(f"torch.{name}Storage():elementSize()") == n


@pytest.mark.parametrize("mode", ["binary", "ascii"])
def test_half_serializes_as_half(rt: Runtime, mode: str) -> None:
    rt.execute(f"""
      local f = torch.MemoryFile(); f:{mode}()
      h = torch.HalfTensor({{1.5, -2, 0.25}})
      f:writeObject(h); f:writeObject(h:storage()); f:seek(1)
      hh, hs = f:readObject(), f:readObject()""")
    assert rt.eval("torch.type(hh)") == "torch.HalfTensor"
    assert rt.eval("torch.type(hs)") == "torch.HalfStorage"
    assert rt.eval("hh[2]") == -2 and rt.eval("hs[3]") == 0.25


def _size(rt: Runtime, expr: str) -> list:
    t = rt.eval(f"({expr}):size():totable()")
    return [t[i] for i in range(1, len(t) + 1)]


def test_function_and_result_first_forms(rt: Runtime) -> None:
    rt.execute("""
      src = torch.rand(8, 1); tmpl = torch.rand(8, 5); v = torch.rand(15)
      r1 = torch.Tensor(); r1:expand(src, 8, 5)
      r2 = torch.Tensor(); r2:expand(src, torch.LongStorage{8, 5})
      r3 = torch.Tensor(); r3:expandAs(src, tmpl)
      r4 = torch.Tensor(); r4:viewAs(v, torch.rand(3, 5))
      r5 = torch.Tensor(); r5:view(v, -1, 5)
    """)
    for r in ("r1", "r2", "r3"):
        assert _size(rt, r) == [8, 5]
        assert rt.eval(f"{r}:storage() == src:storage()") is True
    # the source is left alone
    assert _size(rt, "src") == [8, 1]
    assert _size(rt, "r4") == [3, 5] and _size(rt, "r5") == [3, 5]
    assert _size(rt, "torch.expand(src, 8, 5)") == [8, 5]
    assert _size(rt, "torch.expandAs(src, tmpl)") == [8, 5]
    assert _size(rt, "torch.view(v, 3, 5)") == [3, 5]
    assert _size(rt, "torch.viewAs(v, torch.rand(5, 3))") == [5, 3]
    assert _size(rt, "src:expandAs(tmpl)") == [8, 5]
    assert _size(rt, "v:viewAs(torch.rand(5, 3))") == [5, 3]
    ok, msg = rt.execute("return pcall(function() return torch.Tensor():expand(src, 8) end)")
    assert ok is False


def test_split_and_chunk_into_a_table(rt: Runtime) -> None:
    rt.execute("""
      x = torch.rand(7, 4)
      out = {'stale', 'entries', 'here', 'and', 'more'}
      r = torch.split(out, x, 3)
      c = {}
      torch.chunk(c, x, 3, 2)
    """)
    assert rt.eval("r == out") is True
    assert rt.eval("#out") == 3
    assert _size(rt, "out[3]") == [1, 4]
    assert rt.eval("#c") == 2 and _size(rt, "c[1]") == [7, 2]
    assert rt.eval("#torch.split(x, 3)") == 3 and rt.eval("#torch.chunk(x, 2)") == 2
    assert rt.eval("#x:split(2, 2)") == 2


def test_reshape(rt: Runtime) -> None:
    rt.execute("""
      x = torch.range(1, 6)
      y = x:reshape(2, 3)
      z = torch.reshape(x, torch.LongStorage{3, 2})
      res = torch.Tensor(); r = torch.reshape(res, x, 3, 2)
      h = torch.HalfTensor(2, 3):reshape(6)
    """)
    assert _size(rt, "y") == [2, 3] and _size(rt, "z") == [3, 2] and _size(rt, "x") == [6]
    # a copy, not a view
    assert rt.eval("y:storage() ~= x:storage()") is True
    assert rt.eval("y[2][1]") == 4
    assert rt.eval("r == res") is True and _size(rt, "res") == [3, 2]
    assert rt.eval("torch.type(h)") == "torch.HalfTensor"
    ok, msg = rt.execute("return pcall(function() return x:reshape(4) end)")
    assert ok is False and "inconsistent tensor size" in msg


def test_squeeze_and_select_give_numbers(rt: Runtime) -> None:
    assert rt.eval("type(torch.Tensor{5}:squeeze())") == "number"
    assert rt.eval("torch.Tensor{5}:squeeze()") == 5
    assert rt.eval("torch.Tensor{{5}}:squeeze()") == 5
    assert rt.eval("torch.squeeze(torch.Tensor{5})") == 5
    # squeezing one dimension of a matrix keeps a vector, as in Torch7
    assert rt.eval("torch.type(torch.Tensor{{5}}:squeeze(1))") == "torch.DoubleTensor"
    assert _size(rt, "torch.rand(2, 1, 3):squeeze()") == [2, 3]
    assert rt.eval("torch.Tensor{3, 4}:select(1, 2)") == 4
    assert rt.eval("torch.type(torch.rand(2, 3):select(1, 2))") == "torch.DoubleTensor"


def test_is_type_of_matches_whole_names(rt: Runtime) -> None:
    rt.execute("t = torch.LongTensor()")
    assert rt.eval("torch.isTypeOf(t, 'torch.Long')") is False
    assert rt.eval("torch.isTypeOf(t, 'torch.LongTensor')") is True
    assert rt.eval("torch.isTypeOf(t, '.*Long')") is True
    assert rt.eval("torch.isTypeOf(t, 'torch.*Tensor')") is True
    assert rt.eval("torch.isTypeOf(t, torch.LongTensor)") is True
    assert rt.eval("torch.isTypeOf(t, torch.IntTensor)") is False
    rt.require("nn")
    assert rt.eval("torch.isTypeOf(nn.Linear(2, 2), 'nn.Module')") is True
    assert rt.eval("torch.isTypeOf(nn.Linear(2, 2), nn.Module)") is True
    assert rt.eval("torch.isTypeOf(nn.Linear(2, 2), 'nn.Lin')") is False


def test_setmetatable_and_metatable_new(rt: Runtime) -> None:
    rt.execute("""
      torch.class('coretest.Thing')
      function coretest.Thing:__init(n) self.n = n end
      obj = torch.setmetatable({n = 7}, 'coretest.Thing')
    """)
    assert rt.eval("torch.type(obj)") == "coretest.Thing" and rt.eval("obj.n") == 7
    assert rt.eval("torch.getmetatable('coretest.Thing').new(3).n") == 3
    # graph's Graph:reverse makes nodes with node.new(data): a subclass's new is its own
    rt.execute("torch.class('coretest.Sub', 'coretest.Thing')")
    assert rt.eval("obj.new(4).n") == 4
    assert rt.eval("torch.type(coretest.Sub(1).new(2))") == "coretest.Sub"
    assert rt.eval("torch.type(torch.getmetatable('torch.FloatTensor').new())") == \
        "torch.FloatTensor"
    assert rt.eval("torch.type(getmetatable(torch.IntStorage()).new(2))") == "torch.IntStorage"
    ok, msg = rt.execute("return pcall(torch.setmetatable, {}, 'coretest.Nothing')")
    assert ok is False and "unknown typename coretest.Nothing" in msg


def test_constructor_errors_name_no_undefined_global(rt: Runtime) -> None:
    for expr in ("torch.FloatTensor('abc')", "torch.FloatTensor(2, 'x')",
                 "torch.FloatTensor(torch.IntTensor(2))", "torch.FloatTensor(torch.IntStorage(2))",
                 "torch.FloatStorage(true)", "torch.FloatStorage({1, 'a'})",
                 "torch.Tensor(2, 2):narrow('a', 1, 1)", "torch.Tensor(4):view(2, 'a')"):
        ok, msg = rt.execute(f"return pcall(function() return {expr} end)")
        assert ok is False and "argtorch" not in msg, (expr, msg)
    ok, msg = rt.execute("return pcall(function() return torch.FloatTensor('abc') end)")
    assert "expecting number or torch.FloatTensor or torch.FloatStorage" in msg


def test_heap_tracking_reports_its_state(rt: Runtime) -> None:
    assert rt.eval("torch._heaptracking") is True
    rt.execute("torch.setheaptracking(false)")
    assert rt.eval("torch._heaptracking") is False
    rt.execute("torch.setheaptracking(true)")
    assert rt.eval("torch._heaptracking") is True


def test_totable_function_form(rt: Runtime) -> None:
    assert rt.eval("torch.totable(torch.Tensor{{1, 2}, {3, 4}})[2][1]") == 3
    assert rt.eval("torch.totable(torch.HalfStorage{1, 2})[2]") == 2
    ok, msg = rt.execute("return pcall(torch.totable, {})")
    assert ok is False and "obj must be a Storage or a Tensor" in msg


@pytest.mark.parametrize("mode", ["binary", "ascii"])
def test_deserialized_generator_continues_the_stream(rt: Runtime, mode: str) -> None:
    rt.execute(f"""
      g = torch.Generator(); torch.manualSeed(g, 123)
      for i = 1, 600 do torch.random(g) end
      torch.normal(g)   -- leaves the second value of a Box-Muller pair cached
      d = torch.deserialize(torch.serialize(g, '{mode}'), '{mode}')
      same = torch.normal(g) == torch.normal(d)
      for i = 1, 100 do same = same and torch.random(g) == torch.random(d) end
    """)
    assert rt.eval("torch.type(d)") == "torch.Generator"
    assert rt.eval("same") is True
    assert rt.eval("torch.initialSeed(d)") == 123


def test_generator_bytes_are_torch7s_state(rt: Runtime) -> None:
    # the object header (type, index, "V 1", class name: 34 bytes), then sizeof(THGenerator)
    # on 64-bit Linux as Torch7 writes it
    assert rt.eval("#torch.serialize(torch.Generator())") == 5048 + 34


def test_half_files_through_the_python_api(rt: Runtime, tmp_path) -> None:
    import numpy as np

    from luatorch import api

    p = tmp_path / "h.t7"
    api.save(str(p), {"a": np.array([1.5, -2], np.float16)})
    rt.execute(f"hf = torch.load('{p}')")
    assert rt.eval("torch.type(hf.a)") == "torch.HalfTensor"
    rt.execute(f"torch.save('{p}', torch.HalfTensor({{0.5, 65504}}))")
    a = api.load(str(p))
    assert a.dtype == np.float16 and a.tolist() == [0.5, 65504.0]


def test_serialize_to_storage_has_the_file_size(rt: Runtime, tmp_path) -> None:
    p = tmp_path / "foo.t7"
    rt.execute(f"torch.save('{p}', 'foo')")
    assert rt.eval("torch.serializeToStorage('foo'):size()") == p.stat().st_size
    assert rt.eval("torch.deserializeFromStorage(torch.serializeToStorage({a = 3})).a") == 3


def test_write_object_hook(rt: Runtime) -> None:
    rt.execute("""
      local cls = {}
      torch.class('hooktest.A', cls); torch.class('hooktest.B', cls)
      function cls.B:ok() return true end
      local a = cls.A()
      local f = torch.MemoryFile('rw'):binary()
      f:writeObject({s1 = a, s2 = a, v = 'test', n = 2}, nil, function(o)
         if torch.typename(o) == 'hooktest.A' then return cls.B() end
         if o == 2 then return 5 end
         return o
      end)
      f:seek(1)
      hooked = f:readObject()
    """)
    assert rt.eval("torch.type(hooked.s1)") == "hooktest.B"
    assert rt.eval("hooked.s1:ok()") is True
    # one object written once: both fields load as the same object
    assert rt.eval("rawequal(hooked.s1, hooked.s2)") is True
    assert rt.eval("hooked.v") == "test" and rt.eval("hooked.n") == 5


def test_unwritable_object_named_as_torch7(rt: Runtime) -> None:
    ok, msg = rt.execute("""
      local co = coroutine.create(print)
      local inner = {baz = function() return co end}
      local outer = {theinner = inner}
      local f = torch.MemoryFile('rw'):binary()
      return pcall(function() f:writeObject(function() return outer end) end)""")
    assert ok is False
    # an upvalue goes by its name; the root, unnamed, is <?>
    assert "Unwritable object <thread> at <?>.outer.theinner.baz.co" in msg
    ok, msg = rt.execute("""
      local f = torch.MemoryFile('rw'):binary()
      return pcall(function() f:writeObject({a = {[{}] = {c = coroutine.create(print)}}}) end)""")
    assert "at <?>.a.<?>.c" in msg


def test_closures_sharing_an_upvalue_still_share_it_once_loaded(rt: Runtime) -> None:
    rt.execute("""
      local i, j = 1, 2
      local fns = {inc = function() i = i + 1; j = j + 2 end,
                   get_i = function() return i end, get_j = function() return j end}
      local f = torch.MemoryFile('rw'):binary()
      f:writeObject(fns); f:seek(1); f:trustFunctions(true)
      shared = f:readObject()
      shared.inc()
    """)
    assert rt.eval("shared.get_i()") == 2 and rt.eval("shared.get_j()") == 4


def test_trust_functions_flag_reaches_file_reads(rt: Runtime) -> None:
    rt.execute("torch._trustFunctions = true")
    try:
        assert rt.eval("""(function()
          local f = torch.MemoryFile('rw'):binary()
          f:writeObject(function() return 42 end); f:seek(1)
          return f:readObject()() end)()""") == 42
    finally:
        rt.execute("torch._trustFunctions = nil")
    ok, msg = rt.execute("""
      local f = torch.MemoryFile('rw'):binary()
      f:writeObject(function() return 42 end); f:seek(1)
      return pcall(f.readObject, f)""")
    assert ok is False and "refusing to load a serialized Lua function" in msg


def test_storage_over_a_mapped_file(rt: Runtime, tmp_path) -> None:
    import numpy as np

    p = tmp_path / "m.bin"
    np.arange(6, dtype=np.float32).tofile(p)
    rt.execute(f"""
      ms = torch.FloatStorage('{p}', true)      -- shared: writes reach the file
      ms[2] = 42
      mp = torch.FloatStorage('{p}', false, 3)  -- private: copy-on-write
      mp[1] = -1
    """)
    assert rt.eval("ms:size()") == 6 and rt.eval("mp:size()") == 3
    assert np.fromfile(p, np.float32).tolist() == [0, 42, 2, 3, 4, 5]
    assert rt.eval("ms[1]") == 0
    # a shared map grows its file to the size asked for
    rt.execute(f"big = torch.DoubleStorage('{tmp_path / 'new.bin'}', true, 10)")
    assert (tmp_path / "new.bin").stat().st_size == 80
    ok, msg = rt.execute(f"return pcall(torch.FloatStorage, '{p}', false, 100)")
    assert ok is False and "smaller than the required mapping size" in msg


def test_shared_memory_storage_goes_with_its_storage(rt: Runtime) -> None:
    import os

    name = f"luatorch_test_{os.getpid()}"
    rt.execute(f"shm = torch.FloatStorage('{name}', true, 16, true); shm[3] = 7")
    assert os.path.exists(f"/dev/shm/{name}")
    rt.execute(f"""local f = torch.DiskFile('/dev/shm/{name}', 'r'):binary()
      f:readFloat(); f:readFloat(); shm_read = f:readFloat(); f:close()""")
    assert rt.eval("shm_read") == 7
    rt.execute("shm = nil; collectgarbage(); collectgarbage()")
    assert not os.path.exists(f"/dev/shm/{name}")


def test_mapped_storage_does_not_resize(rt: Runtime, tmp_path) -> None:
    p = tmp_path / "r.bin"
    p.write_bytes(bytes(16))
    ok, msg = rt.execute(f"return pcall(function() torch.ByteStorage('{p}', true):resize(32) end)")
    assert ok is False and "cannot realloc mapped data" in msg


def test_luat_and_ffinterface_helpers(rt: Runtime) -> None:
    assert rt.eval("torch.getconstructortable('torch.IntTensor') == torch.IntTensor") is True
    assert rt.eval("torch.getconstructortable('no.Such') == nil") is True
    rt.execute("x = torch.FloatTensor({1, 2, 3}):narrow(1, 2, 2); xd = torch.data(x)")
    assert rt.eval("xd[0]") == 2 and rt.eval("xd[1]") == 3
    assert rt.eval("tonumber(torch.data(x, true)) == tonumber(torch.data(x, true))") is True
    assert rt.eval("torch.data(nil) == nil") is True
    rt.execute("torch.updatethreadlocals(); torch.updateerrorhandlers()")
    assert rt.eval("torch._heaptracking") is True
    assert rt.eval("select('#', string.gfind('a b', '%a'))") >= 1


def test_newmetatable_takes_luats_arguments(rt: Runtime) -> None:
    rt.execute("""
      nmt = {}
      local made = 0
      local mt = torch.newmetatable('nmt.Foo', nil, function(v) return torch.setmetatable({v = v},
         'nmt.Foo') end, nil, function() made = made + 1; return torch.setmetatable({}, 'nmt.Foo')
         end, nmt)
      foo = nmt.Foo(3)
      viaf = torch.factory('nmt.Foo')()
      nmade = made
    """)
    assert rt.eval("foo.v") == 3 and rt.eval("torch.type(viaf)") == "nmt.Foo"
    assert rt.eval("nmade") == 1
    assert rt.eval("torch.newmetatable('nmt.Foo') == torch.getmetatable('nmt.Foo')") is True


def test_setdefaulttensortype_errors_as_torch7(rt: Runtime) -> None:
    ok, msg = rt.execute("return pcall(torch.setdefaulttensortype, 'torch.NoTensor')")
    assert ok is False and "<torch.NoTensor> is not a string describing a torch object" in msg
    ok, msg = rt.execute("return pcall(torch.setdefaulttensortype, 3)")
    assert ok is False and "string expected" in msg
    rt.execute("torch.setdefaulttensortype('torch.HalfTensor')")
    try:
        assert rt.eval("torch.Tensor(2):type()") == "torch.HalfTensor"
        assert rt.eval("torch.type(torch.Storage(2))") == "torch.HalfStorage"
    finally:
        rt.execute("torch.setdefaulttensortype('torch.DoubleTensor')")
