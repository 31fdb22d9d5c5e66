-- nn.SoftMarginCriterion: two-class logistic loss, sum log(1 + exp(-y x)) / n
-- (labels y are 1 or -1).

local SoftMarginCriterion = torch.class('nn.SoftMarginCriterion', 'nn.Criterion')

nn.Criterion._elementwise(SoftMarginCriterion,
   torch._door.loss_softmargin, torch._door.loss_softmargin_grad)
