-- nn.SmoothL1Criterion: Huber loss: 0.5 d^2 where |d| < 1, |d| - 0.5 elsewhere
-- (d = x - y), summed over all elements and divided by n when sizeAverage.

local SmoothL1Criterion = torch.class('nn.SmoothL1Criterion', 'nn.Criterion')

nn.Criterion._elementwise(SmoothL1Criterion,
   torch._door.loss_smoothl1, torch._door.loss_smoothl1_grad)
