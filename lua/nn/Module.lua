-- nn.Module: the protocol every layer follows; layers override only updateOutput,
-- updateGradInput and accGradParameters.

local Module = torch.class('nn.Module')

local type, pairs, ipairs, select = type, pairs, ipairs, select

function Module:__init()
   self.gradInput = torch.Tensor()
   self.output = torch.Tensor()
   self._type = self.output:type()
end

function Module:parameters()
   if self.weight and self.bias then
      return {self.weight, self.bias}, {self.gradWeight, self.gradBias}
   elseif self.weight then
      return {self.weight}, {self.gradWeight}
   elseif self.bias then
      return {self.bias}, {self.gradBias}
   end
end

function Module:updateOutput(input)
   return self.output
end

function Module:forward(input)
   return self:updateOutput(input)
end

function Module:backward(input, gradOutput, scale)
   scale = scale or 1
   self:updateGradInput(input, gradOutput)
   self:accGradParameters(input, gradOutput, scale)
   return self.gradInput
end

function Module:backwardUpdate(input, gradOutput, lr)
   self:updateGradInput(input, gradOutput)
   self:accUpdateGradParameters(input, gradOutput, lr)
   return self.gradInput
end

function Module:updateGradInput(input, gradOutput)
   return self.gradInput
end

function Module:accGradParameters(input, gradOutput, scale)
end

--- Accumulate straight into the weights: the gradients point at them for one call.
function Module:defaultAccUpdateGradParameters(input, gradOutput, lr)
   local gradWeight, gradBias = self.gradWeight, self.gradBias
   self.gradWeight, self.gradBias = self.weight, self.bias
   self:accGradParameters(input, gradOutput, -lr)
   self.gradWeight, self.gradBias = gradWeight, gradBias
end

-- A flag, not a function stored in the module, so that a model with shared weights saves
-- to a .t7 file as plain data.
function Module:accUpdateGradParameters(input, gradOutput, lr)
   if self.shared then
      self:sharedAccUpdateGradParameters(input, gradOutput, lr)
   else
      self:defaultAccUpdateGradParameters(input, gradOutput, lr)
   end
end

function Module:sharedAccUpdateGradParameters(input, gradOutput, lr)
   if self:parameters() then
      self:zeroGradParameters()
      self:accGradParameters(input, gradOutput, 1)
      self:updateParameters(lr)
   end
end

function Module:zeroGradParameters()
   local _, gradParams = self:parameters()
   if gradParams then
      for i = 1, #gradParams do gradParams[i]:zero() end
   end
end

function Module:updateParameters(learningRate)
   local params, gradParams = self:parameters()
   if params then
      for i = 1, #params do params[i]:add(-learningRate, gradParams[i]) end
   end
end

function Module:training()
   self.train = true
end

function Module:evaluate()
   self.train = false
end

function Module:share(mlp, ...)
   for i = 1, select('#', ...) do
      local name = select(i, ...)
      if self[name] ~= nil then
         self[name]:set(mlp[name])
         self.shared = true
         mlp.shared = true
      end
   end
   return self
end

function Module:clone(...)
   local copy = nn.utils.deepcopy(self)
   if select('#', ...) > 0 then copy:share(self, ...) end
   return copy
end

function Module:type(typename, tensorCache)
   if not typename then return self._type end
   tensorCache = tensorCache or {}
   for key, param in pairs(self) do
      self[key] = nn.utils.recursiveType(param, typename, tensorCache)
   end
   self._type = typename
   return self
end

function Module:float(...) return self:type('torch.FloatTensor', ...) end
function Module:double(...) return self:type('torch.DoubleTensor', ...) end
function Module:cuda(...) return self:type('torch.CudaTensor', ...) end

function Module:reset()
end

function Module:write(file)
   local var = {}
   for k, v in pairs(self) do var[k] = v end
   file:writeObject(var)
end

function Module:read(file)
   local var = file:readObject()
   for k, v in pairs(var) do self[k] = v end
end

-------------------------------------------------------------------------------------------------
-- getParameters: every parameter re-pointed into one flat storage
-------------------------------------------------------------------------------------------------

-- True when a tensor with these sizes/strides covers its memory without holes (dimensions of
-- stride 0 are ignored, the others taken from the largest stride down).
local function isCompact(size, stride)
   local dims = {}
   for d = 1, #size do
      if stride[d] > 0 and size[d] > 1 then dims[#dims + 1] = d end
   end
   table.sort(dims, function(a, b) return stride[a] > stride[b] end)
   local expected = 1
   for k = #dims, 1, -1 do
      local d = dims[k]
      if stride[d] ~= expected then return false end
      expected = expected * size[d]
   end
   return true
end

--- Re-point every tensor of `tensors` into one new flat storage and return the flat tensor.
--- Tensors sharing a storage keep sharing it (shared parameters are counted once); storage
--- elements that no tensor uses are dropped.
function Module.flatten(tensors)
   if not tensors or #tensors == 0 then return torch.Tensor() end
   local Tensor = tensors[1].new
   -- 1. the unique storages, in order of first appearance, and where each starts
   local starts, order, total = {}, {}, 0
   local metas = {}
   for i = 1, #tensors do
      local t = tensors[i]
      local st = t:storage()
      if st then
         local key = torch.pointer(st)
         if not starts[key] then
            starts[key] = total
            order[#order + 1] = st
            total = total + st:size()
         end
         metas[i] = {offset = starts[key] + t:storageOffset(), size = t:size(),
            stride = t:stride()}
      end
   end
   -- 2. one buffer holding all the storages, one after the other
   local flat = Tensor(total)
   local pos = 0
   for _, st in ipairs(order) do
      local n = st:size()
      if n > 0 then flat:narrow(1, pos + 1, n):copy(Tensor():set(st)) end
      pos = pos + n
   end
   -- 3. drop the elements that no tensor uses (a parameter viewing part of a larger storage)
   local mask = torch.ByteTensor(total):zero()
   local maskStorage = mask:storage()
   local compact = true
   for i = 1, #tensors do
      local m = metas[i]
      if m and m.size:size() > 0 then
         torch.ByteTensor():set(maskStorage, m.offset, m.size, m.stride):fill(1)
         compact = compact and isCompact(m.size:totable(), m.stride:totable())
      end
   end
   local used = mask:sum()
   if total > 0 and used ~= total then
      assert(compact, 'Cannot gather tensors that are not compact')
      local newOffset = mask:long():cumsum(1)
      local packed = Tensor(used)
      packed:copy(flat:maskedSelect(mask))
      flat = packed
      for i = 1, #tensors do
         local m = metas[i]
         if m then m.offset = newOffset[m.offset] end
      end
   end
   -- 4. point every tensor at its place in the flat storage
   local flatStorage = flat:storage()
   for i = 1, #tensors do
      local m = metas[i]
      if m then tensors[i]:set(flatStorage, m.offset, m.size, m.stride) end
   end
   return flat
end

function Module:getParameters()
   local params, gradParams = self:parameters()
   local p = Module.flatten(params)
   local g = Module.flatten(gradParams)
   assert(p:nElement() == g:nElement(),
      'check that you are sharing parameters and gradParameters')
   if params then
      for i = 1, #params do
         assert(params[i]:storageOffset() == gradParams[i]:storageOffset(),
            'misaligned parameter at ' .. tostring(i))
      end
   end
   return p, g
end

function Module:__call__(input, gradOutput)
   self:forward(input)
   if gradOutput then
      self:backward(input, gradOutput)
      return self.output, self.gradInput
   end
   return self.output
end

function Module:apply(callback)
   callback(self)
   if self.modules then
      for _, module in ipairs(self.modules) do module:apply(callback) end
   end
end

function Module:findModules(typename, container)
   container = container or self
   local nodes, containers = {}, {}
   if torch.typename(self) == typename then
      nodes[#nodes + 1] = self
      containers[#containers + 1] = container
   end
   if type(self.modules) == 'table' then
      for _, child in ipairs(self.modules) do
         local cn, cc = child:findModules(typename, self)
         for i = 1, #cn do
            nodes[#nodes + 1] = cn[i]
            containers[#containers + 1] = cc[i]
         end
      end
   end
   return nodes, containers
end

function Module:listModules()
   local modules = {self}
   if self.modules then
      for _, child in ipairs(self.modules) do
         for _, m in ipairs(child:listModules()) do modules[#modules + 1] = m end
      end
   end
   return modules
end

function Module:clearState()
   return nn.utils.clear(self, 'output', 'gradInput')
end

function Module:replace(callback)
   local out = callback(self)
   if self.modules then
      for i, module in ipairs(self.modules) do
         self.modules[i] = module:replace(callback)
      end
   end
   return out
end

function Module:__tostring__()
   return torch.type(self)
end
