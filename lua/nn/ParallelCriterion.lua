-- nn.ParallelCriterion: a weighted sum of criterions, the i-th applied to input[i] and
-- target[i] (or to the whole target when repeatTarget).

local ParallelCriterion, parent = torch.class('nn.ParallelCriterion', 'nn.Criterion')

function ParallelCriterion:__init(repeatTarget)
   parent.__init(self)
   self.criterions = {}
   self.weights = {}
   self.gradInput = {}
   self.repeatTarget = repeatTarget
end

function ParallelCriterion:add(criterion, weight)
   if not torch.isTypeOf(criterion, 'nn.Criterion') then
      torch._error('nn.ParallelCriterion:add expects a criterion, got ' ..
         torch.type(criterion))
   end
   weight = weight or 1
   table.insert(self.criterions, criterion)
   table.insert(self.weights, weight)
   return self
end

function ParallelCriterion:updateOutput(input, target)
   local output = 0
   for i, criterion in ipairs(self.criterions) do
      local t = self.repeatTarget and target or target[i]
      output = output + self.weights[i] * criterion:updateOutput(input[i], t)
   end
   self.output = output
   return output
end

function ParallelCriterion:updateGradInput(input, target)
   self.gradInput = nn.utils.recursiveResizeAs(self.gradInput, input)
   nn.utils.recursiveFill(self.gradInput, 0)
   for i, criterion in ipairs(self.criterions) do
      local t = self.repeatTarget and target or target[i]
      nn.utils.recursiveAdd(self.gradInput[i], self.weights[i],
         criterion:updateGradInput(input[i], t))
   end
   return self.gradInput
end

function ParallelCriterion:type(typename, tensorCache)
   self.gradInput = {}
   return parent.type(self, typename, tensorCache)
end
