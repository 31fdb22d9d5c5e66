-- optim.adam: Adam (Kingma & Ba, arXiv:1412.6980).
--
--    x, {fx} = optim.adam(opfunc, x [, config] [, state])
--
-- config keys (default):
--    learningRate       1e-3
--    learningRateDecay  0       rate = learningRate / (1 + t * decay), t = steps before this one
--    beta1              0.9     decay of the first-moment average
--    beta2              0.999   decay of the second-moment average
--    epsilon            1e-8    added to the root of the second moment
--    weightDecay        0       adds weightDecay * x to the gradient
-- state (config itself when not given):
--    t        0   steps taken
--    m            running average of gradients
--    v            running average of squared gradients
--    denom        sqrt(v) + epsilon

local optim = optim
local sqrt = math.sqrt
local door, H = torch._door, torch._H

local function onGpu(x)
   return cutorch ~= nil and cutorch._mts ~= nil and cutorch._mts[getmetatable(x)] ~= nil
end

function optim.adam(opfunc, x, config, state)
   -- 1. read the settings
   config = config or {}
   state = state or config
   local lr = config.learningRate or 0.001
   local lrd = config.learningRateDecay or 0
   local beta1 = config.beta1 or 0.9
   local beta2 = config.beta2 or 0.999
   local epsilon = config.epsilon or 1e-8
   local wd = config.weightDecay or 0

   -- 2. evaluate f and its gradient at x
   local fx, dfdx = opfunc(x)

   -- 3. weight decay
   if wd ~= 0 then dfdx:add(wd, x) end

   -- 4. state buffers, zero on the first call
   local t = state.t or 0
   local m, v, denom = state.m, state.v, state.denom
   if not m then
      m = x.new(dfdx:size()):zero()
      state.m = m
   end
   if not v then
      v = x.new(dfdx:size()):zero()
      state.v = v
   end
   if not denom then
      denom = x.new(dfdx:size()):zero()
      state.denom = denom
   end

   -- 5. annealed rate (from the count before this step), then count the step
   local clr = lr / (1 + t * lrd)
   t = t + 1
   state.t = t

   -- 6. the bias-corrected step size
   local bc1 = 1 - beta1 ^ t
   local bc2 = 1 - beta2 ^ t
   local stepSize = clr * sqrt(bc2) / bc1

   -- 7-8 as one kernel where the fused route serves x (a GPU tensor: kernels/fused.py)
   if onGpu(x) and door.optim_adam_fused(H[x], H[dfdx], H[m], H[v], H[denom], beta1, beta2,
         epsilon, stepSize) then
      return x, {fx}
   end

   -- 7. update both moment averages
   m:mul(beta1):add(1 - beta1, dfdx)
   v:mul(beta2):addcmul(1 - beta2, dfdx, dfdx)
   denom:copy(v):sqrt():add(epsilon)

   -- 8. the step
   x:addcdiv(-stepSize, m, denom)

   return x, {fx}
end
