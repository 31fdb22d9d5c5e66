-- nn.Narrow(dim, offset, length): input:narrow(dim, offset, length), copied.  A negative
-- dimension counts from the end; a negative length stops that many elements before the end
-- (-1: at the end); a negative offset keeps all but the last `length` elements (Torch7's rule).

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
   local index, length = self.index, self.length
   if length < 0 then length = n - index + length + 2 end
   if index < 0 then
      index, length = 1, n - length
   end
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
