-- nn.MarginRankingCriterion: for input {x1, x2} and label y (1: x1 should rank higher, -1:
-- lower), max(0, -y (x1 - x2) + margin).  A number y takes one-element inputs; a tensor y
-- takes batches, summed and divided by the batch size when sizeAverage.

local MarginRankingCriterion, parent = torch.class('nn.MarginRankingCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_ranking, door.loss_ranking_grad

function MarginRankingCriterion:__init(margin)
   parent.__init(self)
   self.margin = margin or 1
   self.gradInput = {torch.Tensor(1), torch.Tensor(1)}
   self.sizeAverage = true
end

function MarginRankingCriterion:updateOutput(input, y)
   self.output = k_fwd(H[input[1]], H[input[2]], H[y] or y, self.margin, self.sizeAverage)
   return self.output
end

function MarginRankingCriterion:updateGradInput(input, y)
   local gi = self.gradInput
   k_bwd(H[gi[1]], H[gi[2]], H[input[1]], H[input[2]], H[y] or y, self.margin,
      self.sizeAverage)
   return gi
end
