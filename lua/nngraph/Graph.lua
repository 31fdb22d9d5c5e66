-- A directed graph over nngraph.Nodes, with torch/graph's layout: `nodes` lists the nodes in the
-- order they joined (and maps each node to its place there), `edges` lists {from = , to = }.
-- A gModule keeps two: `bg` over the user's own nodes (edges from a node to its inputs) and
-- `fg`, its reverse over new nodes sharing their `data` (edges from a node to its successors).
local Graph = torch.class('nngraph.Graph')

function Graph:__init()
   self.nodes = {}
   self.edges = {}
end

local function join(self, node)
   local nodes = self.nodes
   if not nodes[node] then
      nodes[#nodes + 1] = node
      nodes[node] = #nodes
   end
   -- a node's id is its place in the graph it last joined, as graph.Graph numbers them
   node.id = nodes[node]
end

local function hasChild(node, child)
   for _, c in ipairs(node.children) do
      if c == child then return true end
   end
   return false
end

--- Add an edge {from = a, to = b} (or a list of them); `b` becomes one of `a`'s children.
function Graph:add(edge)
   if type(edge) ~= 'table' then torch._error('an edge or a list of edges expected') end
   if edge.from == nil then
      for _, e in ipairs(edge) do self:add(e) end
      return
   end
   table.insert(self.edges, edge)
   join(self, edge.from)
   join(self, edge.to)
   if not hasChild(edge.from, edge.to) then table.insert(edge.from.children, edge.to) end
end

-- a node of the same class as `node` holding the same data table, not yet linked to any
local function twin(node)
   local copy = torch.factory(torch.typename(node))()
   copy.data = node.data
   copy.children = {}
   return copy
end

--- The graph with every edge turned around, over new nodes that share the data of these;
--- also returns the map from each node here to its twin there.
function Graph:reverse()
   local rg, map = nngraph.Graph(), {}
   for _, e in ipairs(self.edges) do
      map[e.from] = map[e.from] or twin(e.from)
      map[e.to] = map[e.to] or twin(e.to)
      rg:add({from = map[e.to], to = map[e.from]})
   end
   return rg, map
end

-- nodes that are an end of some edge of `side` and never of the other, in the order the
-- reversed graph would list them (torch/graph sorts its roots that way)
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

--- The nodes in an order where each comes after every node with an edge to it: a depth-first
--- walk against the edges from the leaves, each node listed once all it comes from are, in the
--- order torch/graph's topsort gives (gModule's forwardnodes and backwardnodes are these).
function Graph:topsort()
   -- each node's predecessors in edge order, and the leaves in the order the reversed graph
   -- would hold them (its nodes join as the `to`, then the `from`, of each edge)
   local preds, place, order = {}, {}, {}
   local hasOut = {}
   for _, e in ipairs(self.edges) do
      hasOut[e.from] = true
      local p = preds[e.to]
      if not p then
         p = {}
         preds[e.to] = p
      end
      p[#p + 1] = e.from
      for _, n in ipairs({e.to, e.from}) do
         if not place[n] then
            order[#order + 1] = n
            place[n] = #order
         end
      end
   end
   local leaves = {}
   for _, n in ipairs(order) do
      if not hasOut[n] then leaves[#leaves + 1] = n end
   end
   local sorted, state = {}, {}
   local function visit(node)
      state[node] = 'open'
      for _, p in ipairs(preds[node] or {}) do
         local s = state[p]
         if s == 'open' then torch._error('Graph has cycles') end
         if not s then visit(p) end
      end
      state[node] = 'done'
      sorted[#sorted + 1] = node
   end
   for _, n in ipairs(leaves) do
      if not state[n] then visit(n) end
   end
   if #sorted ~= #self.nodes then torch._error('Graph has cycles') end
   return sorted
end

local function quote(s)
   -- labels keep graphviz's own \n and \l line breaks
   return '"' .. tostring(s):gsub('"', '\\"') .. '"'
end

--- Graphviz text of the graph; a node's `graphAttributes` annotation styles it.
function Graph:todot(title)
   local out = {'digraph G {', '\tlabelloc="t";', '\tlabel=' .. quote(title or 'G') .. ';',
                '\tnode [shape = oval]; '}
   for _, node in ipairs(self.nodes) do
      local attrs = {label = node:graphNodeName() .. '\\n' .. node:label()}
      attrs.tooltip = node.data.annotations._debugLabel
      for k, v in pairs(node.data.annotations.graphAttributes or {}) do attrs[k] = v end
      local keys = {}
      for k in pairs(attrs) do table.insert(keys, k) end
      table.sort(keys)
      local parts = {}
      for _, k in ipairs(keys) do table.insert(parts, k .. '=' .. quote(attrs[k])) end
      table.insert(out, string.format('\tn%d[%s];', self.nodes[node],
                                      table.concat(parts, ', ')))
   end
   for _, e in ipairs(self.edges) do
      table.insert(out, string.format('\tn%d -> n%d;', self.nodes[e.from], self.nodes[e.to]))
   end
   table.insert(out, '}')
   return table.concat(out, '\n') .. '\n'
end

--- Write the graph to `fname` (".dot" added when missing); returns the file name.
function Graph:dot(title, fname)
   if not fname:match('%.dot$') then fname = fname .. '.dot' end
   local f = io.open(fname, 'w')
   if not f then torch._error('cannot write ' .. fname) end
   f:write(self:todot(title))
   f:close()
   return fname
end
