-- optim.rmsprop: RMSprop, each step divided by the root of a leaky average of squared
-- gradients.
--
--    x, {fx} = optim.rmsprop(opfunc, x [, config] [, state])
--
-- config keys (default):
--    learningRate  1e-2
--    alpha         0.99   smoothing constant of the average
--    epsilon       1e-8   added to the root
--    weightDecay   0      adds weightDecay * x to the gradient
--    initialMean   0      starting value of the average
-- state (config itself when not given):
--    m      leaky average of squared gradients
--    tmp    sqrt(m) + epsilon

local optim = optim

function optim.rmsprop(opfunc, x, config, state)
   -- 1. read the settings
   config = config or {}
   state = state or config
   local lr = config.learningRate or 1e-2
   local alpha = config.alpha or 0.99
   local epsilon = config.epsilon or 1e-8
   local wd = config.weightDecay or 0
   local mfill = config.initialMean or 0

   -- 2. evaluate f and its gradient at x
   local fx, dfdx = opfunc(x)

   -- 3. weight decay
   if wd ~= 0 then dfdx:add(wd, x) end

   -- 4. state buffers on the first call
   local m, tmp = state.m, state.tmp
   if not m then
      m = x.new():resizeAs(dfdx):fill(mfill)
      tmp = x.new():resizeAs(dfdx)
      state.m, state.tmp = m, tmp
   end

   -- 5. leaky average of squared gradients
   m:mul(alpha):addcmul(1 - alpha, dfdx, dfdx)

   -- 6. step
   tmp:sqrt(m):add(epsilon)
   x:addcdiv(-lr, dfdx, tmp)

   return x, {fx}
end
