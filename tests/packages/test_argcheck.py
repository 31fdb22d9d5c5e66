"""argcheck: ordered and named calls, defaults, overloads and errors, per its README."""

from __future__ import annotations

import pytest

from luatorch.runtime import LuaError, Runtime


@pytest.fixture(scope="module")
def rt() -> Runtime:
    r = Runtime()
    r.execute("argcheck = require 'argcheck'")
    return r


def test_ordered_named_and_defaults(rt: Runtime) -> None:
    rt.execute("""
      n = 0
      scale = argcheck{
         help = 'scales a tensor',
         {name = 't', type = 'torch.*Tensor', help = 'the tensor'},
         {name = 'by', type = 'number', default = 2},
         {name = 'to', type = 'number', defaulta = 'by'},
         {name = 'tag', type = 'string', opt = true},
         {name = 'id', type = 'number', defaultf = function() n = n + 1 return n end},
         call = function(t, by, to, tag, id)
            return t:sum() * by, to, tag or 'none', id
         end}
    """)
    assert rt.eval("{scale(torch.ones(3))}") is not None
    assert list(rt.eval("{scale(torch.ones(3))}").values()) == [6, 2, "none", 2]
    assert list(rt.eval("{scale(torch.ones(3), 3, 'x')}").values()) == [9, 3, "x", 3]
    assert list(rt.eval("{scale(torch.FloatTensor{1}, nil, 5)}").values()) == [2, 5, "none", 4]
    assert list(rt.eval("{scale{t = torch.ones(2), to = 7, tag = 'n'}}").values()) == [4, 7, "n", 5]


def test_errors_show_the_usage(rt: Runtime) -> None:
    rt.execute("""
      add = argcheck{
         help = 'adds things',
         {name = 'x', type = 'number', default = 0, help = 'first'},
         {name = 'msg', type = 'string', help = 'a message'}}
      function use(...) return add(...) end
    """)
    with pytest.raises(LuaError) as info:
        rt.execute("use(4)", "@user.lua")
    msg = info.value.message
    assert msg.startswith("user.lua:1: invalid arguments\n\nadds things\n\narguments:\n{")
    assert "  [x   = number]  -- first [default=0]" in msg
    assert "   msg = string   -- a message" in msg
    with pytest.raises(LuaError, match="invalid arguments"):
        rt.execute("use{x = 1, msg = 'a', extra = true}")
    assert rt.eval("select(2, use{msg = 'm'})") == "m"


def test_quiet_pack_nonamed(rt: Runtime) -> None:
    rt.execute("""
      q = argcheck{quiet = true, {name = 'x', type = 'number'}}
      p = argcheck{pack = true, {name = 'x', type = 'number'}, {name = 'y', type = 'table'}}
      o = argcheck{nonamed = true, {name = 'x', type = 'number', default = 1},
                   {name = 'y', type = 'table', opt = true}}
    """)
    assert rt.eval("select('#', q(3))") == 2 and rt.eval("select(2, q(3))") == 3
    assert rt.eval("(q('a'))") is False and "arguments:" in rt.eval("select(2, q('a'))")
    assert rt.eval("p(1, {5}).y[1]") == 5
    # a table is y, never named arguments, when named calls are off
    assert rt.eval("select(2, o({x = 9})).x") == 9 and rt.eval("(o({x = 9}))") == 1


def test_overload_and_ambiguity(rt: Runtime) -> None:
    rt.execute("""
      f = argcheck{{name = 'x', type = 'number'}, call = function(x) return 'num' end}
      f = argcheck{{name = 's', type = 'string'}, overload = f,
                   call = function(s) return 'str' end}
      ok, err = pcall(argcheck, {{name = 'y', type = 'number'}, overload = f,
                                 call = function() return 'again' end})
      g = argcheck{{name = 'y', type = 'number'}, {name = 'z', type = 'string', default = 'd'},
                   overload = f, force = true, call = function(y, z) return 'forced ' .. z end}
    """)
    assert rt.eval("f(1)") == "num" and rt.eval("f('a')") == "str"
    assert rt.eval("ok") is False and "ambiguous" in rt.eval("err")
    assert rt.eval("g(1)") == "forced d" and rt.eval("g('a')") == "str"
    with pytest.raises(LuaError) as info:
        rt.execute("f(true)")
    assert "\n\nor\n\n" in info.value.message


def test_methods_and_torch_types(rt: Runtime) -> None:
    rt.execute("""
      local Box = torch.class('argcheckBox')
      function Box:__init() self.w = 10 end
      Box.area = argcheck{{name = 'self', type = 'argcheckBox'},
                          {name = 'h', type = 'number', default = 3},
                          call = function(self, h) return self.w * h end}
      b = argcheckBox()
      env = require 'argcheck.env'
    """)
    assert rt.eval("b:area()") == 30 and rt.eval("b:area(2)") == 20
    assert rt.eval("b:area{h = 5}") == 50 and rt.eval("b:area{}") == 30
    assert rt.eval("env.istype(torch.LongTensor(), 'torch.*Tensor')") is True
    assert rt.eval("env.istype(torch.LongTensor(), 'torch.Long')") is False
    assert rt.eval("env.istype(nn and 1 or 1, 'number')") is True
    assert rt.eval("env.type(b)") == "argcheckBox"


def test_a_checker_can_be_serialized(rt: Runtime) -> None:
    rt.execute("""
      local f = argcheck{{name = 'a', type = 'string'}, call = function(a) return a .. '!' end}
      local m = torch.MemoryFile()
      m:writeObject(f)
      m:seek(1)
      m:trustFunctions(true)
      g = m:readObject()
    """)
    assert rt.eval("g('hi')") == "hi!"
