-- optim.adagrad: AdaGrad, each parameter's step scaled by the root of its summed squared
-- gradients.
--
--    x, {fx} = optim.adagrad(opfunc, x [, config] [, state])
--
-- config keys (default):
--    learningRate       1e-3
--    learningRateDecay  0      step size = learningRate / (1 + evalCounter * decay)
--    weightDecay        0      adds weightDecay * x to the gradient
-- state (config itself when not given):
--    evalCounter        0
--    paramVariance      sum of squared gradients
--    paramStd           its square root (plus 1e-10)

local optim = optim

function optim.adagrad(opfunc, x, config, state)
   -- 1. read the settings
   if config == nil and state == nil then
      print('no state table, ADAGRAD initializing')
   end
   config = config or {}
   state = state or config
   local lr = config.learningRate or 1e-3
   local lrd = config.learningRateDecay or 0
   local wd = config.weightDecay or 0
   local nevals = state.evalCounter or 0
   state.evalCounter = nevals

   -- 2. evaluate f and its gradient at x
   local fx, dfdx = opfunc(x)

   -- 3. weight decay
   if wd ~= 0 then dfdx:add(wd, x) end

   -- 4. annealed step size
   local clr = lr / (1 + nevals * lrd)

   -- 5. accumulate the squared gradient and step by gradient / root of the sum
   local var, std = state.paramVariance, state.paramStd
   if not var then
      var = x.new():resizeAs(dfdx):zero()
      std = x.new():resizeAs(dfdx)
      state.paramVariance, state.paramStd = var, std
   end
   var:addcmul(1, dfdx, dfdx)
   std:sqrt(var):add(1e-10)
   x:addcdiv(-clr, dfdx, std)

   -- 6. count the evaluation
   state.evalCounter = nevals + 1

   return x, {fx}
end
