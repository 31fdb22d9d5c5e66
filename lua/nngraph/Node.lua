-- A node of an nngraph graph: a module (or a split/select step) and the nodes it reads from.
-- Its `data` table is what char-rnn and other scripts reach into (`node.data.module`,
-- `node.data.annotations.name`, `node.data.input`), so it keeps nngraph's layout. The nodes a
-- user builds list their inputs as `children`; a gModule's forward graph holds other nodes,
-- sharing the same `data`, whose children are their successors. It is a graph.AnnotatedNode,
-- as Torch7's nngraph nodes are graph nodes, so saved graphs have the same classes and fields.
require 'graph'

local Node, parent = torch.class('nngraph.Node', 'graph.AnnotatedNode')

function Node:__init(data)
   parent.__init(self, data)
   -- inputs in the order they were given (mapindex[i] is the i-th input's data, and
   -- mapindex[data] its place), and the nodes that later took this one as input
   self.data.mapindex = self.data.mapindex or {}
   self.data.reverseMap = self.data.reverseMap or {}
end

--- Make `child` one of this node's children. With `domap`, the child is this node's next
--- input: its place is recorded (the order the module sees its inputs in) and the child learns
--- it has a consumer. Without, it is only an edge, as a graph's own links are.
function Node:add(child, domap)
   if domap then
      local mapindex = self.data.mapindex
      local data = child.data
      if mapindex[data] then
         torch._error("Don't pass the same input twice.")
      end
      if data.reverseMap[self] then
         torch._error('this connection has already been made!')
      end
      table.insert(mapindex, data)
      mapindex[data] = #mapindex
      data.reverseMap[self] = true
   end
   parent.add(self, child)
end

--- `n` nodes, each carrying one element of this node's table output, in order. They read a
--- node of their own (nngraph's "mnode") that stands for the whole table and checks its size;
--- one element is a JustElement, which unwraps it.
function Node:split(n)
   if type(n) ~= 'number' or n < 1 then
      torch._error('split expects a number of outputs >= 1')
   end
   if n == 1 then return nngraph.JustElement()(self) end
   local label = self.data.annotations._debugLabel
   local mnode = nngraph.Node({nSplitOutputs = n, annotations = {
      _debugLabel = label .. ' split at ' .. graph._callerPos() .. '-mnode'}})
   mnode:add(self, true)
   local nodes = {}
   for i = 1, n do
      local node = nngraph.Node({selectindex = i, input = {},
                                 annotations = {_debugLabel = label .. '-' .. i}})
      node:add(mnode, true)
      nodes[i] = node
   end
   return unpack(nodes)
end

local function describe(v)
   if torch.isTensor(v) then
      local t = v:type() == torch.Tensor():type() and 'Tensor' or v:type()
      return t .. '[' .. table.concat(v:size():totable(), 'x') .. ']'
   elseif type(v) == 'table' and not torch.typename(v) then
      local parts = {}
      for i, x in ipairs(v) do parts[i] = describe(x) end
      return '{' .. table.concat(parts, ',') .. '}'
   end
   return (tostring(v):gsub('\n', '\\l'))
end

--- The text shown inside the node in a .dot drawing.
function Node:label()
   local d = self.data
   local lines = {}
   if d.annotations.description then
      table.insert(lines, 'desc = ' .. d.annotations.description)
   end
   if d.module then table.insert(lines, 'module = ' .. describe(d.module)) end
   if d.selectindex then table.insert(lines, 'selectindex = ' .. d.selectindex) end
   if d.nSplitOutputs then table.insert(lines, 'nSplitOutputs = ' .. d.nSplitOutputs) end
   if #d.mapindex > 1 then
      -- which node feeds which input, by the nodes' numbers in the forward graph
      local ids = {}
      for i, input in ipairs(d.mapindex) do ids[i] = 'Node' .. (input.forwardNodeId or '') end
      table.insert(lines, 'mapindex = {' .. table.concat(ids, ',') .. '}')
   end
   if d.input ~= nil then table.insert(lines, 'input = ' .. describe(d.input)) end
   if d.gradOutput ~= nil then
      table.insert(lines, 'gradOutput = ' .. describe(d.gradOutput))
   end
   return table.concat(lines, '\\l')
end

function Node:__tostring__()
   return 'nngraph.Node ' .. self:graphNodeName()
end

-- x - nn.Linear(2, 3) - nn.Tanh(): the module takes the node as input
function Node.__sub__(prev, nxt)
   return nxt(prev)
end
