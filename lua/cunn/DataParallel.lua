-- nn.DataParallel(dim) (fbcunn, the talk's "Data Parallel in not too much lua"): each :add puts
-- one replica on the next GPU; the input is split along dim across them, outputs are joined on
-- the first GPU, and after accGradParameters every replica holds the sum of all replicas'
-- gradients, so each replica's own update keeps them equal.

local parallel = require 'cunn.parallel'

local torch = torch
local cutorch = cutorch
local ipairs, error = ipairs, error

local DataParallel, parent = torch.class('nn.DataParallel', 'nn.Container')

function DataParallel:__init(dimension)
   parent.__init(self)
   if not dimension then error('must specify a dimension!', 2) end
   self.dimension = dimension
   self.typeStr = 'torch.CudaTensor'
   self.gpuAssignments = {}
   self.inputGpu, self.gradOutputGpu, self.outputGpu, self.gradInputGpu = {}, {}, {}, {}
end

--- :add(module [, gpu]): module on gpu (by default the GPU after the last one added).
function DataParallel:add(module, gpu)
   gpu = gpu or #self.modules % cutorch.getDeviceCount() + 1
   local ty = module:type()
   if ty and ty:find('^torch%.Cuda') then self.typeStr = ty end
   module = cutorch.withDevice(gpu, function()
      if module:type() ~= self.typeStr then module:type(self.typeStr) end
      return parallel.toDevice(module, gpu)
   end)
   self.modules[#self.modules + 1] = module
   self.gpuAssignments[#self.modules] = gpu
   return self
end

function DataParallel:__tostring()
   return torch.type(self) .. ': ' .. #self.modules .. ' x ' .. tostring(self.modules[1])
end

--- f(module, i) on each module's device (the first n only, when n is given); results by index.
function DataParallel:_exec(f, n)
   return parallel.exec(self.gpuAssignments, self.modules, f, n)
end

function DataParallel:applyToModules(f)
   self:_exec(f)
end

function DataParallel:_distribute(dst, src)
   local n = #self.modules
   for i, gpu in ipairs(self.gpuAssignments) do
      cutorch.setDevice(gpu)
      dst[i] = parallel.scatter(dst[i], src, self.dimension, i, n, self.typeStr)
      if not parallel.hasData(dst[i]) then return i - 1 end
   end
   return n
end

function DataParallel:_gather(dst, parts)
   return cutorch.withDevice(self.gpuAssignments[1], function()
      return parallel.gather(dst, parts, self.dimension, self.typeStr)
   end)
end

function DataParallel:updateOutput(input)
   local prev = cutorch.getDevice()
   self.used = self:_distribute(self.inputGpu, input)
   cutorch.setDevice(prev)
   local inputGpu = self.inputGpu
   self.outputGpu = self:_exec(function(m, i) return m:updateOutput(inputGpu[i]) end, self.used)
   self.output = self:_gather(self.output, self.outputGpu)
   return self.output
end

function DataParallel:updateGradInput(input, gradOutput)
   local prev = cutorch.getDevice()
   self:_distribute(self.gradOutputGpu, gradOutput)
   cutorch.setDevice(prev)
   local inputGpu, gradOutputGpu = self.inputGpu, self.gradOutputGpu
   self.gradInputGpu = self:_exec(function(m, i)
      return m:updateGradInput(inputGpu[i], gradOutputGpu[i])
   end, self.used)
   self.gradInput = self:_gather(self.gradInput, self.gradInputGpu)
   return self.gradInput
end

function DataParallel:accGradParameters(input, gradOutput, scale)
   local inputGpu, gradOutputGpu = self.inputGpu, self.gradOutputGpu
   -- every replica held the previous sum: the others start from zero so it is counted once
   local grads = self:_exec(function(m, i)
      local _, g = m:parameters()
      g = g or {}
      if i > 1 then
         for _, t in ipairs(g) do t:zero() end
      end
      if i <= self.used then m:accGradParameters(inputGpu[i], gradOutputGpu[i], scale) end
      return g
   end)
   local first = grads[1]
   cutorch.withDevice(self.gpuAssignments[1], function()
      self.buffer = self.buffer or torch[self.typeStr:match('torch%.(%a+)')]()
      for i = 2, #grads do
         for j, g in ipairs(grads[i]) do first[j]:add(self.buffer:resize(g:size()):copy(g)) end
      end
   end)
   self:_exec(function(_, i)
      if i > 1 then
         for j, g in ipairs(grads[i]) do g:copy(first[j]) end
      end
   end)
end

function DataParallel:accUpdateGradParameters()
   error('accUpdateGradParameters not supported for ' .. torch.type(self), 2)
end

function DataParallel:type(typeStr, cache)
   if not typeStr then return self._type end
   if not typeStr:find('^torch%.Cuda') then
      error(torch.type(self) .. ' supports only CUDA tensor types', 2)
   end
   for i, m in ipairs(self.modules) do
      local gpu = self.gpuAssignments[i]
      self.modules[i] = cutorch.withDevice(gpu, function()
         return parallel.toDevice(m:type(typeStr, cache), gpu)
      end)
   end
   self.typeStr, self._type, self.buffer = typeStr, typeStr, nil
   self.inputGpu, self.gradOutputGpu, self.outputGpu, self.gradInputGpu = {}, {}, {}, {}
   local ctor = torch[typeStr:match('torch%.(%a+)')]
   self.output, self.gradInput = ctor(), ctor()
   return self
end

-- nn's clone copies onto the current device: each module goes back to its own GPU
function DataParallel:clone(...)
   local copy = parent.clone(self, ...)
   for i, gpu in ipairs(copy.gpuAssignments) do
      copy.modules[i] = parallel.toDevice(copy.modules[i], gpu)
   end
   copy.inputGpu, copy.gradOutputGpu, copy.outputGpu, copy.gradInputGpu = {}, {}, {}, {}
   copy.buffer = nil
   return copy
end

function DataParallel:clearState()
   self:_exec(function(m) m:clearState() end)
   self.inputGpu, self.gradOutputGpu, self.outputGpu, self.gradInputGpu = {}, {}, {}, {}
   self.buffer = nil
   return parent.clearState(self)
end

return DataParallel
