"""optim on a network's flat parameters from getParameters(): two spirals, and every algorithm."""

from __future__ import annotations

import time

import pytest

from luatorch.runtime import Runtime

from .helpers import runtime

SPIRALS = r"""
require 'nn'

-- two interleaved spirals of n points each (1.5 turns), classes 1 and 2; no randomness
function spirals(n)
   local X = torch.Tensor(2 * n, 2)
   local Y = torch.Tensor(2 * n)
   for c = 1, 2 do
      for i = 1, n do
         local t = (i - 1) / (n - 1)
         local rad = 2 * (0.15 + 0.85 * t)
         local ang = t * 1.5 * 2 * math.pi + (c - 1) * math.pi
         local k = (c - 1) * n + i
         X[k][1] = rad * math.cos(ang)
         X[k][2] = rad * math.sin(ang)
         Y[k] = c
      end
   end
   return X, Y
end

function accuracy(model, X, Y)
   local _, pred = model:forward(X):max(2)
   return pred:double():view(-1):eq(Y):sum() / Y:size(1)
end
"""


@pytest.fixture(scope="module")
def r() -> Runtime:
    rt = runtime()
    rt.execute(SPIRALS)
    return rt


def test_mlp_learns_two_spirals_with_sgd(r):
    start = time.perf_counter()
    acc0, acc, loss0, loss, same = r.execute("""
        torch.manualSeed(7)
        local X, Y = spirals(100)
        local model = nn.Sequential()
        model:add(nn.Linear(2, 64))
        model:add(nn.Tanh())
        model:add(nn.Linear(64, 2))
        model:add(nn.LogSoftMax())
        local criterion = nn.ClassNLLCriterion()
        local params, gradParams = model:getParameters()
        local flat = params
        local config = {learningRate = 0.2, momentum = 0.9, dampening = 0, nesterov = true}
        local function feval(x)
           gradParams:zero()
           local out = model:forward(X)
           local loss = criterion:forward(out, Y)
           model:backward(X, criterion:backward(out, Y))
           return loss, gradParams
        end
        local acc0 = accuracy(model, X, Y)
        local loss0, fs
        for step = 1, 3000 do
           local x
           x, fs = optim.sgd(feval, params, config)
           loss0 = loss0 or fs[1]
           assert(rawequal(x, params))
        end
        return acc0, accuracy(model, X, Y), loss0, fs[1], rawequal(params, flat)
    """)
    elapsed = time.perf_counter() - start
    assert acc0 < 0.8
    assert acc == 1.0
    assert loss < 0.05 < loss0
    assert same
    assert elapsed < 20


# every algorithm lowers a small regression loss through the flat parameter view
ALGOS = [
    ("sgd", "{learningRate=0.05, momentum=0.5}", 60),
    ("nag", "{learningRate=0.05, momentum=0.5}", 60),
    ("asgd", "{eta0=0.05, t0=20}", 60),
    ("adagrad", "{learningRate=0.1}", 60),
    ("adadelta", "{rho=0.9, eps=1e-4}", 60),
    ("adam", "{learningRate=0.02}", 60),
    ("adamax", "{learningRate=0.02}", 60),
    ("rmsprop", "{learningRate=0.005}", 60),
    ("rprop", "{stepsize=0.01}", 60),
    ("cg", "{maxEval=60}", 1),
    ("lbfgs", "{maxIter=40}", 1),
    ("lbfgs", "{maxIter=30, lineSearch=optim.lswolfe}", 1),
]


@pytest.mark.parametrize("ttype", ["Double", "Float"])
@pytest.mark.parametrize("name,cfg,steps", ALGOS, ids=[f"{a[0]}-{i}" for i, a in enumerate(ALGOS)])
def test_algorithms_train_through_get_parameters(r, name, cfg, steps, ttype):
    before, after, ptype = r.execute(f"""
        torch.manualSeed(3)
        local X = torch.randn(32, 5):type('torch.{ttype}Tensor')
        local W = torch.randn(5, 3):type('torch.{ttype}Tensor')
        local T = torch.mm(X, W):tanh()
        local model = nn.Sequential():add(nn.Linear(5, 8)):add(nn.Tanh()):add(nn.Linear(8, 3))
        model:type('torch.{ttype}Tensor')
        local criterion = nn.MSECriterion():type('torch.{ttype}Tensor')
        local params, gradParams = model:getParameters()
        local function feval(x)
           gradParams:zero()
           local out = model:forward(X)
           local loss = criterion:forward(out, T)
           model:backward(X, criterion:backward(out, T))
           return loss, gradParams
        end
        local before = feval(params)
        local config = {cfg}
        for i = 1, {steps} do optim.{name}(feval, params, config) end
        return before, criterion:forward(model:forward(X), T), params:type()
    """)
    assert after < 0.5 * before
    assert ptype == f"torch.{ttype}Tensor"
