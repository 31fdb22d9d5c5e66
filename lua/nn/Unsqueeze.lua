-- nn.Unsqueeze(pos [, numInputDims]): inserts a singleton dimension at pos (shifted past the batch
-- dimension when the input has numInputDims + 1 dimensions).

local Unsqueeze, parent = torch.class('nn.Unsqueeze', 'nn.Module')

function Unsqueeze:__init(pos, numInputDims)
   parent.__init(self)
   self.pos = pos or torch._error('the position to insert the singleton dim not specified')
   self:setNumInputDims(numInputDims)
end

function Unsqueeze:setNumInputDims(numInputDims)
   self.numInputDims = numInputDims
   return self
end

function Unsqueeze:_getActualPosition(input)
   local pos = self.pos
   if self.numInputDims and input:dim() == self.numInputDims + 1 then pos = pos + 1 end
   if pos > input:dim() + 1 then
      torch._error(string.format('Unsqueeze: position %d out of range for a %dD input', pos,
         input:dim()))
   end
   return pos
end

function Unsqueeze:updateOutput(input)
   nn.utils.addSingletonDimension(self.output, input, self:_getActualPosition(input))
   return self.output
end

function Unsqueeze:updateGradInput(input, gradOutput)
   assert(input:nElement() == gradOutput:nElement())
   self.gradInput:set(gradOutput:contiguous():view(input:size()))
   return self.gradInput
end

function Unsqueeze:__tostring__()
   return torch.type(self) .. '(dim ' .. self.pos .. ')'
end
