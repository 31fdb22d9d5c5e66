-- nn.CMinTable: a table of tensors -> their element-wise minimum; the gradient goes to the input
-- holding the minimum (the first one on ties).

local CMinTable, parent = torch.class('nn.CMinTable', 'nn.Module')

function CMinTable:__init()
   parent.__init(self)
   self.gradInput = {}
   self.maxIdx = torch.Tensor()
end

CMinTable._extreme = nn.CMaxTable._extreme
CMinTable.updateGradInput = nn.CMaxTable.updateGradInput

function CMinTable:updateOutput(input)
   return self:_extreme(input, torch.lt)
end
