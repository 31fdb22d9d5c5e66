-- nn.Unsqueeze(pos [, numInputDims]): inserts a singleton dimension at pos, shifted past every
-- leading dimension beyond numInputDims (by default the first input's dimension count, which
-- the module then keeps, as Torch7's does).

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
   local nd = input:dim()
   self.numInputDims = self.numInputDims or nd
   local offset = nd - self.numInputDims
   if offset < 0 then
      torch._error('input feature map dim (numInputDims) must be <= input:dim()')
   end
   local pos = self.pos + offset
   if pos < 1 or pos > nd + 1 then
      torch._error(string.format('Invalid position: %d. input:dim() is %d, input feature map ' ..
         'dim (numInputDims) is %d.', self.pos, nd, self.numInputDims))
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
