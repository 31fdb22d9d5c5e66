-- nn.DistKLDivCriterion: Kullback-Leibler divergence, sum y (log y - x) over
-- y > 0 (x holds log-probabilities), divided by n when sizeAverage.

local DistKLDivCriterion = torch.class('nn.DistKLDivCriterion', 'nn.Criterion')

nn.Criterion._elementwise(DistKLDivCriterion,
   torch._door.loss_kldiv, torch._door.loss_kldiv_grad)

-- Torch7's constructor takes no argument: a sum instead of a mean is asked for by setting
-- sizeAverage = false afterwards (torch/cunn's test passes one and expects it ignored)
function DistKLDivCriterion:__init()
   nn.Criterion.__init(self)
   self.sizeAverage = true
end
