-- nn.DistKLDivCriterion: Kullback-Leibler divergence, sum y (log y - x) over
-- y > 0 (x holds log-probabilities), divided by n when sizeAverage.

local DistKLDivCriterion = torch.class('nn.DistKLDivCriterion', 'nn.Criterion')

nn.Criterion._elementwise(DistKLDivCriterion,
   torch._door.loss_kldiv, torch._door.loss_kldiv_grad)
