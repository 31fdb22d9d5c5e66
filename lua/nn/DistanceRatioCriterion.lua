-- nn.DistanceRatioCriterion: for input {X, Y} (distances of similar and of dissimilar pairs),
-- -log(exp(-X) / (exp(-X) + exp(-Y))) summed, divided by the number of distances when
-- sizeAverage.  No target.

local DistanceRatioCriterion, parent = torch.class('nn.DistanceRatioCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_distratio, door.loss_distratio_grad

function DistanceRatioCriterion:__init(sizeAverage)
   parent.__init(self)
   if sizeAverage ~= nil then
      self.sizeAverage = sizeAverage
   else
      self.sizeAverage = true
   end
   self.gradInput = {torch.Tensor(), torch.Tensor()}
end

local function check(input)
   if type(input) ~= 'table' or #input ~= 2 then
      torch._error('nn.DistanceRatioCriterion: invalid number of inputs (expected {X, Y})')
   end
end

function DistanceRatioCriterion:updateOutput(input)
   check(input)
   self.output = k_fwd(H[input[1]], H[input[2]], self.sizeAverage)
   return self.output
end

function DistanceRatioCriterion:updateGradInput(input)
   check(input)
   local gi = self.gradInput
   k_bwd(H[gi[1]], H[gi[2]], H[input[1]], H[input[2]], self.sizeAverage)
   return gi
end
