"""Element-wise math, comparisons, operators and constructors against NumPy references."""

from __future__ import annotations

import time

import numpy as np
import pytest

from luatorch.runtime import LuaError
from tests.conftest import arr

FLOATS = [("Float", np.float32), ("Double", np.float64)]
INTS = [("Byte", np.uint8), ("Char", np.int8), ("Short", np.int16), ("Int", np.int32),
        ("Long", np.int64)]
RNG = np.random.default_rng(7)


def tol(dtype) -> dict:
    return {"rtol": 2e-6, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


def put(rt, name: str, data: np.ndarray, tname: str) -> None:
    """Global Lua tensor `name` of type `tname` holding `data`."""
    shape = ", ".join(str(s) for s in data.shape)
    rt.execute(f"{name} = torch.{tname}Tensor({shape})")
    rt.eval(f"torch._handle({name})").a[...] = data


def fails(rt, code: str) -> str:
    """Run `code` as chunk 'test.lua'; return the Lua error message it must raise."""
    with pytest.raises(LuaError) as ei:
        rt.execute(code, name="=test.lua")
    return ei.value.message


def c_round(x):
    return np.copysign(np.floor(np.abs(x) + 0.5), x)


UNARY = {
    "abs": (np.abs, (-3, 3)), "sign": (np.sign, (-3, 3)), "neg": (np.negative, (-3, 3)),
    "exp": (np.exp, (-3, 3)), "log": (np.log, (0.1, 5)), "log1p": (np.log1p, (-0.5, 5)),
    "sqrt": (np.sqrt, (0, 5)), "rsqrt": (lambda x: 1 / np.sqrt(x), (0.1, 5)),
    "sin": (np.sin, (-3, 3)), "cos": (np.cos, (-3, 3)), "tan": (np.tan, (-1, 1)),
    "asin": (np.arcsin, (-0.9, 0.9)), "acos": (np.arccos, (-0.9, 0.9)),
    "atan": (np.arctan, (-3, 3)), "sinh": (np.sinh, (-3, 3)), "cosh": (np.cosh, (-3, 3)),
    "tanh": (np.tanh, (-3, 3)), "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-5, 5)),
    "ceil": (np.ceil, (-3, 3)), "floor": (np.floor, (-3, 3)), "round": (c_round, (-3, 3)),
    "trunc": (np.trunc, (-3, 3)), "frac": (lambda x: x - np.trunc(x), (-3, 3)),
    "cinv": (lambda x: 1 / x, (0.5, 3)),
}


@pytest.mark.parametrize("tname,dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_forms(rt, name, tname, dtype):
    ref_fn, (lo, hi) = UNARY[name]
    data = RNG.uniform(lo, hi, (3, 4)).astype(dtype)
    put(rt, "x", data, tname)
    rt.execute(f"""
      a = x:clone(); ra = a:{name}()                  -- in place, returns self
      b = torch.{name}(x)                             -- new result
      c = torch.{tname}Tensor(); rc = torch.{name}(c, x)  -- into a result
      d = torch.{tname}Tensor(7); d:{name}(x)         -- method with a result (resized)
      e = x:t():clone():t(); e:{name}()               -- non-contiguous, in place
    """)
    ref = ref_fn(data.astype(np.float64)).astype(dtype)
    for v in "abcde":
        np.testing.assert_allclose(arr(rt, v), ref, **tol(dtype))
    np.testing.assert_array_equal(arr(rt, "x"), data)
    assert rt.eval("ra == a and rc == c and torch.type(b)") == f"torch.{tname}Tensor"


def test_unary_number_forms_and_round(rt):
    assert rt.eval("torch.abs(-3)") == 3
    assert rt.eval("torch.exp(0)") == 1
    assert rt.eval("torch.pow(2, 10)") == 1024
    assert rt.eval("torch.round(-2.5)") == -3 and rt.eval("torch.round(2.5)") == 3
    assert rt.eval("torch.atan2(1, 1)") == pytest.approx(np.pi / 4)
    assert rt.eval("torch.lerp(1, 3, 0.5)") == 2
    rt.execute("r = torch.Tensor({-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994}):round()")
    np.testing.assert_array_equal(arr(rt, "r"), [-3, -2, -1, 1, 2, 3, 0])


@pytest.mark.parametrize("tname,dtype", FLOATS)
def test_add_forms(rt, tname, dtype):
    xd = RNG.standard_normal((3, 4)).astype(dtype)
    yd = RNG.standard_normal((3, 4)).astype(dtype)
    put(rt, "x", xd, tname)
    put(rt, "y", yd, tname)
    rt.execute(f"""
      a = x:clone():add(2.5)          -- x + v in place
      b = x:clone():add(y)            -- x + y in place
      c = x:clone():add(2, y)         -- x + 2y in place
      d = torch.{tname}Tensor(); d:add(x, y)
      e = torch.{tname}Tensor(); e:add(x, 3, y)
      f = torch.add(x, 1.5)
      g = torch.add(x, y)
      h = torch.add(x, -2, y)
      k = torch.{tname}Tensor(); torch.add(k, x, y)
      m = torch.{tname}Tensor(); torch.add(m, x, 0.5, y)
      n = torch.{tname}Tensor(); n:add(x, 4)
    """)
    refs = {"a": xd + dtype(2.5), "b": xd + yd, "c": xd + 2 * yd, "d": xd + yd,
            "e": xd + 3 * yd, "f": xd + dtype(1.5), "g": xd + yd, "h": xd - 2 * yd,
            "k": xd + yd, "m": xd + dtype(0.5) * yd, "n": xd + 4}
    for k, ref in refs.items():
        np.testing.assert_allclose(arr(rt, k), ref, **tol(dtype), err_msg=k)
    np.testing.assert_array_equal(arr(rt, "x"), xd)


@pytest.mark.parametrize("tname,dtype", FLOATS)
def test_binary_ops(rt, tname, dtype):
    xd = RNG.uniform(0.5, 3, (2, 5)).astype(dtype)
    yd = RNG.uniform(0.5, 3, (2, 5)).astype(dtype)
    zd = RNG.uniform(0.5, 3, (2, 5)).astype(dtype)
    xn = -xd * np.array([1, -1, 1, -1, 1], dtype)  # mixed signs for fmod / remainder
    put(rt, "x", xd, tname)
    put(rt, "y", yd, tname)
    put(rt, "z", zd, tname)
    put(rt, "xn", xn, tname)
    calls = {
        "torch.csub(x, 1.5)": xd - dtype(1.5),
        "x:clone():csub(y)": xd - yd,
        "torch.csub(x, 2, y)": xd - 2 * yd,
        "torch.mul(x, 3)": xd * 3,
        "x:clone():mul(-0.5)": xd * dtype(-0.5),
        "torch.div(x, 4)": xd / 4,
        "x:clone():div(3)": xd / 3,
        "torch.cmul(x, y)": xd * yd,
        "torch.cdiv(x, y)": xd / yd,
        "torch.cpow(x, y)": xd ** yd,
        "torch.pow(x, 2)": xd * xd,
        "torch.pow(x, 0.5)": np.sqrt(xd),
        "x:clone():pow(3)": xd ** 3,
        "torch.pow(2, x)": dtype(2) ** xd,
        "torch.fmod(xn, 1.25)": np.fmod(xn, dtype(1.25)),
        "torch.mod(xn, 1.25)": np.fmod(xn, dtype(1.25)),
        "torch.remainder(xn, 1.25)": xn - dtype(1.25) * np.floor(xn / dtype(1.25)),
        "torch.cfmod(xn, y)": np.fmod(xn, yd),
        "torch.cremainder(xn, y)": xn - yd * np.floor(xn / yd),
        "torch.clamp(x, 1, 2)": np.clip(xd, 1, 2),
        "torch.cmax(x, y)": np.maximum(xd, yd),
        "torch.cmin(x, y)": np.minimum(xd, yd),
        "torch.cmax(x, 1.5)": np.maximum(xd, dtype(1.5)),
        "torch.cmin(x, 1.5)": np.minimum(xd, dtype(1.5)),
        "torch.atan2(xn, y)": np.arctan2(xn, yd),
        "torch.lerp(x, y, 0.25)": xd + dtype(0.25) * (yd - xd),
        "torch.addcmul(x, y, z)": xd + yd * zd,
        "torch.addcmul(x, 0.5, y, z)": xd + dtype(0.5) * yd * zd,
        "x:clone():addcmul(2, y, z)": xd + 2 * yd * zd,
        "torch.addcdiv(x, y, z)": xd + yd / zd,
        "torch.addcdiv(x, 0.5, y, z)": xd + dtype(0.5) * yd / zd,
        "x:clone():addcdiv(2, y, z)": xd + 2 * yd / zd,
    }
    for i, (call, ref) in enumerate(calls.items()):
        rt.execute(f"r{i} = {call}")
        np.testing.assert_allclose(arr(rt, f"r{i}"), ref, rtol=2e-5 if dtype == np.float32
                                   else 1e-12, err_msg=call)
        assert rt.eval(f"torch.type(r{i})") == f"torch.{tname}Tensor"
    np.testing.assert_array_equal(arr(rt, "x"), xd)


def test_result_forms_and_method_self_rule(rt):
    rt.execute("""
      x = torch.Tensor({1, 2, 3}); y = torch.Tensor({10, 20, 30})
      r = torch.Tensor()
      same = (torch.cmul(r, x, y) == r)          -- returns the given result
      z = torch.Tensor(3):fill(0); z:cmul(x, y)   -- z = x .* y, x and y untouched
      w = x:clone(); w:cmul(y)                    -- w = w .* y
      v = x:clone(); v:clamp(1.5, 2.5)
      u = torch.Tensor(); u:pow(x, 2)
      t = torch.Tensor(); t:pow(2, x)
    """)
    assert rt.eval("same")
    np.testing.assert_array_equal(arr(rt, "r"), [10, 40, 90])
    np.testing.assert_array_equal(arr(rt, "z"), [10, 40, 90])
    np.testing.assert_array_equal(arr(rt, "w"), [10, 40, 90])
    np.testing.assert_array_equal(arr(rt, "x"), [1, 2, 3])
    np.testing.assert_array_equal(arr(rt, "v"), [1.5, 2, 2.5])
    np.testing.assert_array_equal(arr(rt, "u"), [1, 4, 9])
    np.testing.assert_array_equal(arr(rt, "t"), [2, 4, 8])


def test_clamp_inverted_bounds(rt):
    rt.execute("c = torch.Tensor({0, 5, 10}):clamp(6, 4)")
    np.testing.assert_array_equal(arr(rt, "c"), [6, 6, 4])  # lower bound tested first


@pytest.mark.parametrize("tname,dtype", INTS)
def test_integer_semantics(rt, tname, dtype):
    signed = np.dtype(dtype).kind == "i"
    vals = np.array([-7, -6, -1, 0, 1, 6, 7], np.int64) if signed else \
        np.array([0, 1, 6, 7, 9, 200, 255], np.int64)
    xd = vals.astype(dtype)
    put(rt, "x", xd, tname)
    rt.execute("""
      q = torch.div(x, 2); q3 = torch.div(x, -3)
      f = torch.fmod(x, 3); m = torch.remainder(x, 3); m2 = torch.remainder(x, -3)
      a = torch.add(x, 2.9)         -- the number becomes an integer first (2)
      mm = torch.mul(x, 1.7)        -- times 1
      p = torch.pow(x, 2)
      s = torch.sign(x); ab = torch.abs(x)
      d = torch.cdiv(x, torch.Tensor.type(torch.Tensor(7):fill(2), torch.type(x)))
      md = x % 3
    """)
    x = vals

    def trunc_div(a, b):
        return np.trunc(a / b).astype(np.int64)

    exp = {
        "q": trunc_div(x, 2), "f": np.fmod(x, 3), "m": np.remainder(x, 3),
        "a": x + 2, "mm": x, "p": x * x, "s": np.sign(x), "ab": np.abs(x),
        "d": trunc_div(x, 2), "md": np.remainder(x, 3),
    }
    if signed:
        exp["q3"] = trunc_div(x, -3)
        exp["m2"] = np.remainder(x, -3)
    for k, ref in exp.items():
        np.testing.assert_array_equal(arr(rt, k), ref.astype(dtype), err_msg=k)
        assert rt.eval(f"torch.type({k})") == f"torch.{tname}Tensor"


def test_integer_wraparound_and_float_only_functions_on_ints(rt):
    rt.execute("""
      b = torch.ByteTensor({1, 2}):csub(3)       -- wraps like C unsigned char
      c = torch.CharTensor({100}):add(100)
      i = torch.IntTensor({4, 9, 10}):sqrt()      -- computed in double, truncated back
      l = torch.LongTensor({-3, 3}):neg()
      f = torch.IntTensor({5}):frac()
    """)
    np.testing.assert_array_equal(arr(rt, "b"), [254, 255])
    np.testing.assert_array_equal(arr(rt, "c"), [-56])
    np.testing.assert_array_equal(arr(rt, "i"), [2, 3, 3])
    np.testing.assert_array_equal(arr(rt, "l"), [3, -3])
    np.testing.assert_array_equal(arr(rt, "f"), [0])


def test_sizes_need_only_match_in_element_count(rt):
    rt.execute("""
      x = torch.Tensor(2, 2):fill(2); y = torch.Tensor(4):fill(3)
      x:add(y)
      z = torch.cmul(y, x)                        -- result takes the first source's size
      s = y - x
    """)
    np.testing.assert_array_equal(arr(rt, "x"), np.full((2, 2), 5.0))
    assert arr(rt, "z").shape == (4,) and arr(rt, "s").shape == (4,)
    np.testing.assert_array_equal(arr(rt, "s"), [-2, -2, -2, -2])


def test_aliasing_in_place(rt):
    data = RNG.standard_normal((3, 3))
    put(rt, "x", data, "Double")
    rt.execute("""
      a = x:clone(); a:add(a)
      b = x:clone(); b:cmul(b)
      c = x:clone(); torch.add(c, c, c:t())       -- overlapping transposed source
      d = x:clone(); d:addcmul(2, d, d)
      e = x:clone(); torch.cdiv(e, e:t(), e)
    """)
    np.testing.assert_allclose(arr(rt, "a"), data * 2)
    np.testing.assert_allclose(arr(rt, "b"), data * data)
    np.testing.assert_allclose(arr(rt, "c"), data + data.T)
    np.testing.assert_allclose(arr(rt, "d"), data + 2 * data * data)
    np.testing.assert_allclose(arr(rt, "e"), data.T / data)


@pytest.mark.parametrize("tname,dtype", FLOATS)
def test_non_contiguous(rt, tname, dtype):
    xd = RNG.standard_normal((4, 3)).astype(dtype)
    yd = RNG.standard_normal((3, 8)).astype(dtype)
    put(rt, "x", xd, tname)
    put(rt, "y", yd, tname)
    rt.execute(f"""
      xt = x:t()                       -- 3x4, transposed
      yn = y:narrow(2, 2, 4)           -- 3x4, narrowed
      s = xt + yn
      p = torch.cmul(xt, yn)
      r = torch.{tname}Tensor(4, 3):zero(); rt_ = r:t()
      torch.add(rt_, xt, yn)           -- a result view keeps its strides
      keeps = rt_:stride(1) == 1 and rt_:stride(2) == 3
      x2 = x:clone(); x2:t():mul(2)    -- in place through a view
      e = xt:clone():exp()
      g = torch.gt(xt, yn)
    """)
    ref = xd.T + yd[:, 1:5]
    np.testing.assert_allclose(arr(rt, "s"), ref, **tol(dtype))
    np.testing.assert_allclose(arr(rt, "p"), xd.T * yd[:, 1:5], **tol(dtype))
    np.testing.assert_allclose(arr(rt, "r"), ref.T, **tol(dtype))
    assert rt.eval("keeps")
    np.testing.assert_allclose(arr(rt, "x2"), xd * 2, **tol(dtype))
    np.testing.assert_allclose(arr(rt, "e"), np.exp(xd.T), rtol=1e-5)
    np.testing.assert_array_equal(arr(rt, "g"), (xd.T > yd[:, 1:5]).astype(np.uint8))


@pytest.mark.parametrize("tname,dtype", FLOATS + [("Int", np.int32)])
def test_comparisons(rt, tname, dtype):
    xd = np.array([[1, 2, 3], [4, 5, 6]], dtype)
    yd = np.array([[3, 2, 1], [4, 6, 5]], dtype)
    put(rt, "x", xd, tname)
    put(rt, "y", yd, tname)
    ops = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
           "eq": np.equal, "ne": np.not_equal}
    v = 3.5 if dtype != np.int32 else 3  # ints compare with the truncated number
    for name, uf in ops.items():
        rt.execute(f"""
          a = x:{name}(3.5); b = torch.{name}(x, y); c = x:{name}(y)
          rb = torch.ByteTensor(); torch.{name}(rb, x, 3.5)
          rf = torch.{tname}Tensor(); rf:{name}(x, y)
          rf2 = torch.{tname}Tensor(); torch.{name}(rf2, x, 3.5)
        """)
        for k in "abc":
            assert rt.eval(f"torch.type({k})") == "torch.ByteTensor"
        np.testing.assert_array_equal(arr(rt, "a"), uf(xd, v).astype(np.uint8), err_msg=name)
        np.testing.assert_array_equal(arr(rt, "b"), uf(xd, yd).astype(np.uint8), err_msg=name)
        np.testing.assert_array_equal(arr(rt, "c"), uf(xd, yd).astype(np.uint8), err_msg=name)
        np.testing.assert_array_equal(arr(rt, "rb"), uf(xd, v).astype(np.uint8), err_msg=name)
        np.testing.assert_array_equal(arr(rt, "rf"), uf(xd, yd).astype(dtype), err_msg=name)
        np.testing.assert_array_equal(arr(rt, "rf2"), uf(xd, v).astype(dtype), err_msg=name)
        assert rt.eval("torch.type(rf)") == f"torch.{tname}Tensor"


def test_all_any_equal(rt):
    rt.execute("""
      a = torch.ones(3):byte()
      all1, any1 = torch.all(a), a:any()
      a[2] = 0
      all2, any2 = a:all(), torch.any(a)
      a:zero()
      all3, any3 = a:all(), a:any()
      e1 = torch.equal(torch.Tensor({1, 2}), torch.Tensor({1, 2}))
      e2 = torch.Tensor({1, 2}):equal(torch.Tensor({1, 3}))
      e3 = torch.Tensor({1, 2}):equal(torch.Tensor({{1, 2}}))
    """)
    assert rt.eval("all1") is True and rt.eval("any1") is True
    assert rt.eval("all2") is False and rt.eval("any2") is True
    assert rt.eval("all3") is False and rt.eval("any3") is False
    assert rt.eval("e1") is True and rt.eval("e2") is False and rt.eval("e3") is False


def test_operators(rt):
    rt.execute("""
      x = torch.Tensor(2, 2):fill(2); y = torch.Tensor(4):fill(3)
      a = x + y; b = y - x; c = x + 3; d = 3 + x; e = x - 1; f = 10 - x
      g = 2 * x; h = x * 2; i = x / 4; j = -x
      k = torch.Tensor({-5, -1, 4, 7}) % 3          -- remainder: the divisor's sign
      l = torch.IntTensor({7, -7}) / 2               -- integer division truncates
      m = torch.FloatTensor({1, 2}) + 0.5
      xs = x                                         -- operators make new tensors
    """)
    exp = {"a": np.full((2, 2), 5.0), "b": np.full(4, 1.0), "c": np.full((2, 2), 5.0),
           "d": np.full((2, 2), 5.0), "e": np.full((2, 2), 1.0), "f": np.full((2, 2), 8.0),
           "g": np.full((2, 2), 4.0), "h": np.full((2, 2), 4.0), "i": np.full((2, 2), 0.5),
           "j": np.full((2, 2), -2.0), "k": [1, 2, 1, 1], "l": [3, -3], "m": [1.5, 2.5]}
    for k, ref in exp.items():
        np.testing.assert_array_equal(arr(rt, k), ref, err_msg=k)
    np.testing.assert_array_equal(arr(rt, "x"), np.full((2, 2), 2.0))
    assert rt.eval("torch.type(m)") == "torch.FloatTensor"
    assert rt.eval("torch.type(l)") == "torch.IntTensor"


def test_tensor_product_operators_call_linalg_at_call_time(rt):
    rt.execute("""
      local saved = {torch.dot, torch.mv, torch.mm}
      torch.dot = function(a, b) return 'dot' .. a:dim() .. b:dim() end
      torch.mv = function(a, b) return 'mv' .. a:dim() .. b:dim() end
      torch.mm = function(a, b) return 'mm' .. a:dim() .. b:dim() end
      local v, M = torch.Tensor(2), torch.Tensor(2, 2)
      r1, r2, r3 = v * v, M * v, M * M
      torch.dot, torch.mv, torch.mm = saved[1], saved[2], saved[3]
    """)
    assert (rt.eval("r1"), rt.eval("r2"), rt.eval("r3")) == ("dot11", "mv21", "mm22")
    msg = fails(rt, "local a = torch.Tensor(2)\nlocal b = a * torch.Tensor(2, 2, 2)")
    assert msg.startswith("test.lua:2:") and "1D and 3D" in msg


def test_error_messages(rt):
    msg = fails(rt, "local x = torch.FloatTensor(3)\nlocal y = torch.FloatTensor(4)\nx:add(y)")
    assert msg.startswith("test.lua:3:") and "inconsistent tensor size" in msg
    msg = fails(rt, "local x = torch.Tensor(3)\n\ntorch.cmul(x, torch.Tensor(5))")
    assert msg.startswith("test.lua:3:") and "inconsistent tensor size" in msg
    msg = fails(rt, "local x = torch.FloatTensor(3)\nx:add(torch.DoubleTensor(3))")
    assert msg.startswith("test.lua:2:") and "invalid arguments: " in msg
    msg = fails(rt, "local x = torch.FloatTensor(3)\nx:add('a')")
    assert msg.startswith("test.lua:2:") and "invalid arguments: " in msg
    assert "invalid arguments: FloatTensor string \nexpected arguments: *FloatTensor* " in msg
    msg = fails(rt, "local x = torch.Tensor(3)\nlocal y = torch.cmul(x, 3)")
    assert msg.startswith("test.lua:2:") and "invalid arguments: " in msg
    msg = fails(rt, "local x = torch.Tensor(3)\nlocal y = x:lt('s')")
    assert msg.startswith("test.lua:2:") and "invalid arguments: " in msg
    msg = fails(rt, "local x = torch.Tensor(3)\nlocal y = x + torch.FloatTensor(3)")
    assert msg.startswith("test.lua:2:") and "number expected" in msg
    msg = fails(rt, "local x = torch.Tensor(3)\nlocal y = 3 / x")
    assert msg.startswith("test.lua:2:") and "torch.DoubleTensor expected" in msg
    msg = fails(rt, "local x = torch.Tensor(3)\nx:clamp(1)")
    assert msg.startswith("test.lua:2:") and "invalid arguments: " in msg
    msg = fails(rt, "local y = torch.range(1, 5, 0)")
    assert msg.startswith("test.lua:1:") and "step" in msg
    msg = fails(rt, "local y = torch.range(5, 1)")
    assert "incoherent with step sign" in msg
    msg = fails(rt, "local y = torch.zeros('a')")
    assert msg.startswith("test.lua:1:") and "number expected" in msg
    msg = fails(rt, "local y = torch.cat(torch.ones(2, 2), torch.ones(3, 3), 1)")
    assert msg.startswith("test.lua:1:") and "inconsistent tensor sizes" in msg


def test_constructors(rt):
    rt.execute("""
      z = torch.zeros(2, 3); o = torch.ones(torch.LongStorage({2, 2}))
      fz = torch.FloatTensor(); torch.ones(fz, 3)
      mz = torch.IntTensor(9):fill(5); mz:zeros(2, 2)
      r1 = torch.range(2, 5); r2 = torch.range(2, 5, 1.2); r3 = torch.range(5, 1, -2)
      r4 = torch.LongTensor():range(1, 4); r5 = torch.range(torch.FloatTensor(), 0, 1, 0.25)
      ls = torch.linspace(0, 1, 5); ls0 = torch.linspace(-1, 1); lg = torch.logspace(0, 2, 3)
      e1 = torch.eye(3); e2 = torch.eye(2, 4); e3 = torch.FloatTensor():eye(2)
    """)
    np.testing.assert_array_equal(arr(rt, "z"), np.zeros((2, 3)))
    np.testing.assert_array_equal(arr(rt, "o"), np.ones((2, 2)))
    assert rt.eval("torch.type(z)") == "torch.DoubleTensor"
    assert rt.eval("torch.type(fz)") == "torch.FloatTensor" and arr(rt, "fz").shape == (3,)
    np.testing.assert_array_equal(arr(rt, "mz"), np.zeros((2, 2)))
    np.testing.assert_array_equal(arr(rt, "r1"), [2, 3, 4, 5])
    np.testing.assert_allclose(arr(rt, "r2"), [2, 3.2, 4.4])
    np.testing.assert_array_equal(arr(rt, "r3"), [5, 3, 1])
    assert rt.eval("torch.type(r4)") == "torch.LongTensor"
    np.testing.assert_array_equal(arr(rt, "r4"), [1, 2, 3, 4])
    np.testing.assert_array_equal(arr(rt, "r5"), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(arr(rt, "ls"), np.linspace(0, 1, 5))
    np.testing.assert_allclose(arr(rt, "ls0"), np.linspace(-1, 1, 100))
    np.testing.assert_allclose(arr(rt, "lg"), [1, 10, 100])
    np.testing.assert_array_equal(arr(rt, "e1"), np.eye(3))
    np.testing.assert_array_equal(arr(rt, "e2"), np.eye(2, 4))
    np.testing.assert_array_equal(arr(rt, "e3"), np.eye(2))


def test_diag_tril_triu_histc_repeat(rt):
    m = RNG.standard_normal((4, 5))
    put(rt, "m", m, "Double")
    rt.execute("""
      v = torch.Tensor({1, 2, 3})
      d1 = torch.diag(v); d2 = v:diag(1); d3 = torch.diag(v, -2)
      g0 = m:diag(); g1 = torch.diag(m, 2); g2 = torch.diag(m, -1)
      l0 = torch.tril(m); l1 = m:tril(-1); u0 = torch.triu(m); u1 = m:triu(2)
      rr = torch.Tensor(); torch.triu(rr, m, 1)
      h = torch.histc(torch.Tensor({1, 2, 2, 3, 3, 3}), 3)
      h2 = torch.Tensor({-1, 0, 0.5, 1, 2}):histc(2, 0, 1)
      rp = torch.Tensor({1, 2}):repeatTensor(3, 2)
      rp2 = torch.repeatTensor(torch.Tensor({{1, 2}, {3, 4}}), 1, 2)
      rp3 = torch.Tensor(); torch.repeatTensor(rp3, torch.Tensor({5}), torch.LongStorage({2}))
    """)
    v = np.array([1.0, 2, 3])
    np.testing.assert_array_equal(arr(rt, "d1"), np.diag(v))
    np.testing.assert_array_equal(arr(rt, "d2"), np.diag(v, 1))
    np.testing.assert_array_equal(arr(rt, "d3"), np.diag(v, -2))
    np.testing.assert_array_equal(arr(rt, "g0"), np.diag(m))
    np.testing.assert_array_equal(arr(rt, "g1"), np.diag(m, 2))
    np.testing.assert_array_equal(arr(rt, "g2"), np.diag(m, -1))
    np.testing.assert_array_equal(arr(rt, "l0"), np.tril(m))
    np.testing.assert_array_equal(arr(rt, "l1"), np.tril(m, -1))
    np.testing.assert_array_equal(arr(rt, "u0"), np.triu(m))
    np.testing.assert_array_equal(arr(rt, "u1"), np.triu(m, 2))
    np.testing.assert_array_equal(arr(rt, "rr"), np.triu(m, 1))
    np.testing.assert_array_equal(arr(rt, "h"), [1, 2, 3])
    np.testing.assert_array_equal(arr(rt, "h2"), [1, 2])
    np.testing.assert_array_equal(arr(rt, "rp"), np.tile([1.0, 2], (3, 2)))
    np.testing.assert_array_equal(arr(rt, "rp2"), np.tile([[1.0, 2], [3, 4]], (1, 2)))
    np.testing.assert_array_equal(arr(rt, "rp3"), [5, 5])


def test_cat(rt):
    rt.execute("""
      a = torch.cat(torch.ones(3), torch.zeros(2))
      b = torch.cat(torch.ones(3, 2), torch.zeros(2, 2), 1)
      c = torch.cat(torch.ones(2, 2), torch.zeros(2, 2))       -- default: last dimension
      d = torch.cat({torch.ones(2, 2), torch.zeros(2, 2), torch.ones(3, 2):mul(2)}, 1)
      e = torch.ones(3):cat(torch.zeros(3), 2)                 -- a missing dimension is 1
      f = torch.Tensor(); torch.cat(f, {torch.ones(1), torch.Tensor(), torch.zeros(1)})
      g = torch.FloatTensor(); g:cat({torch.FloatTensor(2):fill(1), torch.FloatTensor(1)}, 1)
      h = torch.cat(torch.ones(2, 3):t(), torch.zeros(3, 1), 2)  -- non-contiguous input
    """)
    np.testing.assert_array_equal(arr(rt, "a"), [1, 1, 1, 0, 0])
    np.testing.assert_array_equal(arr(rt, "b"), np.r_[np.ones((3, 2)), np.zeros((2, 2))])
    np.testing.assert_array_equal(arr(rt, "c"), np.c_[np.ones((2, 2)), np.zeros((2, 2))])
    np.testing.assert_array_equal(arr(rt, "d"), np.r_[np.ones((2, 2)), np.zeros((2, 2)),
                                                      2 * np.ones((3, 2))])
    np.testing.assert_array_equal(arr(rt, "e"), np.c_[np.ones(3), np.zeros(3)])
    np.testing.assert_array_equal(arr(rt, "f"), [1, 0])
    assert arr(rt, "g").shape == (3,) and rt.eval("torch.type(g)") == "torch.FloatTensor"
    np.testing.assert_array_equal(arr(rt, "h"), np.c_[np.ones((3, 2)), np.zeros((3, 1))])
    msg = fails(rt, "local x = torch.cat(torch.ones(2), torch.FloatTensor(2))")
    assert msg.startswith("test.lua:1:") and "invalid arguments: " in msg


def test_add_hot_path_cost(rt):
    rt.execute("hx = torch.FloatTensor(10):fill(1); hy = torch.FloatTensor(10):fill(0)")
    loop = "local x, y = hx, hy\nfor i = 1, 100000 do x:add(y) end"
    rt.execute(loop)  # warm up
    t0 = time.perf_counter()
    rt.execute(loop)
    per_call = (time.perf_counter() - t0) / 1e5
    assert per_call < 10e-6, f"x:add(y) costs {per_call * 1e6:.2f} us"
