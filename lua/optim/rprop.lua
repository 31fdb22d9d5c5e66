-- optim.rprop: resilient backpropagation (Riedmiller), only the sign of the gradient is used;
-- each parameter's step size grows while the sign holds and shrinks when it flips.
--
--    x, {f1, ..., fniter} = optim.rprop(opfunc, x [, config] [, state])
--
-- config keys (default):
--    stepsize     0.1     initial step size of every parameter
--    etaplus      1.2     growth factor (> 1) when the sign holds
--    etaminus     0.5     shrink factor (< 1) when the sign flips
--    stepsizemax  50      largest step size
--    stepsizemin  1e-6    smallest step size
--    niter        1       iterations per call (one evaluation each)
-- state (config itself when not given):
--    delta        the previous gradient (zeroed where its sign had flipped)
--    stepsize     per-parameter step sizes
--    sign         scratch: sign products, then factors, then the step direction
--    psign, nsign, zsign, dminmax   ByteTensor masks

local optim = optim

function optim.rprop(opfunc, x, config, state)
   -- 1. read the settings
   if config == nil and state == nil then
      print('no state table RPROP initializing')
   end
   config = config or {}
   state = state or config
   local stepsize = config.stepsize or 0.1
   local etaplus = config.etaplus or 1.2
   local etaminus = config.etaminus or 0.5
   local stepsizemax = config.stepsizemax or 50.0
   local stepsizemin = config.stepsizemin or 1e-06
   local niter = config.niter or 1

   local hfx = {}
   for _ = 1, niter do
      -- 2. evaluate f and its gradient at x
      local fx, dfdx = opfunc(x)

      -- 3. state buffers on the first call
      if not state.delta then
         local size = dfdx:size()
         state.delta = dfdx.new(size):zero()
         state.stepsize = dfdx.new(size):fill(stepsize)
         state.sign = dfdx.new(size)
         state.psign = torch.ByteTensor(size)
         state.nsign = torch.ByteTensor(size)
         state.zsign = torch.ByteTensor(size)
         state.dminmax = torch.ByteTensor(size)
      end
      local sign, steps = state.sign, state.stepsize
      local psign, nsign, zsign, dminmax = state.psign, state.nsign, state.zsign, state.dminmax

      -- 4. did the gradient keep its sign since the last step?
      torch.cmul(sign, dfdx, state.delta)
      torch.sign(sign, sign)
      torch.gt(psign, sign, 0)
      torch.lt(nsign, sign, 0)
      torch.eq(zsign, sign, 0)

      -- 5. grow, shrink or keep each step size, within [stepsizemin, stepsizemax]
      sign:maskedFill(psign, etaplus)
      sign:maskedFill(nsign, etaminus)
      sign:maskedFill(zsign, 1)
      steps:cmul(sign)
      torch.gt(dminmax, steps, stepsizemax)
      steps:maskedFill(dminmax, stepsizemax)
      torch.lt(dminmax, steps, stepsizemin)
      steps:maskedFill(dminmax, stepsizemin)

      -- 6. where the sign flipped, skip this step and forget the gradient
      dfdx:maskedFill(nsign, 0)

      -- 7. move each parameter by its step size against its gradient's sign
      torch.sign(sign, dfdx)
      x:addcmul(-1, sign, steps)

      -- 8. remember the gradient for the next sign test
      state.delta:copy(dfdx)
      hfx[#hfx + 1] = fx
   end

   return x, hfx
end
