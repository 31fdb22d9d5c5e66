"""gModules in .t7 files: written by upstream nngraph + torch/graph, by luatorch before 47c8ebe."""

from __future__ import annotations

import collections
import os

import numpy as np
import pytest

from luatorch.runtime import Runtime
from luatorch.serialization import load_python
from luatorch.serialization.reader import TorchObject

DATA = os.path.join(os.path.dirname(__file__), "data")
UPSTREAM = [f"upstream_{n}{s}.t7" for n in ("charrnn_lstm", "two_in_two_out",
                                              "nested_in_sequential") for s in ("", "_ascii")]

# char-rnn's OneHot, which its LSTM holds: a script loading a char-rnn model defines it first
ONEHOT = """
local OneHot, parent = torch.class('OneHot', 'nn.Module')
function OneHot:updateOutput(input)
   self.output:resize(input:size(1), self.outputSize):zero()
   for i = 1, input:size(1) do self.output[i][input[i]] = 1 end
   return self.output
end
"""

# the largest difference between two tensors or (nested) lists of them; -1 when shapes differ
MAXDIFF = """
function maxdiff(a, b)
   if torch.isTensor(a) then
      if not a:isSameSizeAs(b) then return -1 end
      if a:nElement() == 0 then return 0 end
      return (a - b):abs():max()
   end
   if #a ~= #b then return -1 end
   local m = 0
   for i = 1, #a do
      local d = maxdiff(a[i], b[i])
      if d < 0 then return d end
      m = math.max(m, d)
   end
   return m
end
"""


def _fresh() -> Runtime:
    """A runtime with nn only: torch.load must find graph and nngraph's classes itself."""
    rt = Runtime()
    rt.execute("require 'nn'" + ONEHOT + MAXDIFF)
    return rt


def _run_record(rt: Runtime, path: str) -> tuple:
    """Load `path`, run its model forward and backward; the differences from what it gave."""
    rt.execute(f"""
      rec = torch.load('{path}')
      rec.model:zeroGradParameters()
      out = rec.model:forward(rec.input)
      gin = rec.model:backward(rec.input, rec.gradOutput)
    """)
    return rt.eval("maxdiff(out, rec.output)"), rt.eval("maxdiff(gin, rec.gradInput)")


@pytest.mark.parametrize("name", UPSTREAM)
def test_upstream_file_loads_and_runs(name: str) -> None:
    """Without `require 'nngraph'`: the classes load, and the numbers are upstream's."""
    rt = _fresh()
    assert _run_record(rt, os.path.join(DATA, name)) == (0, 0)
    assert rt.eval("package.loaded.nngraph ~= nil and package.loaded.graph ~= nil")
    g = "rec.model" if "nested" not in name else "rec.model.modules[2]"
    assert rt.eval(f"torch.type({g}.fg) .. ' ' .. torch.type({g}.bg.edges[1]) .. ' ' .. "
                   f"torch.type({g}.innode)") == "graph.Graph graph.Edge nngraph.Node"
    # a second pass runs too, reusing the state the file brought
    rt.execute("rec.model:forward(rec.input); rec.model:backward(rec.input, rec.gradOutput)")
    assert rt.eval("maxdiff(rec.model.output, rec.output)") == 0


def test_upstream_lstm_converts_and_resaves(tmp_path) -> None:
    rt = _fresh()
    path = os.path.join(DATA, "upstream_charrnn_lstm.t7")
    rt.execute(f"rec = torch.load('{path}')")
    rt.execute(f"torch.save('{tmp_path}/again.t7', rec)")
    assert _run_record(rt, f"{tmp_path}/again.t7") == (0, 0)
    rt.execute("""
      rec.model:float()
      local function f(x)
         if torch.isTensor(x) then return x:float() end
         local t = {}
         for i, v in ipairs(x) do t[i] = f(v) end
         return t
      end
      fout = rec.model:forward(f(rec.input))
    """)
    assert 0 <= rt.eval("maxdiff(fout, (function(o) local t = {} for i, v in ipairs(o) do "
                        "t[i] = v:float() end return t end)(rec.output))") < 1e-5


def _classes(path: str) -> dict:
    """Each torch class in a file and the union of its instances' field names."""
    fields: dict = collections.defaultdict(set)
    seen: set = set()

    def walk(x) -> None:
        if id(x) in seen:
            return
        seen.add(id(x))
        if isinstance(x, TorchObject):
            if isinstance(x.fields, dict):
                fields[x.typename] |= {k for k in x.fields if isinstance(k, (str, bytes))}
            walk(x.fields)
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(k)
                walk(v)

    walk(load_python(path, tensors="tensor"))
    return fields


def test_luatorch_saves_what_upstream_saves(tmp_path) -> None:
    """Our gModule, built by the fixture's script, gives upstream's numbers and is saved with
    upstream's classes and fields."""
    rt = Runtime()
    rt.execute("require 'nngraph'" + MAXDIFF + f"""
      torch.setdefaulttensortype('torch.DoubleTensor')
      torch.manualSeed(7)
      local x1, x2 = nn.Identity()(), nn.Identity()()
      local h = nn.Linear(3, 4)(x1)
      local a, b = nn.ConcatTable():add(nn.Tanh()):add(nn.Sigmoid())(h):split(2)
      local k = nn.Linear(2, 4)(x2)
      local o1 = nn.CAddTable()({{a, k}})
      local o2 = nn.CMulTable()({{nn.Linear(4, 4)(b), nn.Sigmoid()(k)}})
      g = nn.gModule({{x1, x2}}, {{o1, o2}})
      up = torch.load('{DATA}/upstream_two_in_two_out.t7')
      out = g:forward(up.input)
      gin = g:backward(up.input, up.gradOutput)
      torch.save('{tmp_path}/ours.t7', {{model = g}})
      same = {{}}
      for i, n in ipairs(g.forwardnodes) do
         local u = up.model.forwardnodes[i]
         same[i] = n.id == u.id and torch.type(n.data.module) == torch.type(u.data.module)
            and #n.children == #u.children
      end
    """)
    assert rt.eval("maxdiff(out, up.output)") == 0
    assert rt.eval("maxdiff(gin, up.gradInput)") == 0
    assert rt.eval("#g.forwardnodes == #up.model.forwardnodes")
    assert all(rt.eval("same").values())
    ours = _classes(f"{tmp_path}/ours.t7")
    theirs = _classes(os.path.join(DATA, "upstream_two_in_two_out.t7"))
    for cls in ("nn.gModule", "nngraph.Node", "graph.Graph", "graph.Edge"):
        assert ours[cls] == theirs[cls], cls
    assert set(ours) == set(theirs)


def test_old_luatorch_layout_is_relinked(tmp_path) -> None:
    """A gModule saved before 47c8ebe (inputnodes/outputnodes) runs, and saves in the new layout."""
    rt = _fresh()
    path = os.path.join(DATA, "old_layout_gmodule.t7")
    assert _run_record(rt, path) == (0, 0)
    assert rt.eval("rec.model.inputnodes == nil and rec.model.innode ~= nil")
    assert rt.eval("torch.type(rec.model.fg)") == "graph.Graph"
    # the modules keep their saved order (flattened parameters stay where they were)
    n = rt.eval("#rec.model.modules")
    assert n == 9
    rt.execute(f"torch.save('{tmp_path}/new.t7', rec)")
    assert _run_record(rt, f"{tmp_path}/new.t7") == (0, 0)
    assert rt.eval("rec.model.inputnodes == nil and rec.model.nInputs == 2")


def test_unknown_layout_is_one_clear_error() -> None:
    rt = _fresh()
    rt.execute("""
      require 'nngraph'
      local x = nn.Identity()()
      local g = nn.gModule({x}, {nn.Tanh()(x)})
      g.innode, g.forwardnodes = nil, nil
      s = torch.serialize(g)
      ok, err = pcall(torch.deserialize, s)
    """)
    assert rt.eval("ok") is False
    assert "neither innode nor inputnodes" in rt.eval("err")


def test_fixture_numbers_are_not_trivial() -> None:
    """The stored outputs are real numbers (a model giving zeros would pass the checks)."""
    rt = _fresh()
    for name in UPSTREAM[::2] + ["old_layout_gmodule.t7"]:
        rt.execute(f"r = torch.load('{DATA}/{name}')")
        o = rt.eval("(function(x) while not torch.isTensor(x) do x = x[1] end "
                    "return x:clone():abs():sum() end)(r.output)")
        assert np.isfinite(o) and o > 0
