"""Containers and the Module protocol: gradients through containers, getParameters, clone/share,
type conversion, error naming and printing."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from luatorch.runtime import LuaError, Runtime

CHECKS = pathlib.Path(__file__).with_name("layer_checks.lua")
TYPES = ["torch.DoubleTensor", "torch.FloatTensor"]
TOL = {"torch.DoubleTensor": 1e-5, "torch.FloatTensor": 1e-2}


@pytest.fixture(scope="module")
def rt() -> Runtime:
    r = Runtime()
    r.execute(CHECKS.read_text(), name="@" + str(CHECKS))
    return r


def arr(rt: Runtime, expr: str) -> np.ndarray:
    h = rt.eval(f"torch._handle({expr})")
    return np.array(h.a, copy=True) if h.size else np.zeros(0)


def error_of(rt: Runtime, code: str) -> str:
    with pytest.raises(LuaError) as e:
        rt.execute(code, name="@user.lua")
    return e.value.message


R = "torch.randn"
SEQ = "nn.Sequential():add(nn.Linear(5, 4)):add(nn.Square()):add(nn.Linear(4, 2))"
JAC = [
    ("Sequential", SEQ, f"{R}(5)"),
    ("Sequential-batch", SEQ, f"{R}(3, 5)"),
    ("Sequential-nested", f"nn.Sequential():add({SEQ}):add(nn.Mul())", f"{R}(3, 5)"),
    ("Parallel", "nn.Parallel(1, 1):add(nn.Linear(5, 3)):add(nn.Linear(5, 2))", f"{R}(2, 5)"),
    ("Parallel-batch", "nn.Parallel(2, 2):add(nn.Linear(4, 3)):add(nn.Linear(4, 2))",
     f"{R}(3, 2, 4)"),
    ("Concat", "nn.Concat(1):add(nn.Linear(5, 3)):add(nn.Linear(5, 2))", f"{R}(5)"),
    ("Concat-batch", "nn.Concat(2):add(nn.Linear(5, 3)):add(nn.Square())", f"{R}(4, 5)"),
    ("DepthConcat", "nn.DepthConcat(2):add(nn.Narrow(1, 1, 3)):add(nn.Narrow(1, 2, 1))",
     f"{R}(4, 5)"),
    ("DepthConcat-params", "nn.DepthConcat(1):add(nn.Linear(5, 3)):add(nn.Linear(5, 2))",
     f"{R}(5)"),
    ("Bottle", "nn.Bottle(nn.Linear(5, 3))", f"{R}(2, 4, 5)"),
    ("Bottle-2d", "nn.Bottle(nn.Linear(5, 3))", f"{R}(4, 5)"),
    ("Decorator", "nn.Decorator(nn.Linear(5, 3))", f"{R}(4, 5)"),
]


@pytest.mark.parametrize("ttype", TYPES, ids=["Double", "Float"])
@pytest.mark.parametrize("name,ctor,x", JAC, ids=[c[0] for c in JAC])
def test_container_jacobian(rt: Runtime, name: str, ctor: str, x: str, ttype: str) -> None:
    err, where = rt.execute(f"torch.manualSeed(3) return jaccheck({ctor}, {x}, '{ttype}')")
    assert err < TOL[ttype], f"{name} ({ttype}): error {err} at {where}"


PROJ = [
    ("ConcatTable", "nn.ConcatTable():add(nn.Linear(5, 3)):add(nn.Square())", f"{R}(4, 5)"),
    ("ConcatTable-tables",
     "nn.ConcatTable():add(nn.Identity()):add(nn.ParallelTable():add(nn.Square())"
     ":add(nn.Exp()))", f"{{{R}(3), {R}(2)}}"),
    ("ParallelTable", "nn.ParallelTable():add(nn.Linear(5, 3)):add(nn.Square())",
     f"{{{R}(4, 5), {R}(2)}}"),
    ("MapTable", "nn.MapTable(nn.Linear(5, 3))", f"{{{R}(4, 5), {R}(2, 5), {R}(5)}}"),
    ("Sequential-tables",
     "nn.Sequential():add(nn.ConcatTable():add(nn.Linear(4, 3)):add(nn.Linear(4, 3)))"
     ":add(nn.CAddTable())", f"{R}(2, 4)"),
]


@pytest.mark.parametrize("ttype", TYPES, ids=["Double", "Float"])
@pytest.mark.parametrize("name,ctor,x", PROJ, ids=[c[0] for c in PROJ])
def test_container_projection(rt: Runtime, name: str, ctor: str, x: str, ttype: str) -> None:
    err, where = rt.execute(f"torch.manualSeed(3) return projcheck({ctor}, {x}, '{ttype}')")
    assert err < TOL[ttype], f"{name} ({ttype}): error {err} at {where}"


# -- getParameters ---------------------------------------------------------------------------------
def test_get_parameters_flat_views(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(1)
       _mlp = nn.Sequential():add(nn.Linear(3, 4)):add(nn.Square()):add(nn.Linear(4, 2))
       _w1 = _mlp:get(1).weight:clone()
       _p, _g = _mlp:getParameters()
    """)
    assert rt.eval("_p:nElement()") == 3 * 4 + 4 + 4 * 2 + 2
    assert rt.eval("_g:nElement()") == rt.eval("_p:nElement()")
    # values kept, in parameter order
    np.testing.assert_array_equal(arr(rt, "_p")[:12], arr(rt, "_w1").ravel())
    # writing the flat tensor writes the weights, and the other way round
    rt.execute("_p:fill(0.5)")
    np.testing.assert_array_equal(arr(rt, "_mlp:get(3).bias"), 0.5)
    rt.execute("_mlp:get(3).weight[1][2] = 7")
    assert arr(rt, "_p")[12 + 4 + 1] == 7
    # gradients land in the flat gradient tensor
    rt.execute("_g:zero() _x = torch.randn(5, 3) _mlp:forward(_x) "
               "_mlp:backward(_x, torch.ones(5, 2))")
    assert np.abs(arr(rt, "_g")).sum() > 0
    np.testing.assert_array_equal(arr(rt, "_g")[:12], arr(rt, "_mlp:get(1).gradWeight").ravel())
    # an optim-style step on the flat tensors moves the weights
    rt.execute("_before = _mlp:get(1).weight:clone() _p:add(-0.1, _g)")
    np.testing.assert_allclose(arr(rt, "_mlp:get(1).weight"),
                               arr(rt, "_before") - 0.1 * arr(rt, "_mlp:get(1).gradWeight"))


def test_get_parameters_twice(rt: Runtime) -> None:
    rt.execute("""
       _mlp = nn.Sequential():add(nn.Linear(3, 4)):add(nn.Linear(4, 2))
       _p1 = _mlp:getParameters()
       _v = _p1:clone()
       _p2, _g2 = _mlp:getParameters()
       _p2:fill(3)
    """)
    assert rt.eval("_p2:nElement()") == 26
    np.testing.assert_array_equal(arr(rt, "_mlp:get(2).weight"), 3)
    assert rt.eval("_p2:storage():size()") == 26
    np.testing.assert_array_equal(arr(rt, "_p1"), arr(rt, "_v"))


def test_get_parameters_shared_counted_once(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(2)
       _a = nn.Linear(3, 2)
       _b = _a:clone('weight', 'bias', 'gradWeight', 'gradBias')
       _s = nn.Sequential():add(_a):add(nn.Square()):add(_b)
       _p, _g = _s:getParameters()
       _p:fill(2)
    """)
    assert rt.eval("_p:nElement()") == 8
    np.testing.assert_array_equal(arr(rt, "_b.weight"), 2)
    assert rt.eval("torch.pointer(_a.weight:storage()) == torch.pointer(_b.weight:storage())")
    assert rt.eval("_a.weight:storageOffset() == _b.weight:storageOffset()")
    # sharing the weights but not their gradients is refused, as in Torch7
    msg = error_of(rt, """
       local a = nn.Linear(3, 2)
       local s = nn.Sequential():add(a):add(a:clone('weight', 'bias'))
       s:getParameters()
    """)
    assert "check that you are sharing parameters and gradParameters" in msg


def test_get_parameters_compacts_holes(rt: Runtime) -> None:
    rt.execute("""
       _l = nn.Linear(2, 2)
       _big = torch.range(1, 20)
       _gbig = torch.zeros(20)
       _l.weight:set(_big:storage(), 5, torch.LongStorage{2, 2})
       _l.gradWeight:set(_gbig:storage(), 5, torch.LongStorage{2, 2})
       _l.bias:fill(-1)
       _p, _g = _l:getParameters()
    """)
    assert rt.eval("_p:nElement()") == 6
    np.testing.assert_array_equal(arr(rt, "_p"), [5, 6, 7, 8, -1, -1])
    np.testing.assert_array_equal(arr(rt, "_l.weight"), [[5, 6], [7, 8]])
    rt.execute("_p[1] = 100")
    assert arr(rt, "_l.weight")[0, 0] == 100


def test_get_parameters_of_parameterless(rt: Runtime) -> None:
    assert rt.eval("nn.Sequential():add(nn.Square()):getParameters():nElement()") == 0


# -- clone, share, type ---------------------------------------------------------------------------
def test_clone_and_share(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(3)
       _l = nn.Linear(3, 2)
       _c = _l:clone()
       _s = _l:clone('weight', 'bias')
       _l.weight:fill(1)
       _x = torch.randn(3)
    """)
    assert not np.all(arr(rt, "_c.weight") == 1)
    np.testing.assert_array_equal(arr(rt, "_s.weight"), 1)
    assert rt.eval("torch.pointer(_s.gradWeight:storage()) ~= "
                   "torch.pointer(_l.gradWeight:storage())")
    assert rt.eval("torch.type(_c)") == "nn.Linear"
    # share() after construction
    rt.execute("_m = nn.Linear(3, 2) _m:share(_l, 'weight', 'bias') _l.bias:fill(4)")
    np.testing.assert_array_equal(arr(rt, "_m.bias"), 4)
    np.testing.assert_allclose(arr(rt, "_m:forward(_x)"), arr(rt, "_l:forward(_x)"))
    # sharing inside a network survives its clone, without links to the original
    rt.execute("""
       _a = nn.Linear(2, 2)
       _net = nn.Sequential():add(_a):add(_a:clone('weight', 'bias'))
       _net2 = _net:clone()
       _net2:get(1).weight:fill(9)
    """)
    np.testing.assert_array_equal(arr(rt, "_net2:get(2).weight"), 9)
    assert not np.all(arr(rt, "_net:get(2).weight") == 9)


def test_container_share_and_shared_updates(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(4)
       _n1 = nn.Sequential():add(nn.Linear(3, 2)):add(nn.Linear(2, 2))
       _n2 = nn.Sequential():add(nn.Linear(3, 2)):add(nn.Linear(2, 2))
       _n2:share(_n1, 'weight', 'bias')
       _x = torch.randn(3)
       _w = _n1:get(1).weight:clone()
       _n1:forward(_x)
       _n1:updateGradInput(_x, torch.ones(2))
       _n1:accUpdateGradParameters(_x, torch.ones(2), 0.1)
    """)
    np.testing.assert_array_equal(arr(rt, "_n2:get(1).weight"), arr(rt, "_n1:get(1).weight"))
    assert not np.array_equal(arr(rt, "_n1:get(1).weight"), arr(rt, "_w"))


def test_type_conversion_keeps_sharing(rt: Runtime) -> None:
    rt.execute("""
       _a = nn.Linear(2, 2)
       _b = _a:clone('weight', 'bias', 'gradWeight', 'gradBias')
       _net = nn.Sequential():add(_a):add(nn.Square()):add(_b)
       _p = _net:getParameters()
       _net:float()
       _y = _net:forward(torch.FloatTensor(4, 2):fill(1))
    """)
    assert rt.eval("torch.type(_net:get(1).weight)") == "torch.FloatTensor"
    assert rt.eval("torch.type(_y)") == "torch.FloatTensor"
    assert rt.eval("_net:type()") == "torch.FloatTensor"
    assert rt.eval("torch.pointer(_net:get(1).weight:storage()) == "
                   "torch.pointer(_net:get(3).weight:storage())")
    # one flat storage before the conversion is still one after it
    assert rt.eval("torch.pointer(_net:get(1).weight:storage()) == "
                   "torch.pointer(_net:get(3).bias:storage())")
    rt.execute("_net:get(1).weight:fill(5) _net:double()")
    np.testing.assert_array_equal(arr(rt, "_net:get(3).weight"), 5)
    assert rt.eval("torch.pointer(_net:get(1).weight:storage()) == "
                   "torch.pointer(_net:get(3).weight:storage())")
    p, g = rt.execute("local p, g = _net:getParameters() return p:nElement(), g:nElement()")
    assert p == g == 6


def test_dontcast(rt: Runtime) -> None:
    rt.execute("""
       _inner = nn.Linear(3, 3)
       _net = nn.Sequential():add(nn.Linear(3, 3)):add(nn.DontCast(_inner, true))
       _net:float()
       _y = _net:forward(torch.FloatTensor(2, 3):fill(1))
       _gi = _net:backward(torch.FloatTensor(2, 3):fill(1), torch.FloatTensor(2, 3):fill(1))
    """)
    assert rt.eval("torch.type(_inner.weight)") == "torch.DoubleTensor"
    assert rt.eval("torch.type(_y)") == "torch.FloatTensor"
    assert rt.eval("torch.type(_gi)") == "torch.FloatTensor"


def test_maptable_shares_parameters(rt: Runtime) -> None:
    rt.execute("""
       _mt = nn.MapTable(nn.Linear(3, 2))
       _mt:forward({torch.randn(3), torch.randn(3), torch.randn(3)})
       _mt:get(1).weight:fill(2)
    """)
    assert rt.eval("#_mt.modules") == 3
    np.testing.assert_array_equal(arr(rt, "_mt:get(3).weight"), 2)


# -- errors ----------------------------------------------------------------------------------------
def test_error_names_the_module(rt: Runtime) -> None:
    msg = error_of(rt, "local mlp = nn.Sequential():add(nn.Linear(3, 4)):add(nn.Linear(5, 2))\n"
                       "local x = torch.randn(2, 3)\n"
                       "mlp:forward(x)\n")
    assert msg == "user.lua:3: In 2 module of nn.Sequential:\nsize mismatch, m1: [2 x 4], " \
                  "m2: [5 x 2]"


def test_error_in_nested_containers(rt: Runtime) -> None:
    msg = error_of(rt, "local inner = nn.Sequential():add(nn.Linear(3, 4)):add(nn.Linear(5, 2))\n"
                       "local mlp = nn.Sequential():add(nn.Identity()):add(inner)\n"
                       "mlp:forward(torch.randn(3))\n")
    assert msg == ("user.lua:3: In 2 module of nn.Sequential:\nIn 2 module of nn.Sequential:\n"
                   "size mismatch, [2 x 5], [4]")
    msg = error_of(rt, "local c = nn.Concat(1):add(nn.Linear(3, 2)):add(nn.Linear(4, 2))\n"
                       "c:forward(torch.randn(3))")
    assert msg.startswith("user.lua:2: In 2 module of nn.Concat:\nsize mismatch")


def test_error_in_backward_and_in_user_module(rt: Runtime) -> None:
    msg = error_of(rt, "local mlp = nn.Sequential():add(nn.Linear(3, 4)):add(nn.Linear(4, 2))\n"
                       "local x = torch.randn(2, 3)\n"
                       "mlp:forward(x)\n"
                       "mlp:backward(x, torch.randn(2, 3))\n")
    assert msg.startswith("user.lua:4: In 2 module of nn.Sequential:\nsize mismatch")
    msg = error_of(rt, "local Boom = torch.class('nn.BoomUser', 'nn.Module')\n"
                       "function Boom:updateOutput(x) error('boom') end\n"
                       "local mlp = nn.Sequential():add(nn.Identity()):add(nn.BoomUser())\n"
                       "mlp:forward(torch.randn(3))\n")
    assert msg == "user.lua:4: In 2 module of nn.Sequential:\nuser.lua:2: boom"


# -- printing --------------------------------------------------------------------------------------
def test_print_sequential(rt: Runtime) -> None:
    s = rt.eval("tostring(nn.Sequential():add(nn.Linear(100, 10)):add(nn.Square())"
                ":add(nn.Sequential():add(nn.Linear(10, 2))))")
    assert s == ("nn.Sequential {\n"
                 "  [input -> (1) -> (2) -> (3) -> output]\n"
                 "  (1): nn.Linear(100 -> 10)\n"
                 "  (2): nn.Square\n"
                 "  (3): nn.Sequential {\n"
                 "    [input -> (1) -> output]\n"
                 "    (1): nn.Linear(10 -> 2)\n"
                 "  }\n"
                 "}")


def test_print_branches(rt: Runtime) -> None:
    s = rt.eval("tostring(nn.ConcatTable():add(nn.Linear(5, 3)):add(nn.Identity()))")
    assert s == ("nn.ConcatTable {\n"
                 "  input\n"
                 "    |`-> (1): nn.Linear(5 -> 3)\n"
                 "     `-> (2): nn.Identity\n"
                 "     ... -> output\n"
                 "}")
    s = rt.eval("tostring(nn.Concat(1):add(nn.Sequential():add(nn.Linear(2, 2)))"
                ":add(nn.Linear(2, 3)))")
    assert s == ("nn.Concat {\n"
                 "  input\n"
                 "    |`-> (1): nn.Sequential {\n"
                 "    |      [input -> (1) -> output]\n"
                 "    |      (1): nn.Linear(2 -> 2)\n"
                 "    |    }\n"
                 "     `-> (2): nn.Linear(2 -> 3)\n"
                 "     ... -> output\n"
                 "}")
    for cls in ("nn.Parallel(1, 1)", "nn.ParallelTable()", "nn.DepthConcat(1)"):
        s = rt.eval(f"tostring({cls}:add(nn.Identity()))")
        assert s.split(" {")[0] == cls.split("(")[0]
        assert "`-> (1): nn.Identity" in s
    assert rt.eval("tostring(nn.MapTable(nn.Linear(2, 3)))") == \
        "nn.MapTable {\n  nn.Linear(2 -> 3)\n}"
    assert rt.eval("tostring(nn.Decorator(nn.Linear(2, 3)))") == "nn.Decorator @ nn.Linear(2 -> 3)"


# -- the rest of the Module protocol ------------------------------------------------------------
def test_sequential_editing_and_queries(rt: Runtime) -> None:
    rt.execute("""
       _s = nn.Sequential():add(nn.Linear(3, 4)):add(nn.Square())
       _s:insert(nn.Exp(), 2)
       _n1 = #_s.modules
       _s:remove(1)
       _types = {}
       for i, m in ipairs(_s:listModules()) do _types[i] = torch.type(m) end
       _found = #_s:findModules('nn.Exp')
       _s:evaluate()
       _train = _s:get(1).train
       _s:training()
       _train2 = _s:get(2).train
       _n = 0
       _s:apply(function() _n = _n + 1 end)
    """)
    assert rt.eval("_n1") == 3
    assert [rt.eval("_types")[i] for i in (1, 2, 3)] == ["nn.Sequential", "nn.Exp", "nn.Square"]
    assert rt.eval("_found") == 1
    assert rt.eval("_train") is False and rt.eval("_train2") is True
    assert rt.eval("_n") == 3
    assert rt.eval("_s:size()") == 2
    with pytest.raises(LuaError):
        rt.execute("_s:insert(nn.Exp(), 9)")


def test_call_zero_update_clear(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(5)
       _s = nn.Sequential():add(nn.Linear(3, 2))
       _x = torch.randn(4, 3)
       _y, _gi = _s(_x, torch.ones(4, 2))
       _gw = _s:get(1).gradWeight:clone()
       _w = _s:get(1).weight:clone()
       _s:updateParameters(0.5)
       _s:zeroGradParameters()
       _s:clearState()
    """)
    np.testing.assert_allclose(arr(rt, "_s:get(1).weight"), arr(rt, "_w") - 0.5 * arr(rt, "_gw"))
    np.testing.assert_array_equal(arr(rt, "_s:get(1).gradWeight"), 0)
    assert rt.eval("_s:get(1).output:nElement()") == 0
