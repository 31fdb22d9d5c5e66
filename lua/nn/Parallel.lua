-- nn.Parallel(inputDimension, outputDimension): module i gets input:select(inputDimension, i);
-- the outputs are concatenated along outputDimension.

local Parallel, parent = torch.class('nn.Parallel', 'nn.Container')

function Parallel:__init(inputDimension, outputDimension)
   parent.__init(self)
   self.modules = {}
   self.inputDimension = inputDimension
   self.outputDimension = outputDimension
end

function Parallel:updateOutput(input)
   local nModule = input:size(self.inputDimension)
   local outputs = {}
   self.totalOutputSize = self.totalOutputSize or torch.LongStorage()
   local total = self.totalOutputSize
   local od = self.outputDimension
   for i = 1, nModule do
      local currentInput = input:select(self.inputDimension, i)
      local currentOutput = self:rethrowErrors(self.modules[i], i, 'updateOutput', currentInput)
      outputs[i] = currentOutput
      if i == 1 then
         total:resize(currentOutput:dim()):copy(currentOutput:size())
      else
         total[od] = total[od] + currentOutput:size(od)
      end
   end
   self.output:resize(total)
   local offset = 1
   for i = 1, nModule do
      local currentOutput = outputs[i]
      local n = currentOutput:size(od)
      self.output:narrow(od, offset, n):copy(currentOutput)
      offset = offset + n
   end
   return self.output
end

function Parallel:updateGradInput(input, gradOutput)
   local nModule = input:size(self.inputDimension)
   local od = self.outputDimension
   self.gradInput:resizeAs(input)
   local offset = 1
   for i = 1, nModule do
      local module = self.modules[i]
      local currentInput = input:select(self.inputDimension, i)
      local n = module.output:size(od)
      local currentGradOutput = gradOutput:narrow(od, offset, n)
      local currentGradInput = self:rethrowErrors(module, i, 'updateGradInput', currentInput,
         currentGradOutput)
      self.gradInput:select(self.inputDimension, i):copy(currentGradInput)
      offset = offset + n
   end
   return self.gradInput
end

local function eachModule(self, method, input, gradOutput, arg)
   local nModule = input:size(self.inputDimension)
   local od = self.outputDimension
   local offset = 1
   for i = 1, nModule do
      local module = self.modules[i]
      local n = module.output:size(od)
      self:rethrowErrors(module, i, method, input:select(self.inputDimension, i),
         gradOutput:narrow(od, offset, n), arg)
      offset = offset + n
   end
end

function Parallel:accGradParameters(input, gradOutput, scale)
   eachModule(self, 'accGradParameters', input, gradOutput, scale or 1)
end

function Parallel:accUpdateGradParameters(input, gradOutput, lr)
   eachModule(self, 'accUpdateGradParameters', input, gradOutput, lr)
end

function Parallel:__tostring__()
   return self:_branchString()
end
