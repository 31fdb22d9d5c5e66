-- nn.Module: the protocol every layer follows; layers override only updateOutput,
-- updateGradInput and accGradParameters.

local Module = torch.class('nn.Module')

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

function Module:accUpdateGradParameters(input, gradOutput, lr)
   -- accumulate straight into the weights: point the gradients at them for one call
   local gradWeight, gradBias = self.gradWeight, self.gradBias
   self.gradWeight, self.gradBias = self.weight, self.bias
   self:accGradParameters(input, gradOutput, -lr)
   self.gradWeight, self.gradBias = gradWeight, gradBias
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
         self.accUpdateGradParameters = self.sharedAccUpdateGradParameters
         mlp.accUpdateGradParameters = mlp.sharedAccUpdateGradParameters
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

function Module:getParameters()
   local params, gradParams = self:parameters()
   local flatParams = nn.Module.flatten(params)
   local flatGradParams = nn.Module.flatten(gradParams)
   return flatParams, flatGradParams
end

--- Re-point every tensor of `tensors` into one new flat storage (shared storages once).
function Module.flatten(tensors)
   if not tensors or #tensors == 0 then return torch.Tensor() end
   local Tensor = tensors[1].new
   -- unique storages in order of first appearance, and where each starts in the flat buffer
   local storages, order, total = {}, {}, 0
   for i = 1, #tensors do
      local st = tensors[i]:storage()
      if st then
         local key = torch.pointer(st)
         if not storages[key] then
            storages[key] = {storage = st, offset = total}
            order[#order + 1] = key
            total = total + st:size()
         end
      end
   end
   local flat = Tensor(total):zero()
   local flatStorage = flat:storage()
   for _, key in ipairs(order) do
      local e = storages[key]
      if e.storage:size() > 0 then
         flat:narrow(1, e.offset + 1, e.storage:size()):copy(Tensor(e.storage))
      end
   end
   for i = 1, #tensors do
      local t = tensors[i]
      local st = t:storage()
      if st then
         local e = storages[torch.pointer(st)]
         t:set(flatStorage, e.offset + t:storageOffset(), t:size(), t:stride())
      end
   end
   return flat
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
   local mod_type = torch.typename(self)
   if mod_type == typename then
      nodes[#nodes + 1] = self
      containers[#containers + 1] = container
   end
   if self.modules then
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
