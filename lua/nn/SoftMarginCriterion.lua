-- nn.SoftMarginCriterion: two-class logistic loss, sum log(1 + exp(-y x)) / n
-- (labels y are 1 or -1).

local SoftMarginCriterion = torch.class('nn.SoftMarginCriterion', 'nn.Criterion')

nn.Criterion._elementwise(SoftMarginCriterion,
   torch._door.loss_softmargin, torch._door.loss_softmargin_grad)

-- Torch7's constructor takes no argument: a sum instead of a mean is asked for by setting
-- sizeAverage = false afterwards (torch/cunn's test passes one and expects it ignored)
function SoftMarginCriterion:__init()
   nn.Criterion.__init(self)
   self.sizeAverage = true
end
