"""nngraph: graphs of nn modules (gModule, nodes, split, chaining), checked against nn."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from luatorch.runtime import LuaError, Runtime
from tests.conftest import arr

# x1 (3) -> Linear -> Tanh = h; x2 (2) -> Linear = k; out1 = h + k, out2 = Linear(h) * x2-part
TWO_IN_TWO_OUT = """
require 'nngraph'
torch.manualSeed(7)
torch.setdefaulttensortype('torch.DoubleTensor')
local x1 = nn.Identity()()
local x2 = nn.Identity()()
local h = nn.Tanh()(nn.Linear(3, 4)(x1)):annotate{name = 'hidden'}
local k = nn.Linear(2, 4)(x2)
local out1 = nn.CAddTable()({h, k})
local out2 = nn.CMulTable()({nn.Linear(4, 4)(h), nn.Sigmoid()(k)})
g = nn.gModule({x1, x2}, {out1, out2})
in1, in2 = torch.randn(5, 3), torch.randn(5, 2)
w1, w2 = torch.randn(5, 4), torch.randn(5, 4)
function loss()
   local o = g:forward({in1, in2})
   return torch.cmul(o[1], w1):sum() + torch.cmul(o[2], w2):sum()
end
"""


@pytest.fixture()
def ng() -> Runtime:
    rt = Runtime()
    rt.execute(TWO_IN_TWO_OUT)
    return rt


def _numeric(rt: Runtime, target: str, eps: float = 1e-6) -> np.ndarray:
    """Central differences of loss() with respect to every element of the tensor `target`."""
    flat = arr(rt, target).reshape(-1)
    grad = np.zeros_like(flat)
    f = rt.eval("loss")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def test_gradients_match_finite_differences(ng: Runtime) -> None:
    ng.execute("""
      params, gradParams = g:getParameters()
      gradParams:zero()
      g:forward({in1, in2})
      gi = g:backward({in1, in2}, {w1, w2})
    """)
    analytic = {"in1": arr(ng, "gi[1]").copy(), "in2": arr(ng, "gi[2]").copy(),
                "params": arr(ng, "gradParams").copy()}
    for name, grad in analytic.items():
        np.testing.assert_allclose(grad.reshape(-1), _numeric(ng, name), rtol=1e-6, atol=1e-7)
    assert arr(ng, "params").size == 4 * 3 + 4 + 4 * 2 + 4 + 4 * 4 + 4


def test_equals_hand_built_containers(ng: Runtime) -> None:
    ng.execute("""
      local lin1, lin2, lin3 = g.modules[2], g.modules[5], g.modules[7]
      assert(torch.type(lin1) == 'nn.Linear' and lin1.weight:size(2) == 3)
      assert(lin2.weight:size(2) == 2 and lin3.weight:size(2) == 4)
      local hk = nn.ParallelTable()
         :add(nn.Sequential():add(lin1:clone()):add(nn.Tanh()))
         :add(lin2:clone())
      local branches = nn.ConcatTable()
         :add(nn.CAddTable())
         :add(nn.Sequential()
            :add(nn.ParallelTable():add(lin3:clone()):add(nn.Sigmoid()))
            :add(nn.CMulTable()))
      ref = nn.Sequential():add(hk):add(branches)
      g:forward({in1, in2})
      gi = g:backward({in1, in2}, {w1, w2})
      ref:forward({in1, in2})
      rgi = ref:backward({in1, in2}, {w1, w2})
    """)
    for a, b in [("g.output[1]", "ref.output[1]"), ("g.output[2]", "ref.output[2]"),
                 ("gi[1]", "rgi[1]"), ("gi[2]", "rgi[2]")]:
        np.testing.assert_allclose(arr(ng, a), arr(ng, b), rtol=1e-12, atol=1e-12)


def test_chaining_split_and_annotations() -> None:
    rt = Runtime()
    rt.execute("""
      require 'nngraph'
      local x = nn.Identity()()
      local y = x - nn.Linear(2, 6) - nn.Tanh()
      local a, b, c = nn.SplitTable(2)(nn.Reshape(3, 2)(y)):split(3)
      local z = nn.CAddTable()({a, nn.CMulTable()({b, c})}):annotate{
         name = 'sum', graphAttributes = {color = 'blue'}}
      g = nn.gModule({x}, {z})
      inp = torch.randn(4, 2)
      out = g:forward(inp)
      local t = torch.tanh(g.modules[2]:forward(inp)):view(4, 3, 2)
      expect = t:select(2, 1) + torch.cmul(t:select(2, 2), t:select(2, 3))
      gi = g:backward(inp, torch.ones(4, 2))
      named = nil
      for _, node in ipairs(g.forwardnodes) do
         if node.data.annotations.name == 'sum' then named = node end
      end
      chained = -nn.Linear(2, 2) - nn.ReLU()
    """)
    np.testing.assert_allclose(arr(rt, "out"), arr(rt, "expect"), rtol=1e-6)
    assert tuple(arr(rt, "gi").shape) == (4, 2)
    assert rt.eval("torch.type(named.data.module)") == "nn.CAddTable"
    assert rt.eval("torch.type(chained)") == "nngraph.Node"
    assert rt.eval("torch.type(chained.children[1].data.module)") == "nn.Linear"


def test_node_reused_sums_gradients() -> None:
    rt = Runtime()
    rt.execute("""
      require 'nngraph'
      torch.setdefaulttensortype('torch.DoubleTensor')
      local x = nn.Identity()()
      local h = nn.Linear(3, 3)(x)
      local z = nn.CAddTable()({nn.Tanh()(h), nn.Sigmoid()(h), h})
      g = nn.gModule({x}, {z})
      inp = torch.randn(2, 3)
      g:forward(inp)
      gi = g:backward(inp, torch.ones(2, 3)):clone()
      local lin = g.modules[2]
      local o = lin:forward(inp)
      local d = torch.ones(2, 3) + (1 - torch.pow(torch.tanh(o), 2))
      local s = torch.sigmoid(o)
      d:add(torch.cmul(s, 1 - s))
      expect = lin:updateGradInput(inp, d)
    """)
    np.testing.assert_allclose(arr(rt, "gi"), arr(rt, "expect"), rtol=1e-10)


@pytest.mark.parametrize("code, message", [
    ("local x = nn.Identity()() local y = nn.Identity()()\n"
     "nn.gModule({x, y}, {nn.Tanh()(x)})", "does not connect to gmodule output"),
    ("local x = nn.Identity()() local a, b = nn.SplitTable(1)(x):split(2)\n"
     "nn.gModule({x}, {nn.Tanh()(a)})", "1 of split(2) outputs from the node declared at"),
    ("local x = nn.Identity()() local h = nn.Tanh()(x) local dangling = nn.ReLU()(h)\n"
     "nn.gModule({x}, {nn.Sigmoid()(h)})",
     "node declared on [user.lua]:1_ does not connect to gmodule output"),
    ("local x = nn.Identity()()\nnn.CAddTable()({x, x})",
     "user.lua:2: Don't pass the same input twice."),
    ("local x = nn.Identity()\nnn.Tanh()(x)",
     "user.lua:2: inputs[1] is an nn.Module, specifically a nn.Identity, but the only valid"),
    ("local x = nn.Identity()()\nnn.gModule({x}, {nn.Tanh()(x), nil, nn.ReLU()(x)})",
     "user.lua:2: outputs[2] is nil (typo / bad index?)"),
    ("local x = nn.Identity()()\nnn.Tanh()(x, x)",
     "user.lua:2: Use {input1, input2} to pass multiple inputs."),
    ("local x = nn.Identity()()\nnn.CAddTable()({})",
     "user.lua:2: cannot pass an empty table of inputs."),
    ("local x, y = nn.Identity()(), nn.Identity()()\n"
     "local g = nn.gModule({x, y}, {nn.CAddTable()({x, y})})\ng:forward({torch.ones(2)})",
     "user.lua:3: Got 1 inputs instead of 2"),
    ("local x = nn.Identity()() local a, b = nn.SplitTable(1)(x):split(2)\n"
     "local g = nn.gModule({x}, {a, b})\ng:forward(torch.ones(3, 2))",
     "user.lua:3: split(2) cannot split 3 outputs"),
    ("local x = nn.Identity()()\nlocal a, b = x:split(2)\nnn.gModule({x}, {a})",
     "1 of split(2) outputs from the node declared at [user.lua]:1_ split at [user.lua]:2-mnode "
     "are unused"),
])
def test_errors(code: str, message: str) -> None:
    rt = Runtime()
    rt.execute("require 'nngraph'")
    with pytest.raises(LuaError) as info:
        rt.execute(code, "@user.lua")
    assert message in info.value.message, info.value.message


def test_dot_export_and_debug(tmp_path: pathlib.Path) -> None:
    rt = Runtime()
    rt.execute(f"""
      require 'nngraph'
      local x = nn.Identity()()
      local h = nn.Linear(3, 2)(x):annotate{{name = 'proj',
                                             graphAttributes = {{color = 'blue'}}}}
      g = nn.gModule({{x}}, {{nn.Tanh()(h)}})
      fname = g:graph('{tmp_path}/g')
      bdot = g.bg:todot('back')
      nngraph.setDebug(true)
      g.name = 'broken'
      ok, err = pcall(function() return g:forward(torch.ones(4)) end)
    """)
    dot = pathlib.Path(rt.eval("fname")).read_text()
    assert rt.eval("fname") == f"{tmp_path}/g.dot"
    assert dot.startswith("digraph G {") and dot.rstrip().endswith("}")
    # nodes numbered as nngraph numbers them: the forward graph lists each edge's ends as it
    # turns the backward graph's edges around (Tanh 1, the output node 2, proj 3, x 4, input 5)
    assert 'label="proj (3)\\nmodule = nn.Linear(3 -> 2)' in dot
    # attributes as torch/graph writes them: sorted, bare words unquoted
    assert 'color=blue label="proj (3)' in dot
    assert "n4 -> n3;" in dot and "n3 -> n1;" in dot and "n1 -> n2;" in dot
    assert "n2 -> n3;" in rt.eval("bdot")
    assert rt.eval("ok") is False
    err = rt.eval("err")
    assert "size mismatch" in err and "look at the graph in" in err
    debug_dot = pathlib.Path(err.split("look at the graph in ")[1].split(" ")[0]).read_text()
    assert debug_dot.count('fillcolor=red') == 1


def test_save_load_clone_type_share(ng: Runtime, tmp_path: pathlib.Path) -> None:
    ng.execute(f"""
      ref = g:forward({{in1, in2}})
      ref = {{ref[1]:clone(), ref[2]:clone()}}
      torch.save('{tmp_path}/g.t7', g)
      loaded = torch.load('{tmp_path}/g.t7')
      lout = loaded:forward({{in1, in2}})
      lgi = loaded:backward({{in1, in2}}, {{w1, w2}})
      c = g:clone()
      cout = c:forward({{in1, in2}})
      s = g:clone('weight', 'bias')
      f = g:clone():float()
      fout = f:forward({{in1:float(), in2:float()}})
    """)
    for out in ("lout", "cout"):
        for i in (1, 2):
            np.testing.assert_allclose(arr(ng, f"{out}[{i}]"), arr(ng, f"ref[{i}]"), rtol=1e-12)
    assert ng.eval("torch.type(loaded)") == "nn.gModule"
    assert ng.eval("#loaded.forwardnodes") == ng.eval("#g.forwardnodes")
    assert ng.eval("torch.type(fout[1])") == "torch.FloatTensor"
    np.testing.assert_allclose(arr(ng, "fout[1]"), arr(ng, "ref[1]"), rtol=1e-5)
    # clone('weight', 'bias') shares parameters, a plain clone does not
    ng.execute("g.modules[2].weight:fill(0.5)")
    assert arr(ng, "s.modules[2].weight").max() == 0.5
    assert arr(ng, "c.modules[2].weight").max() != 0.5


def test_training_evaluate_reach_modules() -> None:
    rt = Runtime()
    rt.execute("""
      require 'nngraph'
      local x = nn.Identity()()
      g = nn.gModule({x}, {nn.Dropout(0.5)(x)})
      g:evaluate()
      same = g:forward(torch.ones(100)):eq(1):all()
      g:training()
      dropped = g:forward(torch.ones(100)):eq(0):sum()
    """)
    assert rt.eval("same") is True
    assert rt.eval("dropped") > 10


def test_criterion_as_node() -> None:
    rt = Runtime()
    rt.execute("""
      require 'nngraph'
      local x, y = nn.Identity()(), nn.Identity()()
      local pred = nn.Linear(3, 2)(x)
      local loss = nn.MSECriterion()({pred, y})
      g = nn.gModule({x, y}, {loss})
      inp, target = torch.randn(4, 3), torch.randn(4, 2)
      out = g:forward({inp, target})
      local crit, lin = nn.MSECriterion(), g.modules[2]
      expect = crit:forward(lin:forward(inp), target)
      gi = g:backward({inp, target}, torch.Tensor{2})
      gi1 = gi[1]:clone()
      egi = lin:updateGradInput(inp, crit:backward(lin.output, target)):clone():mul(2)
    """)
    assert rt.eval("torch.type(g.modules[4])") == "nn.ModuleFromCriterion"
    assert rt.eval("out:nElement()") == 1
    assert abs(rt.eval("out[1]") - rt.eval("expect")) < 1e-6
    np.testing.assert_allclose(arr(rt, "gi1"), arr(rt, "egi"), rtol=1e-5)
    assert arr(rt, "gi[2]").max() == 0


def test_node_label_depth_matches_torch7() -> None:
    """Regression: class constructors and module calls keep their stack frames, as luaT's C
    handlers did, so nngraph's debug.getinfo(6) inside Node:__init lands on the user's line."""
    rt = Runtime()
    rt.execute("""
      require 'nngraph'
      local Probe = torch.class('nngraph.ProbeNode', 'nngraph.Node')
      function Probe:__init(data)
         nngraph.Node.__init(self, data)
         local info = debug.getinfo(6, 'Sl')
         where = info.short_src .. ':' .. info.currentline
      end
      local M = torch.class('nn.ProbeModule', 'nn.Identity')
      function M:__call__()
         local node = nngraph.ProbeNode({module = self})
         return node
      end
      local x = nn.ProbeModule()()
    """, "@user.lua")
    assert rt.eval("where") == "user.lua:14"


def test_replace_nest_and_just_modules() -> None:
    rt = Runtime()
    rt.execute("""
      require 'nngraph'
      torch.setdefaulttensortype('torch.DoubleTensor')
      local i = nn.Identity()()
      local l1 = nn.Linear(5, 2)(i)
      g = nn.gModule({i}, {nn.Linear(2, 5)(nn.Sigmoid()(l1))})
      g:replace(function(m)
         if torch.type(m) == 'nn.Sigmoid' then return nn.Tanh() end
         return m
      end)
      kinds = {}
      for k, m in ipairs(g.modules) do kinds[k] = torch.type(m) end
      x = torch.randn(3, 5)
      out = g:forward(x)
      l1m, l2m = g.modules[2], g.modules[4]
      expect = l2m:forward(torch.tanh(l1m:forward(x)))

      local a, b, c = nn.Identity()(), nn.Identity()(), nn.Identity()()
      local n = nn.gModule({a, b, c}, {nngraph.nest({a, {b}, c}), nngraph.nest({c})})
      va, vb, vc = torch.randn(2), torch.randn(3), torch.randn(4)
      nested = n:forward({va, vb, vc})

      je = nngraph.JustElement():forward({va})
      jt = nngraph.JustTable():forward(va)
      ok, err = pcall(function() nngraph.JustElement():forward({va, vb}) end)
    """)
    assert list(rt.eval("kinds").values()) == ["nn.Identity", "nn.Linear", "nn.Tanh", "nn.Linear"]
    np.testing.assert_array_equal(arr(rt, "out"), arr(rt, "expect"))
    assert rt.eval("nested[1][1] == va and nested[1][2][1] == vb and nested[1][3] == vc")
    assert rt.eval("nested[2][1] == vc and #nested[2] == 1")
    assert rt.eval("je == va and jt[1] == va")
    assert rt.eval("ok") is False and "expecting one element" in rt.eval("err")


def test_nesting_helpers() -> None:
    rt = Runtime()
    rt.execute("""
      require 'nngraph'
      local nesting = require 'nngraph.nesting'
      local src = {torch.ones(2), {torch.ones(3) * 2}}
      local c = nesting.cloneNested(src)
      c[1]:fill(5)
      untouched = src[1][1]
      local out = {torch.zeros(1), {torch.zeros(1)}, torch.zeros(9)}
      nesting.resizeNestedAs(out, src)
      sizes = {out[1]:nElement(), out[2][1]:nElement(), out[3] == nil}
      nesting.fillNested(out, 1)
      nesting.addNestedTo(out, src)
      sums = {out[1]:sum(), out[2][1]:sum()}
      nesting.copyNested(out, src)
      copied = out[2][1]:sum()
      local extra = {torch.zeros(2), {torch.zeros(3)}, torch.zeros(1)}
      ok, err = pcall(nesting.copyNested, extra, src)
    """)
    assert rt.eval("untouched") == 1
    assert list(rt.eval("sizes").values()) == [2, 3, True]
    assert list(rt.eval("sums").values()) == [4, 9]
    assert rt.eval("copied") == 6
    assert rt.eval("ok") is False and "present in output but not in input" in rt.eval("err")


def test_layout_and_type_keep_nngraphs_structures() -> None:
    """Regression: a gModule has nngraph's layout (innode/outnode, fg/bg, forwardnodes and
    backwardnodes, data.input and data.gradOutput lists) and :float() converts what its nodes
    hold instead of dropping it, as upstream's test_type reads."""
    rt = Runtime()
    rt.execute("""
      require 'nngraph'
      torch.setdefaulttensortype('torch.DoubleTensor')
      x, y = nn.Identity()(), nn.Identity()()
      h = nn.Linear(3, 3)(x)
      sum = nn.CAddTable()({nn.Tanh()(h), h, y})
      g = nn.gModule({x, y}, {sum, nn.Sigmoid()(h)})
      in1, in2, w1, w2 = torch.randn(2, 3), torch.randn(2, 3), torch.randn(2, 3), torch.randn(2, 3)
      out = g:forward({in1, in2})
      gi = g:backward({in1, in2}, {w1, w2})
      fx = nil
      for _, node in ipairs(g.forwardnodes) do
         if node.data == x.data then fx = node end
      end
      -- the forward graph's node for h: its children are h's successors
      fh = nil
      for _, node in ipairs(g.forwardnodes) do
         if node.data == h.data then fh = node end
      end
      bgHasX = g.bg.nodes[x] ~= nil
      fgHasX = g.fg.nodes[x] ~= nil
    """)
    e = rt.eval
    assert e("g.nInputs") == 2
    assert e("g.forwardnodes[1] == g.innode and g.backwardnodes[1] == g.outnode")
    assert e("#g.forwardnodes == #g.backwardnodes and #g.forwardnodes == #g.fg.nodes")
    assert e("g.forwardnodes[#g.forwardnodes].data == g.outnode.data")
    # the innode splits the input table: innode -> split node -> one select node per input
    assert e("#g.innode.children == 1 and g.innode.children[1].data.nSplitOutputs == 2")
    # backward graph: the user's own nodes; forward graph: twins sharing their data
    assert e("bgHasX and not fgHasX and fx ~= x and fx.data == x.data")
    assert e("#fh.children == 3 and #h.children == 1 and h.children[1] == x")
    assert e("#g.outnode.children == 2 and g.outnode.children[1] == sum")
    # data.input: the list of a node's inputs; the outnode's is the output table itself
    assert e("g.innode.data.input[1] == in1 and g.innode.data.input[2] == in2")
    assert e("x.data.input[1] == in1 and #sum.data.input == 3 and sum.data.input[3] == in2")
    assert e("g.output == g.outnode.data.input and out == g.output")
    # data.gradOutput: the pieces sent back; h gets three (Tanh, CAddTable, Sigmoid)
    assert e("g.outnode.data.gradOutput[1][1] == w1")
    assert e("sum.data.gradOutput[1] == w1 and #h.data.gradOutput == 3")
    np.testing.assert_allclose(
        arr(rt, "h.data.gradOutputBuffer"),
        arr(rt, "h.data.gradOutput[1] + h.data.gradOutput[2] + h.data.gradOutput[3]"))
    assert e("g.gradInput == g.innode.data.gradOutput[1] and gi == g.gradInput")

    rt.execute("g:float()")
    for what in ("g.output[1]", "g.output[2]", "g.gradInput[1]", "g.innode.data.input[1]",
                 "g.outnode.data.input[1]", "x.data.input[1]", "sum.data.input[2]",
                 "g.outnode.data.gradOutput[1][1]", "h.data.gradOutput[2]",
                 "h.data.gradOutputBuffer", "g.backwardnodes[1].children[1].data.gradOutput[1]"):
        assert e(f"torch.type({what})") == "torch.FloatTensor", what
    # one conversion per tensor: the node's input is still the Linear's output
    assert e("sum.data.input[2] == h.data.module.output")
    rt.execute("""
      fout = g:forward({in1:float(), in2:float()})
      fgi = g:backward({in1:float(), in2:float()}, {w1:float(), w2:float()})
    """)
    assert e("torch.type(fout[1])") == "torch.FloatTensor"
    assert e("torch.type(fgi[2])") == "torch.FloatTensor"

    rt.execute("g:clearState()")
    assert e("x.data.input == nil and h.data.gradOutput == nil and h.data.gradOutputBuffer == nil")
