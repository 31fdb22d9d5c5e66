"""Round trips of every object kind, in both formats, through files and strings."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError
from tests.serialization.conftest import lua_bytes

FORMATS = ["binary", "ascii"]

# Lua expressions and a Lua predicate on the copy `y` (the original is `x`)
CASES = {
    "nil": ("nil", "y == nil"),
    "integer": ("42", "y == 42"),
    "negative": ("-7.25", "y == -7.25"),
    "tiny": ("1e-300", "y == 1e-300"),
    "huge": ("2^53 + 2", "y == 2^53 + 2"),
    "third": ("1/3", "y == 1/3"),
    "inf": ("math.huge", "y == math.huge"),
    "ninf": ("-math.huge", "y == -math.huge"),
    "nan": ("0/0", "y ~= y"),
    "true": ("true", "y == true"),
    "false": ("false", "y == false"),
    "empty_string": ("''", "y == ''"),
    "binary_string": ("'a\\0b\\255\\n c'", "y == 'a\\0b\\255\\n c'"),
    "long_string": ("string.rep('xy\\0', 40000)", "y == string.rep('xy\\0', 40000)"),
    "empty_table": ("{}", "type(y) == 'table' and next(y) == nil"),
    "array": ("{1, 2, 'three', {4}}", "y[1] == 1 and y[3] == 'three' and y[4][1] == 4 and #y == 4"),
    "keys": ("{[1]=1, [2.5]='f', [-3]='n', s='s', [true]='t', [false]='f2'}",
             "y[2.5] == 'f' and y[-3] == 'n' and y.s == 's' and y[true] == 't' and "
             "y[false] == 'f2'"),
    "table_key": ("(function() local k = {1}; return {[k] = 'v', k = k} end)()",
                  "y[y.k] == 'v'"),
    "nested": ("{a = {b = {c = {d = 'deep'}}}}", "y.a.b.c.d == 'deep'"),
    "shared": ("(function() local s = {1}; return {s, s} end)()",
               "y[1] == y[2] and y[1][1] == 1"),
    "cycle": ("(function() local t = {}; t.self = t; t.list = {t}; return t end)()",
              "y.self == y and y.list[1] == y"),
    "tensor_shared": ("(function() local t = torch.randn(3, 4); return {t, t} end)()",
                      "y[1] == y[2] and y[1]:equal(x[1])"),
    "views_share": ("(function() local t = torch.randn(4, 5); "
                    "return {t, t:narrow(1, 2, 2), t:t(), t:select(2, 3)} end)()",
                    "y[2]:storage() ~= nil and torch.pointer(y[2]:storage()) == "
                    "torch.pointer(y[1]:storage()) and y[2]:storageOffset() == 6 and "
                    "y[3]:isContiguous() == false and y[3]:equal(x[3]) and y[4]:equal(x[4]) "
                    "and (function() y[1][3][1] = 99 return y[2][2][1] == 99 end)()"),
    "empty_tensor": ("torch.Tensor()", "torch.type(y) == 'torch.DoubleTensor' and y:dim() == 0"),
    "storage": ("torch.IntStorage({1, -2, 2147483647})",
                "torch.type(y) == 'torch.IntStorage' and y[3] == 2147483647 and y[2] == -2"),
    "empty_storage": ("torch.FloatStorage()", "torch.type(y) == 'torch.FloatStorage' "
                      "and y:size() == 0"),
    "tensor_in_table_key": ("(function() local t = torch.ones(2); return {[t] = 1, t = t} end)()",
                            "y[y.t] == 1"),
}

TENSOR_TYPES = {
    "Byte": ("torch.ByteTensor({{0, 255, 7}, {1, 2, 3}})", None),
    "Char": ("torch.CharTensor({{-128, 127, 0}})", None),
    "Short": ("torch.ShortTensor({-32768, 32767, 5})", None),
    "Int": ("torch.IntTensor({-2147483648, 2147483647, 5})", None),
    "Long": ("torch.LongTensor({-(2^53), 2^53, 2^40, -1})", None),
    "Float": ("torch.FloatTensor(3, 4, 2):uniform(-1e6, 1e6)", None),
    "Double": ("torch.DoubleTensor(5, 3):normal()", None),
}


def _roundtrip(rt, expr: str, fmt: str, how: str, tmp_path) -> None:
    rt.execute(f"x = {expr}")
    if how == "string":
        rt.execute(f"y = torch.deserialize(torch.serialize(x, '{fmt}'), '{fmt}')")
    elif how == "memoryfile":
        rt.execute(f"""
          local f = torch.MemoryFile():{fmt}()
          f:writeObject(x)
          f:seek(1)
          y = f:readObject()
          f:close()""")
    else:
        p = str(tmp_path / "x.t7")
        rt.execute(f"torch.save('{p}', x, '{fmt}'); y = torch.load('{p}', '{fmt}')")


@pytest.mark.parametrize("how", ["file", "string", "memoryfile"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(CASES))
def test_object_kinds(srt, case, fmt, how, tmp_path):
    expr, check = CASES[case]
    _roundtrip(srt, expr, fmt, how, tmp_path)
    assert srt.eval(check) is True


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("tname", list(TENSOR_TYPES))
def test_tensor_types(srt, tname, fmt, tmp_path):
    expr, _ = TENSOR_TYPES[tname]
    _roundtrip(srt, expr, fmt, "file", tmp_path)
    assert srt.eval("torch.type(y)") == f"torch.{tname}Tensor"
    assert srt.eval("y:isSameSizeAs(x)") is True
    assert srt.eval("x:equal(y)") is True
    # storages of the same type
    _roundtrip(srt, f"({expr}):storage()", fmt, "string", tmp_path)
    assert srt.eval("torch.type(y)") == f"torch.{tname}Storage"
    assert srt.eval("x:size() == y:size()") is True
    xs = srt.eval("x:totable()")
    ys = srt.eval("y:totable()")
    assert [xs[i] for i in range(1, len(xs) + 1)] == [ys[i] for i in range(1, len(ys) + 1)]


def test_float_bits_exact_in_ascii(srt):
    """ascii keeps every bit: %.9g for floats, %.17g for doubles."""
    srt.execute("x = {torch.FloatTensor(1000):normal():mul(1e-30), "
                "torch.DoubleTensor(1000):normal():mul(1e300)}")
    srt.execute("y = torch.deserialize(torch.serialize(x, 'ascii'), 'ascii')")
    assert srt.eval("x[1]:equal(y[1]) and x[2]:equal(y[2])") is True


def test_class_hooks_and_versions(srt, tmp_path):
    srt.execute("""
      if not torch.getmetatable('rt.Plain') then
         local P = torch.class('rt.Plain')
         function P:__init(v) self.v = v; self.t = torch.ones(2) end
         local Hk = torch.class('rt.Hooked')
         Hk.__version = 3
         function Hk:__init(a, b) self.a, self.b = a, b end
         function Hk:write(file)
            file:writeObject(self.a)
            file:writeInt(12345)
            file:writeObject(self.b)
         end
         function Hk:read(file, version)
            self.a = file:readObject()
            self.magic = file:readInt()
            self.b = file:readObject()
            self.version = version
         end
         local Sub = torch.class('rt.Sub', 'rt.Plain')
      end
    """)
    for fmt in FORMATS:
        p = str(tmp_path / f"h_{fmt}.t7")
        srt.execute(f"""
          x = {{rt.Plain('p'), rt.Hooked('A', {{1, 2}}), rt.Sub(7)}}
          x[4] = x[2]
          torch.save('{p}', x, '{fmt}')
          y = torch.load('{p}', '{fmt}')""")
        assert srt.eval("torch.type(y[1]) == 'rt.Plain' and y[1].v == 'p'") is True
        assert srt.eval("y[1].t:sum()") == 2
        assert srt.eval("torch.type(y[2]) == 'rt.Hooked' and y[2].a == 'A'") is True
        assert srt.eval("y[2].magic == 12345 and y[2].b[2] == 2 and y[2].version == 3") is True
        assert srt.eval("y[4] == y[2] and torch.type(y[3]) == 'rt.Sub' and y[3].v == 7") is True
    # the version written is the class's __version
    assert b"V 3" in lua_bytes(srt, "torch.serialize(rt.Hooked(1, 2))")


def test_nn_modules_roundtrip(srt, tmp_path):
    srt.execute("""
      torch.manualSeed(3)
      x = nn.Sequential():add(nn.Linear(5, 4)):add(nn.Tanh()):add(nn.Linear(4, 2))
      local inp = torch.randn(3, 5)
      __ref = x:forward(inp):clone()
      y = torch.deserialize(torch.serialize(x))
      __out = y:forward(inp)""")
    assert srt.eval("(__out - __ref):abs():max()") == 0
    assert srt.eval("torch.type(y.modules[1])") == "nn.Linear"


def test_referenced_false(srt):
    """referenced(false) writes shared objects again each time (Torch7's force mode)."""
    srt.execute("""
      local s = {1}
      local f = torch.MemoryFile():binary():referenced(false)
      f:writeObject({s, s})
      f:seek(1)
      __y = f:referenced(false):readObject()
      __r = f:isReferenced()""")
    assert srt.eval("__y[1] ~= __y[2] and __y[1][1] == __y[2][1]") is True
    assert srt.eval("__r") is False


def test_functions_refused_by_default(srt, tmp_path):
    p = str(tmp_path / "fn.t7")
    srt.execute(f"local up = 5; torch.save('{p}', {{f = function(a) return a + up end}})")
    with pytest.raises(LuaError) as e:
        srt.execute(f"torch.load('{p}')")
    msg = e.value.message
    assert "refusing to load a serialized Lua function" in msg
    assert "trustFunctions=true" in msg and "fn.t7" in msg and "at byte" in msg
    assert "\n" not in msg
    srt.execute(f"__g = torch.load('{p}', 'binary', {{trustFunctions = true}})")
    assert srt.eval("__g.f(10)") == 15
    # also through deserialize, and the legacy/recursive forms Torch7 wrote
    srt.execute("__s = torch.serialize(function() return 7 end)")
    with pytest.raises(LuaError, match="refusing to load"):
        srt.execute("torch.deserialize(__s)")
    assert srt.eval("torch.deserialize(__s, 'binary', {trustFunctions = true})()") == 7


def test_recursive_function(srt):
    srt.execute("""
      local fact
      fact = function(n) if n <= 1 then return 1 end return n * fact(n - 1) end
      __s = torch.serialize(fact)""")
    assert srt.eval("torch.deserialize(__s, {trustFunctions = true})(5)") == 120


def test_unwritable_object_error(srt):
    with pytest.raises(LuaError, match=r"Unwritable object <thread>"):
        srt.execute("torch.serialize({a = {b = coroutine.create(function() end)}})")


def test_python_writer_read_by_lua(srt, tmp_path):
    """The pure-Python writer's files load in Lua (NumPy arrays become tensors)."""
    from luatorch.serialization import save_python

    p = str(tmp_path / "py.t7")
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    save_python(p, {"a": arr, "b": [1, "two", None, True], "c": b"\x00\xff", "d": {"e": 2.5}})
    srt.execute(f"y = torch.load('{p}')")
    assert srt.eval("torch.type(y.a)") == "torch.FloatTensor"
    assert srt.eval("y.a[3][4]") == 11
    assert srt.eval("y.b[2] == 'two' and y.b[3] == nil and y.b[4] == true") is True
    assert lua_bytes(srt, "y.c") == b"\x00\xff"
    assert srt.eval("y.d.e") == 2.5
