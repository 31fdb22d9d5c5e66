-- nn.GPU(module, device [, outdevice]) (nn): module's parameters live on `device` and it runs
-- there; the input and gradOutput are copied to it, the output comes back on outdevice (default:
-- device) and gradInput on the input's device.  On CPU types it is a plain wrapper.

local parallel = require 'cunn.parallel'

local torch = torch
local cutorch = cutorch
local type, pairs, ipairs, error, pcall, unpack = type, pairs, ipairs, error, pcall, unpack

local GPU, parent = torch.class('nn.GPU', 'nn.Container')

function GPU:__init(module, device, outdevice)
   parent.__init(self)
   if type(device) ~= 'number' then error('nn.GPU: device number expected', 2) end
   if not torch.isTypeOf(module, 'nn.Module') then error('nn.GPU: module expected', 2) end
   self.device = device
   self.outdevice = outdevice or device
   self.modules[1] = module
   local ty = module:type()
   if ty and ty:find('^torch%.Cuda') then self:type(ty) end
end

local function onGpu(self)
   return (self._type or ''):find('^torch%.Cuda') ~= nil
end

-- f(...) with the module's device current (any device on CPU types)
local function here(self, f, ...)
   if not onGpu(self) then return f(...) end
   local prev = cutorch.getDevice()
   cutorch.setDevice(self.device)
   local res = {pcall(f, ...)}
   cutorch.setDevice(prev)
   if not res[1] then error(res[2], 0) end
   return unpack(res, 2, table.maxn(res))
end

--- Moves the module (its CUDA tensors) to `device` (default: the one it has).
function GPU:setDevice(device)
   self.device = device or self.device
   self.modules[1] = parallel.toDevice(self.modules[1], self.device)
   return self
end

-- src (a tensor or table of tensors) on `device`, or on the device of each tensor of `like`
local function moveTo(dst, src, device, like)
   if type(src) == 'table' and not torch.isTensor(src) then
      if type(dst) ~= 'table' or torch.isTensor(dst) then dst = {} end
      for k, s in ipairs(src) do dst[k] = moveTo(dst[k], s, device, like and like[k]) end
      for k = #src + 1, #dst do dst[k] = nil end
      return dst
   end
   if like then device = like.getDevice and like:getDevice() or 0 end
   if not src.getDevice or device == 0 or src:getDevice() == 0 or src:getDevice() == device then
      return src
   end
   return cutorch.withDevice(device, function()
      return parallel.copyHere(dst, src, torch.type(src))
   end)
end

function GPU:updateOutput(input)
   if not onGpu(self) then
      self.output = self.modules[1]:updateOutput(input)
      return self.output
   end
   self._input = moveTo(self._input, input, self.device)
   local out = here(self, function() return self.modules[1]:updateOutput(self._input) end)
   self.output = moveTo(self.output, out, self.outdevice)
   return self.output
end

function GPU:updateGradInput(input, gradOutput)
   if not onGpu(self) then
      self.gradInput = self.modules[1]:updateGradInput(input, gradOutput)
      return self.gradInput
   end
   self._gradOutput = moveTo(self._gradOutput, gradOutput, self.device)
   local gin = here(self, function()
      return self.modules[1]:updateGradInput(self._input, self._gradOutput)
   end)
   self.gradInput = moveTo(self.gradInput, gin, nil, input)
   return self.gradInput
end

function GPU:accGradParameters(input, gradOutput, scale)
   if not onGpu(self) then return self.modules[1]:accGradParameters(input, gradOutput, scale) end
   here(self, function()
      self.modules[1]:accGradParameters(self._input, self._gradOutput, scale)
   end)
end

function GPU:accUpdateGradParameters()
   error('Not Implemented for ' .. torch.type(self), 2)
end

function GPU:applyToModules(f)
   here(self, parent.applyToModules, self, f)
end

function GPU:apply(callback)
   here(self, parent.apply, self, callback)
end

function GPU:type(typeStr, cache)
   if not typeStr then return self._type end
   self.output, self.gradInput, self._input, self._gradOutput = nil, nil, nil, nil
   if typeStr:find('^torch%.Cuda') then
      cutorch.withDevice(self.device, function() parent.type(self, typeStr, cache) end)
      self:setDevice()
   else
      parent.type(self, typeStr, cache)
   end
   return self
end

function GPU:clearState()
   self._input, self._gradOutput = nil, nil
   return here(self, parent.clearState, self)
end

function GPU:clone(...)
   return here(self, parent.clone, self, ...)
end

-- the type and device go first, so the module loads on its device (device 1 when it is gone)
function GPU:__write(file)
   local t = {}
   for k, v in pairs(self) do t[k] = v end
   file:writeObject({self._type, self.device})
   file:writeObject(t)
end

function GPU:__read(file)
   local head = file:readObject()
   local t
   if type(head[1]) == 'string' and head[1]:find('^torch%.Cuda') and cutorch then
      local device = head[2]
      if device > cutorch.getDeviceCount() then device = 1 end
      t = cutorch.withDevice(device, function() return file:readObject() end)
   else
      t = file:readObject()
   end
   for k, v in pairs(t) do self[k] = v end
end

function GPU:__tostring__()
   local m = self.modules[1]
   return torch.type(self) .. '(' .. self.device .. ') @ ' ..
      (m.__tostring__ and m:__tostring__() or torch.type(m))
end

return GPU
