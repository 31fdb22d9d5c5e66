-- nn.ClassSimplexCriterion: each of nClasses classes is a vertex of a regular simplex (padded
-- with zeros to nClasses coordinates); the loss is the MSE between the input and the target
-- classes' vertices.

local ClassSimplexCriterion, parent = torch.class('nn.ClassSimplexCriterion',
   'nn.MSECriterion')

local H = torch._H
local door = torch._door
local k_embed, k_target = door.loss_simplex_embed, door.loss_simplex_target
local k_fwd, k_bwd = door.loss_mse, door.loss_mse_grad

function ClassSimplexCriterion:__init(nClasses)
   parent.__init(self)
   if not (type(nClasses) == 'number' and nClasses > 1 and nClasses % 1 == 0) then
      torch._error('Required positive integer argument nClasses > 1')
   end
   self.nClasses = nClasses
   self.simplex = torch.Tensor()
   k_embed(H[self.simplex], nClasses)
   self._target = torch.Tensor(nClasses)
end

function ClassSimplexCriterion:updateOutput(input, target)
   k_target(H[self._target], H[self.simplex], H[target] or target)
   self.output = k_fwd(H[input] or input, H[self._target], self.sizeAverage)
   return self.output
end

function ClassSimplexCriterion:updateGradInput(input, target)
   k_bwd(H[self.gradInput], H[input] or input, H[self._target], self.sizeAverage)
   return self.gradInput
end

function ClassSimplexCriterion:getPredictions(input)
   if input:dim() == 1 then
      input = input:view(1, -1)
   end
   return torch.mm(input, self.simplex:t())
end

function ClassSimplexCriterion:getTopPrediction(input)
   local prod = self:getPredictions(input)
   local _, maxs = prod:max(prod:nDimension())
   return maxs:view(-1)
end
