-- nn.ModelParallel(dim) (fbcunn): each :add puts one module on the next GPU; every module gets
-- the whole input on its own device, and their outputs are joined along dim on the first GPU
-- (a layer too big for one GPU, cut into slices of its output).  gradInput is the sum of the
-- modules' gradInputs, on the first GPU.

local parallel = require 'cunn.parallel'

local torch = torch
local cutorch = cutorch
local ipairs, error = ipairs, error

local ModelParallel = torch.class('nn.ModelParallel', 'nn.DataParallel')

function ModelParallel:updateOutput(input)
   local inputGpu = self.inputGpu
   self.outputGpu = self:_exec(function(m, i)
      inputGpu[i] = parallel.copyHere(inputGpu[i], input, self.typeStr)
      return m:updateOutput(inputGpu[i])
   end)
   self.output = self:_gather(self.output, self.outputGpu)
   return self.output
end

-- each module's slice of gradOutput, on its device
function ModelParallel:_splitGradOutput(gradOutput)
   if not torch.isTensor(gradOutput) then
      error(torch.type(self) .. ': gradOutput must be a tensor', 0)
   end
   local start, outs, dim = 1, self.outputGpu, self.dimension
   local gradOutputGpu = self.gradOutputGpu
   self:_exec(function(_, i)
      local n = outs[i]:size(dim)
      gradOutputGpu[i] = parallel.copyHere(gradOutputGpu[i], gradOutput:narrow(dim, start, n),
         self.typeStr)
      start = start + n
   end)
end

-- dst (on the current device) += src (resize, not resizeAs: an empty tensor takes the device of
-- the tensor it is resized as), tensors or tables of them alike
local function addInto(dst, src, buffer)
   if torch.isTensor(src) then
      return dst:add(buffer:resize(src:size()):copy(src))
   end
   for k, s in ipairs(src) do addInto(dst[k], s, buffer) end
   return dst
end

local function copyOf(src, typeStr)
   if torch.isTensor(src) then
      return torch[typeStr:match('torch%.(%a+)')]():resize(src:size()):copy(src)
   end
   local t = {}
   for k, s in ipairs(src) do t[k] = copyOf(s, typeStr) end
   return t
end

function ModelParallel:updateGradInput(input, gradOutput)
   self:_splitGradOutput(gradOutput)
   local inputGpu, gradOutputGpu = self.inputGpu, self.gradOutputGpu
   local parts = self:_exec(function(m, i)
      return m:updateGradInput(inputGpu[i], gradOutputGpu[i])
   end)
   self.gradInput = cutorch.withDevice(self.gpuAssignments[1], function()
      self.buffer = self.buffer or torch[self.typeStr:match('torch%.(%a+)')]()
      local sum = copyOf(parts[1], self.typeStr)
      for i = 2, #parts do addInto(sum, parts[i], self.buffer) end
      return sum
   end)
   return self.gradInput
end

function ModelParallel:accGradParameters(input, gradOutput, scale)
   self:_splitGradOutput(gradOutput)
   local inputGpu, gradOutputGpu = self.inputGpu, self.gradOutputGpu
   self:_exec(function(m, i) m:accGradParameters(inputGpu[i], gradOutputGpu[i], scale) end)
end

return ModelParallel
