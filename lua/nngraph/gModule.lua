-- A module whose computation is a graph of nngraph.Nodes, built by nn.gModule(inputs, outputs).
local gModule, parent = torch.class('nn.gModule', 'nn.Container')

local function isNode(x)
   return torch.typename(x) == 'nngraph.Node'
end

local function istable(x)
   return type(x) == 'table' and not torch.typename(x)
end

local function checkNodes(list, what)
   if not istable(list) then
      torch._error(string.format('expecting a table of nngraph.Node %s', what))
   end
   for i = 1, table.maxn(list) do
      if not isNode(list[i]) then
         torch._error(nngraph.expectingNodeErrorMessage(list[i], what, i))
      end
   end
end

-- every node the outputs depend on, each after its inputs (depth first from the outputs)
local function topsort(outputs)
   local order, state = {}, {}
   local function visit(node)
      local s = state[node]
      if s == 'done' then return end
      if s == 'open' then torch._error('the graph has a cycle') end
      state[node] = 'open'
      for _, child in ipairs(node.children) do visit(child) end
      state[node] = 'done'
      table.insert(order, node)
   end
   for _, node in ipairs(outputs) do visit(node) end
   return order
end

function gModule:__init(inputs, outputs)
   parent.__init(self)
   checkNodes(inputs, 'inputs')
   checkNodes(outputs, 'outputs')
   if #inputs == 0 then torch._error('no inputs are not supported') end
   for i, node in ipairs(inputs) do
      if #node.children > 0 then torch._error('an input should have no inputs') end
      if node.data.inputIndex and node.data.inputIndex ~= i then
         torch._error("Don't pass the same input twice.")
      end
      node.data.inputIndex = i
   end
   local seen = {}
   for _, node in ipairs(outputs) do
      if seen[node] then torch._error("Don't pass the same input twice.") end
      seen[node] = true
   end
   self.inputnodes = inputs
   self.outputnodes = outputs
   self.forwardnodes = topsort(outputs)
   self:_check()

   local index, edges = {}, {}
   for i, node in ipairs(self.forwardnodes) do
      node.id = i
      node.data.forwardNodeId = i
      index[node] = i
      if node.data.module then self:add(node.data.module) end
   end
   -- consumers of each node, for distributing gradients in reverse order
   self.backwardnodes = {}
   for i = #self.forwardnodes, 1, -1 do
      table.insert(self.backwardnodes, self.forwardnodes[i])
   end
   for _, node in ipairs(self.forwardnodes) do
      for _, child in ipairs(node.children) do table.insert(edges, {child, node}) end
   end
   local redges = {}
   for i, e in ipairs(edges) do redges[i] = {e[2], e[1]} end
   self.fg = nngraph.Graph(self.forwardnodes, edges)
   self.bg = nngraph.Graph(self.backwardnodes, redges)
   self.output = nil
   self.gradInput = nil
end

-- nngraph's checks: every input used, every split output used, no dangling consumers
function gModule:_check()
   local inGraph, selectUsed = {}, {}
   for _, node in ipairs(self.forwardnodes) do
      inGraph[node] = true
      if node.data.selectindex then
         local src = node.children[1]
         selectUsed[src] = (selectUsed[src] or 0) + 1
      end
   end
   for i, node in ipairs(self.inputnodes) do
      if not inGraph[node] then
         torch._error(string.format('input %d of the gModule (the node declared at %s) does '
            .. 'not connect to gmodule output', i, node.data.annotations._debugLabel))
      end
   end
   for _, node in ipairs(self.forwardnodes) do
      local n = node.data.nSplitOutputs
      if n and (selectUsed[node] or 0) ~= n then
         local ann = node.data.annotations
         torch._error(string.format('%d of split(%d) outputs from the node declared at %s '
            .. 'split at %s-mnode are unused', n - (selectUsed[node] or 0), n, ann._debugLabel,
            ann._splitLabel or '?'))
      end
      for succ in pairs(node.data.reverseMap) do
         if not inGraph[succ] then
            torch._error(string.format('node declared on %s does not connect to gmodule output',
               succ.data.annotations._debugLabel))
         end
      end
   end
end

-- the value a node works on, from the gModule's inputs or its own inputs' outputs
local function gatherInput(node, inputs)
   local d = node.data
   if d.inputIndex then return inputs[d.inputIndex] end
   if d.selectindex then
      local src = node.children[1].data
      local value = src.output
      if not istable(value) then
         torch._error('the input for a split should be a table')
      end
      if #value ~= src.nSplitOutputs then
         torch._error(string.format('split(%d) cannot split %d outputs', src.nSplitOutputs,
                                    #value))
      end
      return value[d.selectindex]
   end
   if #node.children == 1 then return node.children[1].data.output end
   local t = {}
   for i, child in ipairs(node.children) do t[i] = child.data.output end
   return t
end

local function debugFailure(self, node, err)
   if not nngraph.debug then error(err, 0) end
   local name = self.name or 'nngraph'
   local attrs = node.data.annotations.graphAttributes or {}
   node.data.annotations.graphAttributes = {color = 'red', style = 'filled', fillcolor = 'red'}
   local fname = self.fg:dot(name, os.getenv('TMPDIR') and os.getenv('TMPDIR') .. '/' .. name
                             or '/tmp/' .. name)
   node.data.annotations.graphAttributes = attrs
   error(tostring(err) .. '\nFor more details, look at the graph in ' .. fname
         .. ' (the failing node is red)', 0)
end

local function runNode(self, node, method, ...)
   local module = node.data.module
   if not nngraph.debug then return module[method](module, ...) end
   local args = {...}
   local ok, res = pcall(function() return module[method](module, unpack(args)) end)
   if not ok then debugFailure(self, node, res) end
   return res
end

function gModule:updateOutput(input)
   local inputs = input
   local nIn = #self.inputnodes
   if nIn == 1 then
      inputs = {input}
   elseif not istable(input) then
      torch._error(string.format('expecting table of %d inputs', nIn))
   elseif #input ~= nIn then
      torch._error(string.format('Got %d inputs instead of %d', #input, nIn))
   end
   for _, node in ipairs(self.forwardnodes) do
      local d = node.data
      d.input = gatherInput(node, inputs)
      if d.module then
         d.output = runNode(self, node, 'updateOutput', d.input)
      else
         d.output = d.input
      end
   end
   if #self.outputnodes == 1 then
      self.output = self.outputnodes[1].data.output
   else
      local out = {}
      for i, node in ipairs(self.outputnodes) do out[i] = node.data.output end
      self.output = out
   end
   return self.output
end

-- sum of gradient pieces, into a buffer of the node's own (modules reuse their gradInput)
local function sumInto(buf, x)
   if torch.isTensor(x) then
      if not torch.isTensor(buf) then buf = x.new() end
      return buf:resizeAs(x):copy(x), true
   end
   buf = istable(buf) and buf or {}
   for k in pairs(buf) do if x[k] == nil then buf[k] = nil end end
   for k, v in pairs(x) do buf[k] = sumInto(buf[k], v) end
   return buf
end

local function addInto(acc, x)
   if x == nil then return acc end
   if torch.isTensor(acc) then return acc:add(x) end
   for k, v in pairs(x) do
      if acc[k] == nil then acc[k] = sumInto(nil, v) else acc[k] = addInto(acc[k], v) end
   end
   return acc
end

local function contribute(d, g, index)
   if index then g = {[index] = g} end
   d.gradPieces = d.gradPieces or {}
   table.insert(d.gradPieces, g)
end

local function gradientOf(d)
   local pieces = d.gradPieces
   d.gradPieces = nil
   if not pieces then return nil end
   if #pieces == 1 and not d.nSplitOutputs then return pieces[1] end
   local acc = sumInto(d.gradOutputBuffer, pieces[1])
   for i = 2, #pieces do acc = addInto(acc, pieces[i]) end
   d.gradOutputBuffer = acc
   return acc
end

function gModule:updateGradInput(input, gradOutput)
   local nOut = #self.outputnodes
   if nOut == 1 then
      contribute(self.outputnodes[1].data, gradOutput)
   else
      if not istable(gradOutput) or #gradOutput ~= nOut then
         torch._error(string.format('Got %s gradOutputs instead of %d',
                                    istable(gradOutput) and #gradOutput or 1, nOut))
      end
      for i, node in ipairs(self.outputnodes) do contribute(node.data, gradOutput[i]) end
   end
   local gradInput = {}
   for _, node in ipairs(self.backwardnodes) do
      local d = node.data
      d.gradOutput = gradientOf(d)
      local gi = d.gradOutput
      if d.module then
         gi = runNode(self, node, 'updateGradInput', d.input, d.gradOutput)
      end
      if d.inputIndex then
         gradInput[d.inputIndex] = gi
      elseif d.selectindex then
         contribute(node.children[1].data, gi, d.selectindex)
      elseif #node.children == 1 then
         contribute(node.children[1].data, gi)
      else
         for i, child in ipairs(node.children) do contribute(child.data, gi[i]) end
      end
   end
   if #self.inputnodes == 1 then
      self.gradInput = gradInput[1]
   else
      self.gradInput = gradInput
   end
   return self.gradInput
end

function gModule:accGradParameters(input, gradOutput, scale)
   for _, node in ipairs(self.forwardnodes) do
      local d = node.data
      if d.module then
         runNode(self, node, 'accGradParameters', d.input, d.gradOutput, scale)
      end
   end
end

-- the values held by nodes would keep the old type's tensors
local function clearNodes(self)
   for _, node in ipairs(self.forwardnodes) do
      local d = node.data
      d.input, d.output, d.gradOutput, d.gradOutputBuffer, d.gradPieces = nil, nil, nil, nil, nil
   end
   self.output, self.gradInput = nil, nil
end

function gModule:type(t, cache)
   clearNodes(self)
   return parent.type(self, t, cache)
end

function gModule:clearState()
   clearNodes(self)
   return parent.clearState(self)
end

--- Write the forward graph to `fname` (".dot" added when missing); returns the file name.
function gModule:graph(fname, title)
   return self.fg:dot(title or self.name or 'nn.gModule', fname)
end

function gModule:__tostring__()
   local lines = {'nn.gModule'}
   for i, m in ipairs(self.modules) do
      lines[i + 1] = '  (' .. i .. '): ' .. tostring(m):gsub('\n', '\n  ')
   end
   return table.concat(lines, '\n')
end

--- nn's replace, reaching inside the graph: each node's module is replaced (recursively) and
--- `self.modules` follows, so the new modules are the ones that run.
function gModule:replace(callback)
   local out = callback(self)
   local slot = {}
   for i, m in ipairs(self.modules) do slot[m] = i end
   for _, node in ipairs(self.forwardnodes) do
      local old = node.data.module
      if old then
         local new = old:replace(callback)
         node.data.module = new
         if slot[old] then self.modules[slot[old]] = new end
      end
   end
   return out
end
