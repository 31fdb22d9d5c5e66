-- A directed graph: `nodes` lists the nodes in the order they joined and maps each to its place,
-- `edges` does the same for its graph.Edges. Adding an edge also makes its `to` a child of its
-- `from`, so the nodes alone can be walked.
local Graph = torch.class('graph.Graph')

function Graph:__init()
   self.nodes = {}
   self.edges = {}
end

local function join(list, x)
   if not list[x] then
      list[#list + 1] = x
      list[x] = #list
   end
end

-- a single edge rather than a list of them: a graph.Edge, or a plain {from =, to =} as files
-- from older luatorch versions hold
local function isEdge(e)
   return torch.typename(e) ~= nil or (e.from ~= nil and e.to ~= nil)
end

--- Add an edge, or each edge of a list; a node's id becomes its place in this graph.
function Graph:add(edge)
   if type(edge) ~= 'table' then torch._error('graph.Edge or {graph.Edges} expected') end
   if not isEdge(edge) then
      for _, e in ipairs(edge) do self:add(e) end
      return
   end
   join(self.edges, edge)
   join(self.nodes, edge.from)
   join(self.nodes, edge.to)
   edge.from:add(edge.to)
   edge.from.id = self.nodes[edge.from]
   edge.to.id = self.nodes[edge.to]
end

-- a fresh node of the same class as `node` holding the same data
local function twin(node)
   if node.new then return node.new(node.data) end
   return graph.Node(node.data)
end

local function newEdge(e, from, to)
   if torch.typename(e) then return e.new(from, to, e.weight) end
   return graph.Edge(from, to)
end

--- The same graph over new nodes that share the data of these.
function Graph:clone()
   local copy, map = graph.Graph(), {}
   for _, node in ipairs(self.nodes) do map[node] = twin(node) end
   for _, e in ipairs(self.edges) do copy:add(newEdge(e, map[e.from], map[e.to])) end
   return copy
end

--- The graph with every edge turned around, over new nodes that share the data of these;
--- also returns the map from each node here to its twin there.
function Graph:reverse()
   local rg, map = graph.Graph(), {}
   for _, e in ipairs(self.edges) do
      map[e.from] = map[e.from] or twin(e.from)
      map[e.to] = map[e.to] or twin(e.to)
      rg:add(newEdge(e, map[e.to], map[e.from]))
   end
   return rg, map
end

-- the nodes that are an end of some edge on `side` and never on the other, by their place
local function ends(self, side, other)
   local isOther, seen, out = {}, {}, {}
   for _, e in ipairs(self.edges) do isOther[e[other]] = true end
   for _, e in ipairs(self.edges) do
      local n = e[side]
      if not isOther[n] and not seen[n] then
         seen[n] = true
         out[#out + 1] = n
      end
   end
   table.sort(out, function(a, b) return self.nodes[a] < self.nodes[b] end)
   return out
end

--- Nodes no edge leads to.
function Graph:roots()
   return ends(self, 'from', 'to')
end

--- Nodes no edge leaves.
function Graph:leaves()
   return ends(self, 'to', 'from')
end

function Graph:hasCycle()
   local state = {}
   for _, node in ipairs(self.nodes) do
      if not state[node] and graph._cycleFrom(node, state) then return true end
   end
   return false
end

--- The nodes, each after every node with an edge to it. The order is torch/graph's (gModules
--- run their nodes in it): depth first through the reversed graph from its roots, in their
--- order, each node listed once all it leads to in the reversed graph are. Also returns the
--- reversed graph and its roots.
function Graph:topsort()
   local rg, map = self:reverse()
   local back = {}
   for node, twinNode in pairs(map) do back[twinNode] = node end
   local roots = rg:roots()
   if #roots == 0 and #self.nodes > 0 then torch._error('Graph has cycles') end
   -- states live here, not in the nodes' flags
   local sorted, state = {}, {}
   local function visit(node)
      state[node] = 'open'
      for _, child in ipairs(node.children) do
         local s = state[child]
         if s == 'open' then torch._error('Graph has cycles') end
         if not s then visit(child) end
      end
      state[node] = 'done'
      sorted[#sorted + 1] = back[node]
   end
   for _, root in ipairs(roots) do
      if not state[root] then visit(root) end
   end
   if #sorted ~= #self.nodes then torch._error('Graph has cycles') end
   return sorted, rg, roots
end

--- Graphviz text of the graph: a node's name and label, and its graphNodeAttributes if it
--- has them; nodes are numbered by their place in this graph.
function Graph:todot(title)
   local out = {'digraph G {\n'}
   if title then out[#out + 1] = 'labelloc="t";\nlabel=' .. graph._dotEscape(title) .. ';\n' end
   out[#out + 1] = 'node [shape = oval]; '
   local place = self.nodes
   for i, node in ipairs(place) do
      local name = node.graphNodeName and node:graphNodeName() or ('Node' .. i)
      local attrs = node.graphNodeAttributes and node:graphNodeAttributes() or {}
      attrs.label = name .. '\n' .. node:label()
      local keys = {}
      for k in pairs(attrs) do keys[#keys + 1] = k end
      table.sort(keys)
      local parts = {}
      for j, k in ipairs(keys) do
         parts[j] = tostring(k) .. '=' .. graph._dotEscape(tostring(attrs[k]))
      end
      out[#out + 1] = string.format('\nn%d[%s];', i, table.concat(parts, ' '))
   end
   out[#out + 1] = '\n'
   for _, e in ipairs(self.edges) do
      out[#out + 1] = string.format('n%d -> n%d;\n', place[e.from], place[e.to])
   end
   out[#out + 1] = '}'
   return table.concat(out)
end
