-- The small regression net the distributed tests train (require 'toy' from their folder).
local toy = {}

--- A 6-5-2 tanh net and its MSE criterion, its weights drawn from seed `seed`.
function toy.makeModel(seed)
   torch.manualSeed(seed)
   local m = nn.Sequential():add(nn.Linear(6, 5)):add(nn.Tanh()):add(nn.Linear(5, 2))
   return m, nn.MSECriterion()
end

--- The loss on (x, y), with the gradient left in `gp` (zeroed first).
function toy.grad(m, crit, gp, x, y)
   gp:zero()
   local out = m:forward(x)
   local loss = crit:forward(out, y)
   m:backward(x, crit:backward(out, y))
   return loss
end

return toy
