-- nn.DepthConcat(dim): like nn.Concat, but outputs that are smaller than the largest one in the
-- other dimensions are centred in zero padding.

local DepthConcat, parent = torch.class('nn.DepthConcat', 'nn.Concat')

-- The window of `output` that holds a module output of `currentOutput`'s size at `offset`.
function DepthConcat:windowNarrow(output, currentOutput, offset)
   local outputWindow = output:narrow(self.dimension, offset, currentOutput:size(self.dimension))
   for dim = 1, self.outputSize:size() do
      local currentSize = currentOutput:size(dim)
      if dim ~= self.dimension and self.outputSize[dim] ~= currentSize then
         -- centred: 5 vs 3 starts at 2, 9 vs 4 at 3
         local start = math.floor((self.outputSize[dim] - currentSize) / 2 + 1)
         outputWindow = outputWindow:narrow(dim, start, currentSize)
      end
   end
   return outputWindow
end

function DepthConcat:_window(gradOutput, module, offset)
   return self:windowNarrow(gradOutput, module.output, offset)
end

function DepthConcat:updateOutput(input)
   self.outputSize = self.outputSize or torch.LongStorage()
   local dim = self.dimension
   local outs = {}
   for i = 1, #self.modules do
      local currentOutput = self:rethrowErrors(self.modules[i], i, 'updateOutput', input)
      outs[i] = currentOutput
      if i == 1 then
         self.outputSize:resize(currentOutput:dim()):copy(currentOutput:size())
      else
         self.outputSize[dim] = self.outputSize[dim] + currentOutput:size(dim)
         for d = 1, self.outputSize:size() do
            if d ~= dim then
               self.outputSize[d] = math.max(self.outputSize[d], currentOutput:size(d))
            end
         end
      end
   end
   self.output:resize(self.outputSize):zero()
   local offset = 1
   for i = 1, #self.modules do
      local currentOutput = outs[i]
      self:windowNarrow(self.output, currentOutput, offset):copy(currentOutput)
      offset = offset + currentOutput:size(dim)
   end
   return self.output
end
