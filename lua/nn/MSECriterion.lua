-- nn.MSECriterion: mean squared error, sum (x - y)^2 / n over all elements (the
-- division by n is dropped when sizeAverage is false); x and y need the same element count.

local MSECriterion = torch.class('nn.MSECriterion', 'nn.Criterion')

nn.Criterion._elementwise(MSECriterion,
   torch._door.loss_mse, torch._door.loss_mse_grad)
