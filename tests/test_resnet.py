"""fb.resnet.torch-style ResNets: every block and shortcut type runs forward and backward."""

from __future__ import annotations

import pathlib

import pytest

from luatorch.runtime import Runtime

MODELS = pathlib.Path(__file__).resolve().parent.parent / "models"


@pytest.fixture(scope="module")
def rrt() -> Runtime:
    r = Runtime(script_dir=str(MODELS))
    r.execute("require 'nn'; createModel = require 'resnet.resnet'")
    return r


@pytest.mark.parametrize("depth,dataset,shortcut,size", [
    (20, "cifar10", "A", 32),
    (20, "cifar10", "B", 32),
    (20, "cifar10", "C", 32),
    (18, "imagenet", "B", 224),
    (50, "imagenet", "B", 224),
])
def test_forward_backward(rrt, depth, dataset, shortcut, size):
    batch = 2 if size == 32 else 1
    out, gin = rrt.execute(f"""
      torch.manualSeed(3)
      local m = createModel({{depth = {depth}, dataset = '{dataset}',
                             shortcutType = '{shortcut}'}}):float()
      local x = torch.FloatTensor({batch}, 3, {size}, {size}):uniform()
      local y = m:forward(x)
      local g = m:backward(x, y:clone():fill(1))
      return y:size():totable(), g:size():totable()
    """)
    n_out = 10 if dataset == "cifar10" else 1000
    assert [out[1], out[2]] == [batch, n_out]
    assert [gin[i] for i in range(1, 5)] == [batch, 3, size, size]


def test_bottleneck_shapes_and_parameter_count(rrt):
    n = rrt.eval("select(1, createModel({depth = 50, dataset = 'imagenet'}):getParameters())"
                 ":nElement()")
    # torchvision's 25,557,032 plus fb.resnet.torch's convolution biases
    assert n > 25_557_032 and n < 25_557_032 + 60_000


def test_shortcut_a_gradient_matches_a_directional_difference(rrt):
    # <dL/dx, v> against (L(x + e v) - L(x - e v)) / 2e, with L = <f(x), w>, in double
    analytic, numeric = rrt.execute("""
      torch.manualSeed(5)
      local m = createModel({depth = 8, dataset = 'cifar10', shortcutType = 'A'})
      m:evaluate()
      local x = torch.randn(2, 3, 32, 32)
      local v = torch.randn(2, 3, 32, 32)
      local w = torch.randn(2, 10)
      m:forward(x)
      local g = m:backward(x, w):clone()
      local e = 1e-6
      local lp = m:forward(x + v * e):clone():cmul(w):sum()
      local lm = m:forward(x - v * e):clone():cmul(w):sum()
      return g:clone():cmul(v):sum(), (lp - lm) / (2 * e)
    """)
    assert abs(analytic - numeric) <= 1e-6 * max(1.0, abs(analytic))
