-- A criterion as a graph module: input {prediction, target}, output the loss as a 1-element
-- tensor, so criterion({pred, target}) can end a gModule.
local ModuleFromCriterion, parent = torch.class('nn.ModuleFromCriterion', 'nn.Module')

function ModuleFromCriterion:__init(criterion)
   parent.__init(self)
   self.criterion = criterion
   self.output = torch.Tensor(1)
   self.gradInput = {torch.Tensor(), torch.Tensor()}
end

function ModuleFromCriterion:updateOutput(input)
   local prediction, target = input[1], input[2]
   self.output:resize(1)
   self.output[1] = self.criterion:updateOutput(prediction, target)
   return self.output
end

function ModuleFromCriterion:updateGradInput(input, gradOutput)
   local prediction, target = input[1], input[2]
   local g = self.criterion:updateGradInput(prediction, target)
   self.gradInput[1]:resizeAs(g):copy(g):mul(gradOutput[1])
   -- the target gets no gradient, as in nngraph
   self.gradInput[2]:resizeAs(target):zero()
   return self.gradInput
end

function ModuleFromCriterion:type(t, cache)
   self.criterion:type(t, cache)
   return parent.type(self, t, cache)
end
