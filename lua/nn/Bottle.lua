-- nn.Bottle(module [, nInputDim, nOutputDim]): applies a module made for nInputDim-D input to
-- inputs with more dimensions, the extra leading ones folded into one batch dimension.

local Bottle, parent = torch.class('nn.Bottle', 'nn.Container')

function Bottle:__init(module, nInputDim, nOutputDim)
   parent.__init(self)
   self.nInputDim = nInputDim or 2
   self.nOutputDim = nOutputDim or self.nInputDim
   self.dimDelta = self.nInputDim - self.nOutputDim
   self.modules[1] = module
end

-- The input's sizes with its leading batch dimensions folded into the first one.
local function folded(self, input)
   local batchDims = input:dim() - self.nInputDim + 1
   local size = input:size():totable()
   local n = 1
   for i = 1, batchDims do n = n * size[i] end
   local shape = {n}
   for i = batchDims + 1, #size do shape[#shape + 1] = size[i] end
   return shape, batchDims, size
end

function Bottle:updateOutput(input)
   if input:dim() > self.nInputDim then
      local inShape, batchDims, inSize = folded(self, input)
      self.inShape = inShape
      local output = self:rethrowErrors(self.modules[1], 1, 'updateOutput',
         input:contiguous():view(unpack(inShape)))
      assert(output:dim() == self.nOutputDim, 'Wrong number of output dims on module. ' ..
         'Expected: ' .. self.nOutputDim .. ' but got ' .. tostring(output and output:dim()))
      local outShape = output:size():totable()
      self.outShape = outShape
      local unfolded = {}
      for i = 1, batchDims - 1 do unfolded[i] = inSize[i] end
      unfolded[batchDims] = outShape[1] / (inShape[1] / inSize[batchDims])
      for i = 2, #outShape do unfolded[#unfolded + 1] = outShape[i] end
      self.output:set(output:contiguous():view(unpack(unfolded)))
   else
      self.output:set(self:rethrowErrors(self.modules[1], 1, 'updateOutput', input))
   end
   return self.output
end

function Bottle:updateGradInput(input, gradOutput)
   local module = self.modules[1]
   if input:dim() > self.nInputDim then
      local input_ = input:contiguous():view(unpack(self.inShape))
      local gradOutput_ = gradOutput:contiguous():view(unpack(self.outShape))
      local gi = self:rethrowErrors(module, 1, 'updateGradInput', input_, gradOutput_)
      self.gradInput:set(gi:contiguous():view(input:size()))
   else
      self.gradInput:set(self:rethrowErrors(module, 1, 'updateGradInput', input, gradOutput))
   end
   return self.gradInput
end

function Bottle:accGradParameters(input, gradOutput, scale)
   if input:dim() > self.nInputDim then
      input = input:contiguous():view(unpack(self.inShape))
      gradOutput = gradOutput:contiguous():view(unpack(self.outShape))
   end
   self:rethrowErrors(self.modules[1], 1, 'accGradParameters', input, gradOutput, scale)
end

function Bottle:accUpdateGradParameters(input, gradOutput, lr)
   if input:dim() > self.nInputDim then
      input = input:contiguous():view(unpack(self.inShape))
      gradOutput = gradOutput:contiguous():view(unpack(self.outShape))
   end
   self:rethrowErrors(self.modules[1], 1, 'accUpdateGradParameters', input, gradOutput, lr)
end
