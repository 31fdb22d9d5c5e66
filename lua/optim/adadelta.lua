-- optim.adadelta: AdaDelta (Zeiler, arXiv:1212.5701): no learning rate; the step is the
-- gradient scaled by RMS(past steps) / RMS(past gradients).
--
--    x, {fx} = optim.adadelta(opfunc, x [, config] [, state])
--
-- config keys (default):
--    rho          0.9    decay of both running averages
--    eps          1e-6   added inside both square roots
--    weightDecay  0      adds weightDecay * x to the gradient
-- state (config itself when not given):
--    evalCounter  0
--    paramVariance   running average of squared gradients
--    paramStd        sqrt(paramVariance + eps)
--    delta           the last step
--    accDelta        running average of squared steps

local optim = optim

function optim.adadelta(opfunc, x, config, state)
   -- 1. read the settings
   if config == nil and state == nil then
      print('no state table, ADADELTA initializing')
   end
   config = config or {}
   state = state or config
   local rho = config.rho or 0.9
   local eps = config.eps or 1e-6
   local wd = config.weightDecay or 0
   state.evalCounter = state.evalCounter or 0

   -- 2. evaluate f and its gradient at x
   local fx, dfdx = opfunc(x)

   -- 3. weight decay
   if wd ~= 0 then dfdx:add(wd, x) end

   -- 4. state buffers, zero on the first call
   local var = state.paramVariance
   if not var then
      var = x.new():resizeAs(dfdx):zero()
      state.paramVariance = var
      state.paramStd = x.new():resizeAs(dfdx):zero()
      state.delta = x.new():resizeAs(dfdx):zero()
      state.accDelta = x.new():resizeAs(dfdx):zero()
   end
   local std, delta, acc = state.paramStd, state.delta, state.accDelta

   -- 5. running average of squared gradients and its root
   var:mul(rho):addcmul(1 - rho, dfdx, dfdx)
   std:resizeAs(var):copy(var):add(eps):sqrt()

   -- 6. step = sqrt(accDelta + eps) / std * gradient
   delta:resizeAs(var):copy(acc):add(eps):sqrt():cdiv(std):cmul(dfdx)
   x:add(-1, delta)

   -- 7. running average of squared steps
   acc:mul(rho):addcmul(1 - rho, delta, delta)

   -- 8. count the evaluation
   state.evalCounter = state.evalCounter + 1

   return x, {fx}
end
