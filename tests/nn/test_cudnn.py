"""`require 'cudnn'` on the CPU: cudnn.X modules are nn.X subclasses with cuDNN's constructors
(gradient checks, batch and non-batch, Float and Double), cudnn.convert in both directions keeps
weights and outputs, the tuning flags are accepted, and a script written for cuDNN runs."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from luatorch.runtime import Runtime

from .gradcheck import check_module, get, lua_error, put

TTYPES = ["Double", "Float"]
RNG = np.random.default_rng(5)
X4 = RNG.standard_normal((2, 4, 5, 6))
XP = RNG.permutation(X4.size).reshape(X4.shape) * 0.05 - 6  # distinct values (max pooling)
CONV_PARAMS = [("weight", "gradWeight"), ("bias", "gradBias")]


@pytest.fixture(scope="module")
def rt() -> Runtime:
    r = Runtime()
    try:
        r.execute("require 'cudnn'")
    except Exception as e:  # the convolution layers are written alongside
        pytest.skip(f"cudnn needs the nn convolution layers: {e}")
    return r


def _close(a, b, ttype: str) -> None:
    tol = 1e-10 if ttype == "Double" else 2e-5
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _conv_ref(x, w, b, stride=(1, 1), pad=(0, 0), groups=1):
    """Direct grouped cross-correlation: x C x H x W (or batch), w O x C/g x kH x kW."""
    if x.ndim == 4:
        return np.stack([_conv_ref(s, w, b, stride, pad, groups) for s in x])
    dw, dh = stride
    pw, ph = pad
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    o, cg, kh, kw = w.shape
    og = o // groups
    oh = (xp.shape[1] - kh) // dh + 1
    ow = (xp.shape[2] - kw) // dw + 1
    out = np.zeros((o, oh, ow))
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = xp[g * cg:(g + 1) * cg, i * dh:i * dh + kh, j * dw:j * dw + kw]
                out[oc, i, j] = (patch * w[oc]).sum() + b[oc]
    return out


# -- the modules ---------------------------------------------------------------------------------
def test_flags_and_classes(rt: Runtime) -> None:
    assert rt.eval("cudnn.benchmark") is False
    assert rt.eval("cudnn.fastest") is False
    assert rt.eval("cudnn.verbose") is False
    rt.execute("cudnn.benchmark = true; cudnn.fastest = true; cudnn.verbose = true")
    assert rt.eval("require('cudnn') == cudnn")
    for name in ("SpatialConvolution", "ReLU", "SpatialMaxPooling", "SpatialAveragePooling",
                 "SpatialBatchNormalization", "BatchNormalization", "Tanh", "Sigmoid",
                 "SoftMax", "LogSoftMax", "VolumetricBatchNormalization", "SpatialCrossMapLRN",
                 "SpatialSoftMax", "SpatialLogSoftMax"):
        assert rt.eval(f"torch.isTypeOf(cudnn.{name}, 'nn.{name}')"), name
    rt.execute("cudnn.benchmark = false; cudnn.fastest = false; cudnn.verbose = false")


def test_constructor_signatures(rt: Runtime) -> None:
    rt.execute("_c = cudnn.SpatialConvolution(4, 6, 3, 2, 2, 1, 1, 0, 2)")
    got = [rt.eval(f"_c.{k}") for k in ("nInputPlane", "nOutputPlane", "kW", "kH", "dW", "dH",
                                        "padW", "padH", "groups")]
    assert got == [4, 6, 3, 2, 2, 1, 1, 0, 2]
    assert rt.eval("_c.weight:size():totable()") is not None
    assert list(get(rt, "_c.weight").shape) == [6, 2, 2, 3]
    assert "nInputPlane should be divisible by nGroups" in \
        lua_error(rt, "cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 0, 0, 2)")
    assert "nOutputPlane should be divisible by nGroups" in \
        lua_error(rt, "cudnn.SpatialConvolution(4, 3, 3, 3, 1, 1, 0, 0, 2)")
    rt.execute("_r = cudnn.ReLU(true)")
    assert rt.eval("_r.inplace") is True and rt.eval("cudnn.ReLU().inplace") is False
    assert rt.eval("cudnn.Tanh(true).inplace") is True
    rt.execute("_p = cudnn.SpatialMaxPooling(3, 2)")
    assert [rt.eval(f"_p.{k}") for k in ("kW", "kH", "dW", "dH", "padW", "padH")] == \
        [3, 2, 3, 2, 0, 0]
    rt.execute("_p = cudnn.SpatialAveragePooling(3, 2)")  # cuDNN's strides default to the kernel
    assert [rt.eval(f"_p.{k}") for k in ("kW", "kH", "dW", "dH", "padW", "padH")] == \
        [3, 2, 3, 2, 0, 0]
    rt.execute("_b = cudnn.SpatialBatchNormalization(5, 1e-3, 0.2)")
    assert (rt.eval("_b.eps"), rt.eval("_b.momentum"), rt.eval("_b.running_mean:nElement()")) \
        == (1e-3, 0.2, 5)
    assert rt.eval("cudnn.SpatialCrossMapLRN().size") == 5


def test_same_weights_as_nn(rt: Runtime) -> None:
    rt.execute("torch.manualSeed(2); _a = cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1)"
               "; _u = torch.uniform()"
               "; torch.manualSeed(2); _b = nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1)"
               "; _v = torch.uniform()")
    np.testing.assert_array_equal(get(rt, "_a.weight"), get(rt, "_b.weight"))
    np.testing.assert_array_equal(get(rt, "_a.bias"), get(rt, "_b.bias"))
    assert rt.eval("_u") == rt.eval("_v")  # the same number of draws


@pytest.mark.parametrize("ttype", TTYPES)
def test_convolution_values_and_gradients(rt: Runtime, ttype: str) -> None:
    tt = ttype.lower()
    x = X4[:, :, :4, :5]
    for args, groups, stride, pad in [("4, 6, 3, 2, 1, 1, 1, 0", 1, (1, 1), (1, 0)),
                                      ("4, 6, 3, 3, 2, 1, 1, 1, 2", 2, (2, 1), (1, 1)),
                                      ("4, 4, 1, 1, 1, 1, 0, 0, 4", 4, (1, 1), (0, 0))]:
        ctor = f"cudnn.SpatialConvolution({args})"
        for xx in (x, x[1]):
            rt.execute(f"_m = {ctor}:{tt}()")
            w, b = get(rt, "_m.weight"), get(rt, "_m.bias")
            put(rt, "_x", xx, ttype)
            _close(get(rt, "_m:forward(_x)"), _conv_ref(xx, w, b, stride, pad, groups), ttype)
            check_module(rt, ctor, xx, ttype, params=CONV_PARAMS)


@pytest.mark.parametrize("ttype", TTYPES)
def test_module_gradients(rt: Runtime, ttype: str) -> None:
    bn = [("weight", "gradWeight"), ("bias", "gradBias")]
    for ctor, x, params in [
            ("cudnn.ReLU()", X4 + np.sign(X4) * 0.1, ()), ("cudnn.Tanh()", X4, ()),
            ("cudnn.Sigmoid()", X4[0], ()),
            ("cudnn.ClippedReLU(0.5)", X4[1] * 0.3 + np.sign(X4[1]) * 0.05, ()),
            ("cudnn.SpatialMaxPooling(2, 2, 2, 2)", XP, ()),
            ("cudnn.SpatialMaxPooling(3, 2, 2, 1, 1, 1)", XP[0], ()),
            ("cudnn.SpatialAveragePooling(2, 3)", X4, ()),
            ("cudnn.SpatialAveragePooling(3, 3, 2, 2, 1, 1)", X4[1], ()),
            ("cudnn.SoftMax()", X4, ()), ("cudnn.SoftMax()", X4[0], ()),
            ("cudnn.SoftMax()", X4[:, :, 0, 0], ()), ("cudnn.LogSoftMax()", X4, ()),
            ("cudnn.LogSoftMax()", X4[0, 0, 0], ()),
            ("cudnn.SpatialSoftMax()", X4, ()), ("cudnn.SpatialLogSoftMax()", X4[0], ()),
            ("cudnn.BatchNormalization(4)", X4[:, :, 0, 0], bn),
            ("cudnn.SpatialBatchNormalization(4)", X4, bn),
            ("cudnn.VolumetricBatchNormalization(4)", X4[:, :, None], bn),
            ("cudnn.SpatialCrossMapLRN(3, 0.5, 0.75, 2)", X4[0], ())]:
        check_module(rt, ctor, x, ttype, params=params)


@pytest.mark.parametrize("ttype", TTYPES)
def test_instance_softmax_and_average_pooling_values(rt: Runtime, ttype: str) -> None:
    tt = ttype.lower()
    put(rt, "_x", X4, ttype)
    flat = X4.reshape(2, -1)
    e = np.exp(flat - flat.max(1, keepdims=True))
    sm = (e / e.sum(1, keepdims=True)).reshape(X4.shape)
    _close(get(rt, f"cudnn.SoftMax():{tt}():forward(_x)"), sm, ttype)
    _close(get(rt, f"cudnn.LogSoftMax():{tt}():forward(_x)"), np.log(sm), ttype)
    # the spatial ones normalise over the maps at each location, as nn
    _close(get(rt, f"cudnn.SpatialSoftMax():{tt}():forward(_x)"),
           get(rt, f"nn.SpatialSoftMax():{tt}():forward(_x)"), ttype)
    # average pooling, strides = kernel, padding counted
    ref = X4[:, :, :4, :6].reshape(2, 4, 2, 2, 2, 3).mean((3, 5))
    _close(get(rt, f"cudnn.SpatialAveragePooling(3, 2):{tt}():forward(_x)"), ref, ttype)
    xp = np.pad(X4, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.stack([np.stack([xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3].sum((2, 3)) / 9
                              for j in range(3)], -1) for i in range(3)], -2)
    _close(get(rt, f"cudnn.SpatialAveragePooling(3, 3, 2, 2, 1, 1):{tt}():forward(_x)"), ref,
           ttype)


@pytest.mark.parametrize("name,fn,dfn", [
    ("Tanh", np.tanh, lambda y: 1 - y * y),
    ("Sigmoid", lambda x: 1 / (1 + np.exp(-x)), lambda y: y * (1 - y))])
def test_inplace_pointwise(rt: Runtime, name: str, fn, dfn) -> None:
    x = X4[0]
    g = RNG.standard_normal(x.shape)
    put(rt, "_x", x)
    put(rt, "_g", g)
    rt.execute(f"_m = cudnn.{name}(true); _o = _m:forward(_x); _gi = _m:backward(_x, _g)")
    y = fn(x)
    np.testing.assert_allclose(get(rt, "_o"), y, rtol=1e-12)
    np.testing.assert_allclose(get(rt, "_x"), y, rtol=1e-12)  # written over the input
    assert rt.eval("rawequal(_o, _x) and rawequal(_gi, _g)")
    np.testing.assert_allclose(get(rt, "_gi"), g * dfn(y), rtol=1e-12)
    # switched off again, it stops writing into the caller's tensors
    put(rt, "_x2", x)
    rt.execute("_m.inplace = false; _o2 = _m:forward(_x2)")
    np.testing.assert_allclose(get(rt, "_x2"), x)
    np.testing.assert_allclose(get(rt, "_x"), y, rtol=1e-12)
    np.testing.assert_allclose(get(rt, "_o2"), y, rtol=1e-12)


def test_relu_inplace(rt: Runtime) -> None:
    put(rt, "_x", X4)
    rt.execute("_o = cudnn.ReLU(true):forward(_x)")
    np.testing.assert_array_equal(get(rt, "_x"), np.maximum(X4, 0))
    assert rt.eval("rawequal(_o, _x) or torch.pointer(_o:storage()) == "
                   "torch.pointer(_x:storage())")


# -- cudnn.convert -------------------------------------------------------------------------------
NET = """
_net = nn.Sequential()
_net:add(nn.SpatialConvolution(3, 6, 3, 3, 1, 1, 1, 1))
_net:add(nn.SpatialBatchNormalization(6))
_net:add(nn.ReLU(true))
_net:add(nn.SpatialMaxPooling(2, 2, 2, 2))
local branches = nn.ConcatTable()
branches:add(nn.Sequential():add(nn.SpatialConvolution(6, 4, 1, 1)):add(nn.Tanh()))
branches:add(nn.Sequential():add(nn.SpatialAveragePooling(2, 2, 1, 1)):add(nn.Sigmoid()))
_net:add(branches)
_net:add(nn.ParallelTable():add(nn.View(-1):setNumInputDims(3)):add(nn.View(-1):setNumInputDims(3)))
_net:add(nn.JoinTable(2))
_net:add(nn.Linear(4 * 4 * 4 + 6 * 3 * 3, 10))
_net:add(nn.BatchNormalization(10))
_net:add(nn.LogSoftMax())
"""


def _types(rt: Runtime, expr: str) -> list:
    rt.execute(f"_ts = {{}}; for _, m in ipairs({expr}:listModules()) do "
               "_ts[#_ts + 1] = torch.type(m) end")
    t = rt.eval("_ts")
    return [t[i] for i in range(1, len(t) + 1)]


@pytest.mark.parametrize("ttype", TTYPES)
def test_convert_round_trip(rt: Runtime, ttype: str) -> None:
    rt.execute("torch.manualSeed(1)" + NET + f"_net = _net:{ttype.lower()}()")
    put(rt, "_x", RNG.standard_normal((3, 3, 8, 8)), ttype)
    put(rt, "_g", RNG.standard_normal((3, 10)), ttype)

    def train_step() -> list:
        rt.execute("_net:zeroGradParameters(); _o = _net:forward(_x):clone()"
                   "; _gi = _net:backward(_x, _g):clone(); _p, _gp = _net:parameters()")
        n = rt.eval("#_p")
        return [get(rt, "_o"), get(rt, "_gi")] + [get(rt, f"_gp[{i}]") for i in range(1, n + 1)]

    def eval_out() -> np.ndarray:
        rt.execute("_net:evaluate(); _e = _net:forward(_x):clone(); _net:training()")
        return get(rt, "_e")

    def same(a: list, b: list) -> None:
        assert len(a) == len(b)
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)

    nn_types = _types(rt, "_net")
    ref = train_step()
    ev = eval_out()
    rt.execute("_w1 = _net:get(1).weight; _c = cudnn.convert(_net, cudnn)")
    assert rt.eval("rawequal(_c, _net)")
    converted = ("SpatialConvolution", "SpatialBatchNormalization", "ReLU", "SpatialMaxPooling",
                 "SpatialAveragePooling", "Tanh", "Sigmoid", "BatchNormalization", "LogSoftMax")
    assert _types(rt, "_net") == [t.replace("nn.", "cudnn.") if t[3:] in converted else t
                                  for t in nn_types]
    assert rt.eval("rawequal(_net:get(1).weight, _w1)")  # weights kept, not copied
    assert rt.eval("_net:get(3).inplace") is True
    np.testing.assert_array_equal(eval_out(), ev)  # running statistics kept
    same(train_step(), ref)
    ev = eval_out()
    rt.execute("cudnn.convert(_net, nn)")
    assert _types(rt, "_net") == nn_types
    np.testing.assert_array_equal(eval_out(), ev)
    same(train_step(), ref)


def test_convert_exclusion_and_specials(rt: Runtime) -> None:
    rt.execute("_net = nn.Sequential():add(nn.SpatialConvolution(3, 4, 3, 3)):add(nn.ReLU())"
               ":add(nn.Tanh())"
               "; cudnn.convert(_net, cudnn, function(m) return torch.type(m):find('ReLU') end)")
    assert _types(rt, "_net") == ["nn.Sequential", "cudnn.SpatialConvolution", "nn.ReLU",
                                  "cudnn.Tanh"]
    # a single module is converted and returned
    rt.execute("_m = nn.SpatialConvolution(3, 4, 3, 3); _c = cudnn.convert(_m, cudnn)")
    assert rt.eval("torch.type(_c)") == "cudnn.SpatialConvolution"
    assert rt.eval("rawequal(_c.weight, _m.weight)")
    assert rt.eval("_c.groups") == 1
    # grouped convolutions have no nn form: they stay
    rt.execute("_g = cudnn.SpatialConvolution(4, 4, 3, 3, 1, 1, 0, 0, 2)"
               "; _n = cudnn.convert(nn.Sequential():add(_g), nn)")
    assert rt.eval("torch.type(_n:get(1))") == "cudnn.SpatialConvolution"
    # modules without an equivalent are left alone; in-place cudnn Tanh gets its own buffers
    put(rt, "_x", X4[0])
    rt.execute("_t = cudnn.Tanh(true); _t:forward(_x); _n = cudnn.convert(_t, nn)")
    assert rt.eval("torch.type(_n)") == "nn.Tanh"
    assert rt.eval("not rawequal(_n.output, _x)")
    assert "backend" in lua_error(rt, "cudnn.convert(nn.ReLU(), {})")


def test_other_layers(rt: Runtime) -> None:
    x5 = RNG.standard_normal((2, 2, 4, 5, 5))
    put(rt, "_x5", x5)
    put(rt, "_x4", X4[:, :2])
    for ctor, x in [("VolumetricConvolution(2, 3, 2, 3, 3, 1, 1, 1, 1, 1, 1)", "_x5"),
                    ("VolumetricMaxPooling(2, 2, 2)", "_x5"),
                    ("VolumetricAveragePooling(2, 2, 2)", "_x5"),
                    ("SpatialFullConvolution(2, 3, 3, 3, 2, 2, 1, 1, 1, 1)", "_x4"),
                    ("SpatialDilatedConvolution(2, 3, 3, 3, 1, 1, 2, 2, 2, 2)", "_x4")]:
        if not rt.eval(f"rawget(cudnn, '{ctor.split('(')[0]}') ~= nil"):
            continue
        rt.execute(f"torch.manualSeed(3); _a = cudnn.{ctor}; _oa = _a:forward({x}):clone()"
                   f"; torch.manualSeed(3); _b = nn.{ctor}; _ob = _b:forward({x}):clone()"
                   "; _c = cudnn.convert(_b, cudnn); _oc = _c:forward(" + x + "):clone()")
        np.testing.assert_array_equal(get(rt, "_oa"), get(rt, "_ob"))
        np.testing.assert_array_equal(get(rt, "_oc"), get(rt, "_ob"))
        assert rt.eval("torch.type(_c)") == "cudnn." + ctor.split("(")[0]
    rt.execute("_p = cudnn.VolumetricMaxPooling(2, 3, 3)")
    assert [rt.eval(f"_p.{k}") for k in ("dT", "dW", "dH")] == [2, 3, 3]


def test_convert_mm(rt: Runtime) -> None:
    if not rt.eval("rawget(nn, 'SpatialConvolutionMM') ~= nil"):
        pytest.skip("needs nn.SpatialConvolutionMM")
    put(rt, "_x", X4[:, :3])
    rt.execute("_m = nn.SpatialConvolutionMM(3, 5, 3, 3, 1, 1, 1, 1); _o = _m:forward(_x):clone()"
               "; _c = cudnn.convert(_m, cudnn)")
    assert rt.eval("torch.type(_c)") == "cudnn.SpatialConvolution"
    np.testing.assert_allclose(get(rt, "_c:forward(_x)"), get(rt, "_o"), rtol=1e-12,
                               atol=1e-12)


# -- a script written for cuDNN -----------------------------------------------------------------
SCRIPT = """
require 'nn'
require 'cudnn'
require 'optim'
cudnn.benchmark = true
cudnn.fastest = true
cudnn.verbose = false
torch.manualSeed(0)
torch.setdefaulttensortype('torch.FloatTensor')

local net = nn.Sequential()
net:add(cudnn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1))
net:add(cudnn.SpatialBatchNormalization(8, 1e-3))
net:add(cudnn.ReLU(true))
net:add(cudnn.SpatialMaxPooling(2, 2, 2, 2))
net:add(cudnn.SpatialConvolution(8, 8, 3, 3, 1, 1, 1, 1, 2))
net:add(cudnn.Tanh(true))
net:add(cudnn.SpatialAveragePooling(2, 2))
net:add(nn.View(8 * 2 * 2))
net:add(nn.Linear(32, 4))
net:add(cudnn.BatchNormalization(4))
net:add(cudnn.LogSoftMax())
local crit = nn.ClassNLLCriterion()

local x = torch.randn(16, 3, 8, 8)
local y = torch.LongTensor(16):random(1, 4)
local params, grads = net:getParameters()
local function feval()
   grads:zero()
   local out = net:forward(x)
   local loss = crit:forward(out, y)
   net:backward(x, crit:backward(out, y))
   return loss, grads
end
local first
for i = 1, 30 do
   local _, l = optim.sgd(feval, params, {learningRate = 0.1, momentum = 0.9})
   first = first or l[1]
   last = l[1]
end
net:evaluate()
local p = net:forward(x:narrow(1, 1, 2))
print(string.format('%s %.4f %.4f %d', torch.type(net:get(1)), first, last, p:size(2)))
cudnn.convert(net, nn)
print(torch.type(net:get(1)), torch.type(net:get(3)))
"""


def test_cudnn_script_runs_on_cpu(rt: Runtime, tmp_path) -> None:
    if not rt.eval("pcall(require, 'optim')"):
        pytest.skip("needs optim")
    script = tmp_path / "train_cudnn.lua"
    script.write_text(SCRIPT)
    r = subprocess.run([sys.executable, "-m", "luatorch.cli", "run", str(script)], cwd=tmp_path,
                       capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    name, first, last, ncls = lines[0].split()
    assert name == "cudnn.SpatialConvolution" and ncls == "4"
    assert float(last) < float(first) * 0.5
    assert lines[1].split() == ["nn.SpatialConvolution", "nn.ReLU"]


def test_version_is_a_number_scripts_compare(rt: Runtime) -> None:
    """fb.resnet.torch's ConvInit reads `cudnn.version >= 4000` and then drops the biases."""
    assert rt.eval("type(cudnn.version)") == "number"
    assert rt.eval("cudnn.version >= 4000") is True
    rt.execute("""
      local m = nn.Sequential():add(cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1))
      for _, v in pairs(m:findModules('cudnn.SpatialConvolution')) do
         if cudnn.version >= 4000 then v.bias = nil; v.gradBias = nil end
      end
      local x = torch.randn(2, 3, 5, 5)
      local y = m:forward(x)
      m:backward(x, y:clone():fill(1))
      assert(y:size(2) == 4 and m.modules[1].gradWeight:norm() > 0)
    """)
