-- optim.nag: SGD with Nesterov's accelerated gradient (Sutskever et al., ICML 2013): the
-- gradient is taken at the point the momentum is about to carry x to.
--
--    x, {fx} = optim.nag(opfunc, x [, config] [, state])
--
-- fx is f at the look-ahead point (where opfunc was called).
--
-- config keys (default):
--    learningRate       1e-3
--    learningRateDecay  0          step size = learningRate / (1 + evalCounter * decay)
--    weightDecay        0          adds weightDecay * x to the gradient
--    momentum           0.9        must be positive
--    dampening          (ignored; Torch7 accepts it and does not use it either)
--    learningRates      nil        tensor of per-parameter learning-rate factors
-- state (config itself when not given):
--    evalCounter        0
--    x_copy             x before the look-ahead
--    dfdx               the velocity (last update)
--    deltaParameters    scratch for learningRates * gradient

local optim = optim

function optim.nag(opfunc, x, config, state)
   -- 1. read the settings
   config = config or {}
   state = state or config
   local lr = config.learningRate or 1e-3
   local lrd = config.learningRateDecay or 0
   local wd = config.weightDecay or 0
   local mom = config.momentum or 0.9
   local lrs = config.learningRates
   local nevals = state.evalCounter or 0
   state.evalCounter = nevals
   if mom <= 0 then
      error('Momentum must be positive for Nesterov Accelerated Gradient', 2)
   end

   -- 2. remember x, then move it along the velocity
   local xcopy = state.x_copy
   if not xcopy then
      xcopy = x:clone()
      state.x_copy = xcopy
   else
      xcopy:resizeAs(x):copy(x)
   end
   local vel = state.dfdx
   if vel then x:add(mom, vel) end

   -- 3. gradient at the look-ahead point
   local fx, dfdx = opfunc(x)

   -- 4. weight decay
   if wd ~= 0 then dfdx:add(wd, x) end

   -- 5. annealed step size
   local clr = lr / (1 + nevals * lrd)

   -- 6. decay the velocity (a zero one on the first step)
   if not vel then
      vel = dfdx.new():resizeAs(dfdx):zero()
      state.dfdx = vel
   else
      vel:mul(mom)
   end

   -- 7. add the gradient step to the velocity and apply it to the remembered x
   if lrs then
      local delta = state.deltaParameters
      if not delta then
         delta = x.new():resizeAs(dfdx)
         state.deltaParameters = delta
      end
      delta:copy(lrs):cmul(dfdx)
      vel:add(-clr, delta)
   else
      vel:add(-clr, dfdx)
   end
   xcopy:add(vel)
   x:copy(xcopy)

   -- 8. count the evaluation
   state.evalCounter = nevals + 1

   return x, {fx}
end
