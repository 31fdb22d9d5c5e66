-- A module whose computation is a graph of nngraph.Nodes, built by nn.gModule(inputs, outputs).
-- It keeps nngraph's layout, which scripts and nngraph's own tests read: a dummy `innode` that
-- feeds the inputs and a dummy `outnode` that reads the outputs; `bg`, the graph of the user's
-- nodes with edges to their inputs, and `fg`, its reverse over new nodes sharing their `data`;
-- `forwardnodes` and `backwardnodes`, their topological orders. While it runs, a node's
-- data.input lists its inputs (in the order it took them) and data.gradOutput the gradients its
-- consumers sent back, summed into data.gradOutputBuffer when there are several.
local gModule, parent = torch.class('nn.gModule', 'nn.Container')

local ipairs, type, print = ipairs, type, print

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
   local seen = {}
   for i = 1, table.maxn(list) do
      local node = list[i]
      if not isNode(node) then
         torch._error(nngraph.expectingNodeErrorMessage(node, what, i))
      end
      if seen[node] then torch._error("Don't pass the same input twice.") end
      seen[node] = true
   end
end

-- The checks nngraph makes, on the user's nodes before the gModule links itself to them (a
-- refused graph leaves them as they were, so they can be used again): every input used, an
-- input has no inputs, every split output used, no node hanging off the graph, no cycle.
local function checkGraph(inputs, outputs)
   local isInput = {}
   for i, node in ipairs(inputs) do
      if #node.children > 0 then
         -- a gModule links its own input node to its inputs, so a node serves one gModule
         torch._error(string.format('an input should have no inputs (the node declared at %s '
            .. 'reads other nodes, or is already the input of another gModule)',
            node.data.annotations._debugLabel))
      end
      isInput[node] = i
   end
   -- depth first from the outputs, each node after its inputs
   local order, state = {}, {}
   local function visit(node)
      state[node] = 'open'
      for _, child in ipairs(node.children) do
         local s = state[child]
         if s == 'open' then torch._error('the graph has a cycle') end
         if not s then visit(child) end
      end
      state[node] = 'done'
      order[#order + 1] = node
   end
   for _, node in ipairs(outputs) do
      if not state[node] then visit(node) end
   end
   for i, node in ipairs(inputs) do
      if not state[node] then
         torch._error(string.format('input %d of the gModule (the node declared at %s) does '
            .. 'not connect to gmodule output', i, node.data.annotations._debugLabel))
      end
   end
   local inGraph = {}
   for _, node in ipairs(order) do inGraph[node.data] = true end
   for _, node in ipairs(order) do
      local d = node.data
      if #node.children == 0 and not isInput[node]
            and torch.typename(d.module) ~= 'nnop.Parameters' then
         torch._error(string.format('the node declared at %s has no inputs and is not an '
            .. 'input of the gModule', d.annotations._debugLabel))
      end
      -- split outputs first: an unused one also hangs off the graph
      local used = 0
      for succ in pairs(d.reverseMap) do
         if inGraph[succ.data] then used = used + 1 end
      end
      if d.nSplitOutputs and d.nSplitOutputs ~= used then
         torch._error(string.format('%d of split(%d) outputs from the node declared at %s are '
            .. 'unused', d.nSplitOutputs - used, d.nSplitOutputs, d.annotations._debugLabel))
      end
      for succ in pairs(d.reverseMap) do
         if not inGraph[succ.data] then
            torch._error(string.format('node declared on %s does not connect to gmodule output',
               succ.data.annotations._debugLabel))
         end
      end
   end
end

-- Link the user's checked nodes into nngraph's structure: the dummy output node reads every
-- output, in order; the dummy input node feeds the input node, or a split of the input table
-- when there are several; bg over the user's nodes, fg its reverse, and their orders.
local function link(self, inputs, outputs)
   local outnode = nngraph.Node({input = {}})
   for _, node in ipairs(outputs) do outnode:add(node, true) end
   local innode = nngraph.Node({input = {}})
   if #inputs == 1 then
      inputs[1]:add(innode, true)
   else
      local splits = {innode:split(#inputs)}
      for i, node in ipairs(inputs) do node:add(splits[i], true) end
   end

   self.bg = outnode:graph()
   self.fg = self.bg:reverse()
   for _, root in ipairs(self.fg:roots()) do
      if root.data == innode.data then self.innode = root end
   end
   self.outnode = outnode
   self.verbose = false
   self.nInputs = #inputs
   self.forwardnodes = self.fg:topsort()
   self.backwardnodes = self.bg:topsort()
   for _, node in ipairs(self.forwardnodes) do
      -- the number node labels use to name a node's inputs
      node.data.forwardNodeId = node.id
   end
   self.output = nil
   self.gradInput = nil
   if #outnode.children > 1 then self.output = outnode.data.input end
end

function gModule:__init(inputs, outputs)
   parent.__init(self)
   checkNodes(inputs, 'inputs')
   checkNodes(outputs, 'outputs')
   if #inputs == 0 then torch._error('no inputs are not supported') end
   checkGraph(inputs, outputs)
   link(self, inputs, outputs)
   for _, node in ipairs(self.forwardnodes) do
      if node.data.module then self:add(node.data.module) end
   end
end

-- A gModule saved by luatorch before it kept nngraph's layout holds only the user's nodes
-- (children = inputs, as now) with `inputnodes` and `outputnodes`; a split was marked on the
-- node split itself rather than on a node of its own. Give each split its node, make the
-- nodes graph.Nodes in full, and link them as a new gModule would. The modules list is kept as
-- saved: its order is the order of the parameters people flattened.
local function upgradeOldLayout(self)
   local old = self.forwardnodes
   for _, node in ipairs(old) do
      local d = node.data
      -- what the old layout kept of a run was values, where lists now go
      d.input, d.output, d.gradOutput, d.gradOutputBuffer, d.gradPieces = nil, nil, nil, nil, nil
      d.inputIndex, d.forwardNodeId = nil, nil
      node.id, node.visited, node.marked = 0, false, false
      for i, child in ipairs(node.children) do node.children[child] = i end
   end
   for _, src in ipairs(old) do
      local d = src.data
      local n = d.nSplitOutputs
      if n and not d.selectindex then
         local label = d.annotations._debugLabel
         local mnode = nngraph.Node({nSplitOutputs = n, annotations = {_debugLabel = label ..
            ' split at ' .. (d.annotations._splitLabel or '[?]:0') .. '-mnode'}})
         d.nSplitOutputs, d.annotations._splitLabel = nil, nil
         mnode:add(src, true)
         for _, sel in ipairs(old) do
            if sel.data.selectindex and sel.children[1] == src then
               sel.children = {mnode, [mnode] = 1}
               sel.data.mapindex = {mnode.data, [mnode.data] = 1}
               d.reverseMap[sel] = nil
               mnode.data.reverseMap[sel] = true
            end
         end
      end
   end
   local inputs, outputs = self.inputnodes, self.outputnodes
   self.inputnodes, self.outputnodes = nil, nil
   link(self, inputs, outputs)
end

local function debugFailure(self, node, err)
   local name = self.name or 'nngraph'
   local ann = node.data.annotations
   local attrs = ann.graphAttributes
   ann.graphAttributes = {color = 'red', style = 'filled', fillcolor = 'red'}
   local fname = graph.dot(self.fg, name, (os.getenv('TMPDIR') or '/tmp') .. '/' .. name)
   ann.graphAttributes = attrs
   error(tostring(err) .. '\nFor more details, look at the graph in ' .. fname
         .. ' (the failing node is red)', 0)
end

-- module[method](module, ...), drawing the graph with the node in red when it fails and
-- nngraph.setDebug is on
local function checked(self, node, f, ...)
   local res = {pcall(f, ...)}
   if not res[1] then debugFailure(self, node, res[2]) end
   return unpack(res, 2, table.maxn(res))
end

-- what a node's module works on: its one input itself, else the list of its inputs (none for
-- a node without inputs)
local function moduleInput(d)
   local input = d.input
   if input == nil then return {} end
   if #input == 1 then return input[1] end
   return input
end

-- `value` becomes, in each successor, the input at the place it took this node in
local function propagate(node, value)
   local data = node.data
   for _, child in ipairs(node.children) do
      local cd = child.data
      local list = cd.input
      if not list then
         list = {}
         cd.input = list
      end
      list[cd.mapindex[data]] = value
   end
end

--- Run the forward graph on `input`, calling func(module, input) (or module[func](module,
--- input) for a method name) at each node that has a module.
function gModule:runForwardFunction(func, input)
   local method
   if type(func) == 'string' then method, func = func, nil end
   local nInputs = self.nInputs or #self.innode.children
   if nInputs <= 1 then
      input = {input}
   elseif not istable(input) then
      torch._error(string.format('expecting table of %d inputs', nInputs))
   end
   if #input ~= nInputs then
      torch._error(string.format('Got %d inputs instead of %d', #input, nInputs))
   end
   local innode = self.innode.data
   local list = innode.input
   if not list then
      list = {}
      innode.input = list
   end
   -- copied into the innode's own list: the caller's table is left alone
   for i = 1, nInputs do list[i] = input[i] end

   local debug, verbose = nngraph.debug, self.verbose
   for _, node in ipairs(self.forwardnodes) do
      local d = node.data
      local value
      if d.selectindex then
         -- the split's own node has checked the table
         value = d.input[1][d.selectindex]
      else
         local x = moduleInput(d)
         local module = d.module
         if not module then
            value = x
         else
            local f = func or module[method]
            if debug then
               value = checked(self, node, f, module, x)
            else
               value = f(module, x)
            end
         end
         local n = d.nSplitOutputs
         if n then
            if not istable(value) then
               torch._error('the input for a split should be a table')
            end
            if #value ~= n then
               torch._error(string.format('split(%d) cannot split %d outputs', n, #value))
            end
         end
      end
      propagate(node, value)
      if verbose then print(' V : ' .. node:label()) end
   end

   local out = self.outnode
   self.output = out.data.input
   if #out.children == 1 then self.output = self.output[1] end
   return self.output
end

function gModule:updateOutput(input)
   return self:runForwardFunction('updateOutput', input)
end

-- a copy of `x` (a tensor or a table of them) in `buf`, reusing its tensors
local function sumInto(buf, x)
   if torch.isTensor(x) then
      if not torch.isTensor(buf) or torch.type(buf) ~= torch.type(x) then buf = x.new() end
      return buf:resizeAs(x):copy(x)
   end
   buf = istable(buf) and buf or {}
   for k in pairs(buf) do
      if x[k] == nil then buf[k] = nil end
   end
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

-- the gradient of a node's output: its one piece, else their sum in the node's buffer
local function totalGradOutput(d)
   local pieces = d.gradOutput
   if #pieces <= 1 then return pieces[1] end
   local acc = sumInto(d.gradOutputBuffer, pieces[1])
   for i = 2, #pieces do acc = addInto(acc, pieces[i]) end
   d.gradOutputBuffer = acc
   return acc
end

local function send(d, g)
   local pieces = d.gradOutput
   if not pieces then
      pieces = {}
      d.gradOutput = pieces
   end
   pieces[#pieces + 1] = g
end

local function checkGradOutput(self, gradOutput)
   local nOut = #self.outnode.children
   if nOut > 1 and (not istable(gradOutput) or #gradOutput ~= nOut) then
      torch._error(string.format('Got %s gradOutputs instead of %d',
                                 istable(gradOutput) and #gradOutput or 1, nOut))
   end
end

function gModule:updateGradInput(input, gradOutput)
   checkGradOutput(self, gradOutput)
   local backwardnodes = self.backwardnodes
   for _, node in ipairs(backwardnodes) do
      local pieces = node.data.gradOutput
      if pieces then
         for i = #pieces, 1, -1 do pieces[i] = nil end
      end
   end
   send(self.outnode.data, gradOutput)

   local debug, verbose = nngraph.debug, self.verbose
   for _, node in ipairs(backwardnodes) do
      local d = node.data
      local g = totalGradOutput(d)
      if d.selectindex then
         -- the pieces of a split come back as one table, the split node's single gradient
         local md = node.children[1].data
         local pieces = md.gradOutput
         if not pieces then
            pieces = {}
            md.gradOutput = pieces
         end
         local t = pieces[1]
         if not t then
            t = {}
            pieces[1] = t
         end
         t[d.selectindex] = g
      else
         local gi = g
         local module = d.module
         if module then
            if debug then
               gi = checked(self, node, module.updateGradInput, module, moduleInput(d), g)
            else
               gi = module:updateGradInput(moduleInput(d), g)
            end
         end
         local children = node.children
         local n = #children
         if n == 1 then
            send(children[1].data, gi)
         else
            local mapindex = d.mapindex
            for i = 1, n do
               local cd = children[i].data
               send(cd, gi[mapindex[cd]])
            end
         end
      end
      if verbose then print(' V : ' .. node:label()) end
   end

   self.gradInput = self.innode.data.gradOutput[1]
   return self.gradInput
end

function gModule:accGradParameters(input, gradOutput, scale)
   checkGradOutput(self, gradOutput)
   local debug, verbose = nngraph.debug, self.verbose
   for _, node in ipairs(self.backwardnodes) do
      local d = node.data
      local module = d.module
      if module then
         local pieces = d.gradOutput
         local g = pieces[1]
         if #pieces > 1 then g = d.gradOutputBuffer end
         if debug then
            checked(self, node, module.accGradParameters, module, moduleInput(d), g, scale)
         else
            module:accGradParameters(moduleInput(d), g, scale)
         end
      end
      if verbose then print(' V : ' .. node:label()) end
   end
end

-- fields holding the graph itself: converting them would walk every node many times over
local STRUCTURE = {modules = true, innode = true, outnode = true, fg = true, bg = true,
                   forwardnodes = true, backwardnodes = true}
-- what nodes hold of a run
local NODE_VALUES = {'input', 'gradOutput', 'gradOutputBuffer'}

--- The modules, and every tensor the gModule and its nodes hold from the last run, converted
--- to `typename` (one conversion per tensor: a node's input that is a module's output stays
--- that output).
function gModule:type(typename, tensorCache)
   if not typename then return self._type end
   tensorCache = tensorCache or {}
   local convert = nn.utils.recursiveType
   for _, m in ipairs(self.modules) do m:type(typename, tensorCache) end
   for _, node in ipairs(self.forwardnodes) do
      local d = node.data
      for _, key in ipairs(NODE_VALUES) do
         if d[key] ~= nil then d[key] = convert(d[key], typename, tensorCache) end
      end
   end
   for k, v in pairs(self) do
      if not STRUCTURE[k] then self[k] = convert(v, typename, tensorCache) end
   end
   self._type = typename
   return self
end

function gModule:clearState()
   local ret = parent.clearState(self)
   for _, node in ipairs(self.backwardnodes) do
      node.data.gradOutput = nil
      node.data.gradOutputBuffer = nil
   end
   for _, node in ipairs(self.forwardnodes) do
      node.data.input = nil
   end
   return ret
end

function gModule:read(file)
   local var = file:readObject()
   for k, v in pairs(var) do self[k] = v end
   if not self.innode then
      if not (self.inputnodes and self.outputnodes and self.forwardnodes) then
         torch._error('nn.gModule: the file holds a gModule with neither innode nor '
                      .. 'inputnodes/outputnodes: not a layout nngraph or luatorch wrote')
      end
      upgradeOldLayout(self)
   end
   -- files from nngraph versions that did not keep the modules list
   if not self.modules then
      self.modules = {}
      for _, node in ipairs(self.forwardnodes) do
         if node.data.module then table.insert(self.modules, node.data.module) end
      end
   end
end

--- func(module, other) for each module here and the one at the same node of `gm`, a gModule
--- of the same structure.
function gModule:map(gm, func)
   for i, node in ipairs(self.forwardnodes) do
      local other = gm.forwardnodes[i]
      if not other or (node.data.module and not other.data.module) then
         torch._error('trying to map another gModule with a different structure')
      end
      if node.data.module then func(node.data.module, other.data.module) end
   end
end

--- Write the forward graph to `fname` (".dot" added when missing); returns the file name.
function gModule:graph(fname, title)
   return graph.dot(self.fg, title or self.name or 'nn.gModule', (fname:gsub('%.dot$', '')))
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
