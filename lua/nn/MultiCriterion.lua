-- nn.MultiCriterion: a weighted sum of criterions all applied to the same input and target.

local MultiCriterion, parent = torch.class('nn.MultiCriterion', 'nn.Criterion')

function MultiCriterion:__init()
   parent.__init(self)
   self.criterions = {}
   self.weights = torch.DoubleStorage()
end

function MultiCriterion:add(criterion, weight)
   if not torch.isTypeOf(criterion, 'nn.Criterion') then
      torch._error('nn.MultiCriterion:add expects a criterion, got ' .. torch.type(criterion))
   end
   weight = weight or 1
   table.insert(self.criterions, criterion)
   self.weights:resize(#self.criterions)
   self.weights[#self.criterions] = weight
   return self
end

function MultiCriterion:updateOutput(input, target)
   local output = 0
   for i = 1, #self.criterions do
      output = output + self.weights[i] * self.criterions[i]:updateOutput(input, target)
   end
   self.output = output
   return output
end

function MultiCriterion:updateGradInput(input, target)
   self.gradInput = nn.utils.recursiveResizeAs(self.gradInput, input)
   nn.utils.recursiveFill(self.gradInput, 0)
   for i = 1, #self.criterions do
      nn.utils.recursiveAdd(self.gradInput, self.weights[i],
         self.criterions[i]:updateGradInput(input, target))
   end
   return self.gradInput
end

function MultiCriterion:type(typename, tensorCache)
   for _, criterion in ipairs(self.criterions) do
      criterion:type(typename, tensorCache)
   end
   return parent.type(self, typename, tensorCache)
end

function MultiCriterion:__tostring__()
   local parts = {}
   for i, c in ipairs(self.criterions) do
      parts[i] = '(' .. i .. '): ' .. tostring(c) .. ' x ' .. self.weights[i]
   end
   return torch.type(self) .. ' {' .. table.concat(parts, ', ') .. '}'
end
