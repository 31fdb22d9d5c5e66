-- nn.CMaxTable: a table of tensors -> their element-wise maximum; the gradient goes to the input
-- holding the maximum (the first one on ties).

local CMaxTable, parent = torch.class('nn.CMaxTable', 'nn.Module')

function CMaxTable:__init()
   parent.__init(self)
   self.gradInput = {}
   self.maxIdx = torch.Tensor()
end

-- Shared by nn.CMinTable: `better(a, b)` is the ByteTensor a > b (or a < b).
function CMaxTable:_extreme(input, better)
   self.output:resizeAs(input[1]):copy(input[1])
   self.maxIdx = self.maxIdx:typeAs(self.output)
   self.maxIdx:resizeAs(input[1]):fill(1)
   for i = 2, #input do
      local mask = better(input[i], self.output)
      self.maxIdx:maskedFill(mask, i)
      self.output:maskedCopy(mask, input[i][mask])
   end
   return self.output
end

function CMaxTable:updateOutput(input)
   return self:_extreme(input, torch.gt)
end

function CMaxTable:updateGradInput(input, gradOutput)
   for i = 1, #input do
      self.gradInput[i] = self.gradInput[i] or input[i].new()
      self.gradInput[i]:resizeAs(input[i]):zero()
      local mask = torch.eq(self.maxIdx, i)
      self.gradInput[i]:maskedCopy(mask, gradOutput[mask])
   end
   for i = #input + 1, #self.gradInput do self.gradInput[i] = nil end
   return self.gradInput
end
