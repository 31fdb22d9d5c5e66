-- nn.Narrow(dim, offset, length): input:narrow(dim, offset, length), copied.  A negative
-- dimension or offset counts from the end; a negative length leaves that many elements
-- (-1: up to the end).

local Narrow, parent = torch.class('nn.Narrow', 'nn.Module')

function Narrow:__init(dimension, offset, length)
   parent.__init(self)
   if not dimension or not offset then torch._error('nn.Narrow(dimension, offset, length)') end
   self.dimension = dimension
   self.index = offset
   self.length = length or 1
end

local function place(self, input)
   local dim = self.dimension < 0 and input:dim() + self.dimension + 1 or self.dimension
   local n = input:size(dim)
   local index = self.index < 0 and n + self.index + 1 or self.index
   local length = self.length
   if length < 0 then length = n - index + length + 2 end
   return dim, index, length
end

function Narrow:updateOutput(input)
   local dim, index, length = place(self, input)
   local output = input:narrow(dim, index, length)
   self.output = self.output:typeAs(output)
   self.output:resizeAs(output):copy(output)
   return self.output
end

function Narrow:updateGradInput(input, gradOutput)
   local dim, index, length = place(self, input)
   self.gradInput = self.gradInput:typeAs(input)
   self.gradInput:resizeAs(input):zero()
   self.gradInput:narrow(dim, index, length):copy(gradOutput)
   return self.gradInput
end
