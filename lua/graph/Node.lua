-- A node of a graph.Graph: its data and the nodes its edges lead to. `children` is a list that
-- also maps each child to its place, and `visited`/`marked` are the flags torch/graph's walks
-- set, so a saved node has the fields a Torch7 one has.
local Node = torch.class('graph.Node')

function Node:__init(data)
   self.data = data
   self.id = 0
   self.children = {}
   self.visited = false
   self.marked = false
end

--- Add `child` (or each node of a plain list) after this node's children, once.
function Node:add(child)
   if type(child) == 'table' and not torch.typename(child) then
      for _, c in ipairs(child) do self:add(c) end
      return
   end
   local children = self.children
   if children[child] then return end
   children[#children + 1] = child
   children[child] = #children
end

--- Depth first from this node: pre(node) on the way in, post(node) on the way out, skipping
--- nodes whose `visited` flag is set (the callers set and clear it).
function Node:visit(pre, post)
   if self.visited then return end
   if pre then pre(self) end
   for _, child in ipairs(self.children) do child:visit(pre, post) end
   if post then post(self) end
end

--- func(node) for every node reached, each after all it leads to (post-order); returns the
--- nodes in that order and leaves their `visited` flags set.
function Node:dfs_dirty(func)
   local order = {}
   self:visit(function(node) node.visited = true end,
              function(node)
                 func(node)
                 order[#order + 1] = node
              end)
   return order
end

function Node:dfs(func)
   for _, node in ipairs(self:dfs_dirty(func)) do node.visited = false end
end

--- func(node) for every node reached, nearest first; returns them in that order and leaves
--- their `marked` flags set.
function Node:bfs_dirty(func)
   local queue, head = {self}, 1
   self.marked = true
   while queue[head] do
      local node = queue[head]
      head = head + 1
      func(node)
      for _, child in ipairs(node.children) do
         if not child.marked then
            child.marked = true
            queue[#queue + 1] = child
         end
      end
   end
   return queue
end

function Node:bfs(func)
   for _, node in ipairs(self:bfs_dirty(func)) do node.marked = false end
end

-- Whether a path from `node` comes back to a node it passed through; `state` (node -> 'open' or
-- 'done') lives with the caller, not in the flags, so a walk in progress elsewhere is left
-- alone, and a graph's check shares it across its nodes.
local function cycleFrom(node, state)
   state[node] = 'open'
   for _, child in ipairs(node.children) do
      local s = state[child]
      if s == 'open' then return true end
      if not s and cycleFrom(child, state) then return true end
   end
   state[node] = 'done'
   return false
end
graph._cycleFrom = cycleFrom

--- Whether some path from this node comes back to a node it passed through.
function Node:hasCycle()
   return cycleFrom(self, {})
end

function Node:label()
   return tostring(self.data)
end

--- The graph of every edge reachable from this node, nodes joining it nearest first.
function Node:graph()
   local g = graph.Graph()
   self:bfs(function(node)
      for _, child in ipairs(node.children) do g:add(graph.Edge(node, child)) end
   end)
   return g
end
