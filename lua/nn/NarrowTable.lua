-- nn.NarrowTable(offset [, length]): a table -> its elements offset .. offset + length - 1.

local NarrowTable, parent = torch.class('nn.NarrowTable', 'nn.Module')

function NarrowTable:__init(offset, length)
   parent.__init(self)
   self.offset = offset
   self.length = length or 1
   if not offset then torch._error('nn.NarrowTable(offset, length)') end
   self.output = {}
   self.gradInput = {}
   self._zeros = {}
end

function NarrowTable:updateOutput(input)
   for k in ipairs(self.output) do self.output[k] = nil end
   for i = 1, self.length do self.output[i] = input[self.offset + i - 1] end
   return self.output
end

function NarrowTable:updateGradInput(input, gradOutput)
   for i = 1, #gradOutput do self.gradInput[self.offset + i - 1] = gradOutput[i] end
   for i = 1, #input do
      if i < self.offset or i >= self.offset + self.length then
         -- elements left out get zeros (buffers of our own, never the caller's tensors)
         self._zeros[i] = nn.utils.recursiveResizeAs(self._zeros[i], input[i])
         nn.utils.recursiveFill(self._zeros[i], 0)
         self.gradInput[i] = self._zeros[i]
      end
   end
   for i = #input + 1, #self.gradInput do self.gradInput[i] = nil end
   return self.gradInput
end

function NarrowTable:type(type, tensorCache)
   self.output = {}
   self.gradInput = {}
   self._zeros = {}
   return parent.type(self, type, tensorCache)
end
