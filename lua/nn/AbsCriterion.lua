-- nn.AbsCriterion: mean absolute error, sum |x - y| / n (no division when
-- sizeAverage is false).

local AbsCriterion = torch.class('nn.AbsCriterion', 'nn.Criterion')

nn.Criterion._elementwise(AbsCriterion,
   torch._door.loss_abs, torch._door.loss_abs_grad)
