-- nn.CriterionTable(criterion): a module whose input {input, target} goes to a criterion; the
-- output is the loss, the gradient that of the criterion with respect to its input.

local CriterionTable, parent = torch.class('nn.CriterionTable', 'nn.Module')

function CriterionTable:__init(criterion)
   parent.__init(self)
   self.criterion = criterion
   self.gradInput = {criterion.gradInput}
end

function CriterionTable:updateOutput(input)
   self.output = self.criterion:updateOutput(unpack(input))
   return self.output
end

function CriterionTable:updateGradInput(input, gradOutput)
   local g = self.criterion:updateGradInput(unpack(input))
   self.gradInput[1] = g or self.criterion.gradInput
   return self.gradInput
end
