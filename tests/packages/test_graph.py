"""graph: torch/graph's graphs (graph.Graph, graph.Edge, graph.Node, graph.AnnotatedNode)."""

from __future__ import annotations

import pathlib

from luatorch.runtime import Runtime
from tests.conftest import lua_list

PACKAGE = "graph"

# n1 -> n2, n1 -> n3, n2 -> n3, n2 -> n4, n3 -> n4 (torch/graph's own topsort example)
DIAMOND = """
n = {}
for i = 1, 4 do n[i] = graph.Node(i) end
g = graph.Graph()
g:add(graph.Edge(n[1], n[2]))
g:add({graph.Edge(n[1], n[3]), graph.Edge(n[2], n[3])})
g:add(graph.Edge(n[2], n[4]))
g:add(graph.Edge(n[3], n[4]))
function datas(list)
   local t = {}
   for i, node in ipairs(list) do t[i] = node.data end
   return t
end
"""


def test_layout_and_ids(r: Runtime) -> None:
    r.execute(DIAMOND)
    assert r.eval("#g.nodes") == 4 and r.eval("#g.edges") == 5
    assert r.eval("g.nodes[n[3]]") == 3 and r.eval("g.edges[g.edges[2]]") == 2
    assert r.eval("torch.type(g.edges[1])") == "graph.Edge"
    # children list each child once and map it to its place
    assert lua_list(r.eval("datas(n[2].children)")) == [3, 4]
    assert r.eval("n[2].children[n[4]]") == 2
    assert r.eval("n[1].visited == false and n[1].marked == false and n[4].id == 4")


def test_topsort_roots_leaves(r: Runtime) -> None:
    r.execute(DIAMOND)
    assert lua_list(r.eval("datas(g:topsort())")) == [1, 2, 3, 4]
    assert lua_list(r.eval("datas(g:roots())")) == [1]
    assert lua_list(r.eval("datas(g:leaves())")) == [4]
    r.execute("""
      n0, n5 = graph.Node(0), graph.Node(5)
      g:add(graph.Edge(n0, n[2]))
      g:add(graph.Edge(n[3], n5))
      sorted, rg, rroots = g:topsort()
    """)
    assert lua_list(r.eval("datas(g:roots())")) == [1, 0]
    assert lua_list(r.eval("datas(g:leaves())")) == [4, 5]
    # torch/graph's order: depth first through the reversed graph from its roots (4, then 5)
    assert lua_list(r.eval("datas(sorted)")) == [1, 0, 2, 3, 4, 5]
    assert lua_list(r.eval("datas(rroots)")) == [4, 5]
    assert r.eval("torch.type(rg)") == "graph.Graph"


def test_reverse_and_clone_share_data(r: Runtime) -> None:
    r.execute(DIAMOND + """
      t = {}
      for i = 1, 3 do t[i] = graph.Node({v = i}) end
      h = graph.Graph()
      h:add(graph.Edge(t[1], t[2]))
      h:add(graph.Edge(t[2], t[3]))
      rh, map = h:reverse()
      c = h:clone()
    """)
    assert r.eval("map[t[1]] ~= t[1] and map[t[1]].data == t[1].data")
    assert r.eval("rh:roots()[1].data.v") == 3 and r.eval("rh:leaves()[1].data.v") == 1
    assert r.eval("#rh.edges == 2 and rh.edges[1].from == map[t[2]]")
    assert r.eval("c.nodes[1] ~= t[1] and c.nodes[1].data == t[1].data and #c.edges == 2")


def test_walks_and_cycles(r: Runtime) -> None:
    r.execute(DIAMOND + """
      seen_dfs, seen_bfs = {}, {}
      n[1]:dfs(function(node) seen_dfs[#seen_dfs + 1] = node.data end)
      n[1]:bfs(function(node) seen_bfs[#seen_bfs + 1] = node.data end)
      flags = n[3].visited or n[3].marked
      acyclic = g:hasCycle()
      g:add(graph.Edge(n[4], n[2]))
      cyclic, nodecyc = g:hasCycle(), n[1]:hasCycle()
      ok, err = pcall(function() return g:topsort() end)
    """)
    assert lua_list(r.eval("seen_dfs")) == [4, 3, 2, 1]
    assert lua_list(r.eval("seen_bfs")) == [1, 2, 3, 4]
    assert r.eval("flags") is False
    assert r.eval("acyclic") is False and r.eval("cyclic") is True and r.eval("nodecyc") is True
    assert r.eval("ok") is False and "Graph has cycles" in r.eval("err")


def test_annotated_node_and_dot(r: Runtime, tmp_path: pathlib.Path) -> None:
    r.execute(f"""
      a = graph.AnnotatedNode({{x = 1}}):annotate{{name = 'in', description = 'first',
                                                  graphAttributes = {{color = 'red'}}}}
      b = graph.AnnotatedNode({{y = 2}})
      g = graph.Graph()
      g:add(graph.Edge(a, b))
      fname = graph.dot(g, 'My graph', '{tmp_path}/g')
    """)
    assert r.eval("torch.isTypeOf(a, 'graph.Node')")
    assert r.eval("a:graphNodeName()") == "in (1)" and r.eval("b:graphNodeName()") == "Node2"
    dot = pathlib.Path(r.eval("fname")).read_text()
    assert r.eval("fname") == f"{tmp_path}/g.dot"
    assert 'label="My graph";' in dot
    assert 'n1[color=red label="in (1)\\ndesc = first\\lx = 1" tooltip="[' in dot
    assert "n1 -> n2;" in dot
    assert r.eval("graph._dotEscape('red')") == "red"
    assert r.eval("graph._dotEscape('Say \"hi\"\\n')") == '"Say \\"hi\\"\\n"'


def test_nngraph_nodes_are_graph_nodes() -> None:
    rt = Runtime()
    rt.execute("""
      require 'nngraph'
      x = nn.Identity()()
      g = nn.gModule({x}, {nn.Tanh()(nn.Linear(2, 2)(x))})
    """)
    assert rt.eval("torch.isTypeOf(x, 'graph.AnnotatedNode') and torch.isTypeOf(x, 'graph.Node')")
    assert rt.eval("torch.type(g.fg) .. torch.type(g.bg.edges[1])") == "graph.Graphgraph.Edge"
    # the forward order is fg's topsort, the dummy input node first and output node last
    assert rt.eval("g.forwardnodes[1] == g.innode and g.backwardnodes[1].data == g.outnode.data")
