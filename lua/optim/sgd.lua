-- optim.sgd: stochastic gradient descent.
--
--    x, {fx} = optim.sgd(opfunc, x [, config] [, state])
--
-- opfunc(x) returns f(x) and df/dx; fx is f before the step.  The gradient tensor that opfunc
-- returns is modified in place (weight decay, Nesterov), as in Torch7.
--
-- config keys (default):
--    learningRate       1e-3
--    learningRateDecay  0          step size = learningRate / (1 + evalCounter * decay)
--    weightDecay        0          adds weightDecay * x to the gradient
--    weightDecays       nil        tensor of per-parameter decays (used when weightDecay is 0)
--    momentum           0
--    dampening          momentum   the new gradient enters the momentum buffer times 1 - this
--    nesterov           false      needs momentum > 0 and dampening == 0
--    learningRates      nil        tensor of per-parameter learning-rate factors
-- state (config itself when not given):
--    evalCounter        0          steps taken so far
--    dfdx               momentum buffer (made on the first step that uses momentum)
--    decayParameters    scratch for weightDecays * x
--    deltaParameters    scratch for learningRates * gradient

local optim = optim
local door, H = torch._door, torch._H

-- whether x is a GPU tensor (cutorch loaded and x of one of its types)
local function onGpu(x)
   return cutorch ~= nil and cutorch._mts ~= nil and cutorch._mts[getmetatable(x)] ~= nil
end

function optim.sgd(opfunc, x, config, state)
   -- 1. read the settings
   config = config or {}
   state = state or config
   local lr = config.learningRate or 1e-3
   local lrd = config.learningRateDecay or 0
   local wd = config.weightDecay or 0
   local mom = config.momentum or 0
   local damp = config.dampening or mom
   local nesterov = config.nesterov or false
   local lrs = config.learningRates
   local wds = config.weightDecays
   local nevals = state.evalCounter or 0
   state.evalCounter = nevals
   if nesterov and (mom <= 0 or damp ~= 0) then
      error('Nesterov momentum requires a momentum and zero dampening', 2)
   end

   -- 2. evaluate f and its gradient at x
   local fx, dfdx = opfunc(x)

   -- 3. weight decay: one coefficient for all, or one per parameter
   if wd ~= 0 then
      dfdx:add(wd, x)
   elseif wds then
      local decay = state.decayParameters
      if not decay then
         decay = x.new():resizeAs(dfdx)
         state.decayParameters = decay
      end
      decay:copy(wds):cmul(x)
      dfdx:add(decay)
   end

   -- 4-6 as one kernel where the fused route serves x (a GPU tensor: kernels/fused.py)
   if mom ~= 0 and state.dfdx and not lrs and onGpu(x)
      and door.optim_sgd_fused(H[x], H[dfdx], H[state.dfdx], lr / (1 + nevals * lrd), mom, damp,
         nesterov) then
      state.evalCounter = nevals + 1
      return x, {fx}
   end

   -- 4. momentum: the buffer starts as the first gradient, then decays
   if mom ~= 0 then
      local buf = state.dfdx
      if not buf then
         buf = dfdx.new():resizeAs(dfdx):copy(dfdx)
         state.dfdx = buf
      else
         buf:mul(mom):add(1 - damp, dfdx)
      end
      if nesterov then
         dfdx:add(mom, buf)
      else
         dfdx = buf
      end
   end

   -- 5. annealed step size
   local clr = lr / (1 + nevals * lrd)

   -- 6. the step, with one learning rate or one per parameter
   if lrs then
      local delta = state.deltaParameters
      if not delta then
         delta = x.new():resizeAs(dfdx)
         state.deltaParameters = delta
      end
      delta:copy(lrs):cmul(dfdx)
      x:add(-clr, delta)
   else
      x:add(-clr, dfdx)
   end

   -- 7. count the evaluation
   state.evalCounter = nevals + 1

   return x, {fx}
end
