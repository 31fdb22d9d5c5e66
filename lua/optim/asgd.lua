-- optim.asgd: averaged stochastic gradient descent (as in L. Bottou's sgd-2.0):
--    x     <- (1 - lambda * eta_t) * x - eta_t * df/dx
--    ax    <- ax + mu_t * (x - ax)
--    eta_t  = eta0 / (1 + lambda * eta0 * t) ^ alpha
--    mu_t   = 1 / max(1, t - t0)
--
--    x, {fx}, ax = optim.asgd(opfunc, x [, config] [, state])
--
-- config keys (default; missing ones are written into config, as Torch7 does):
--    eta0    1e-4   learning rate
--    lambda  1e-4   decay term
--    alpha   0.75   power of the learning-rate decay
--    t0      1e6    step from which x is averaged
-- state (config itself when not given):
--    eta_t   eta0   current learning rate
--    mu_t    1      current averaging rate
--    t       0      steps taken
--    ax             the averaged x
--    tmp            scratch for x - ax

local optim = optim
local max, pow = math.max, math.pow

function optim.asgd(opfunc, x, config, state)
   -- 1. settings and hidden state
   config = config or {}
   state = state or config
   config.eta0 = config.eta0 or 1e-4
   config.lambda = config.lambda or 1e-4
   config.alpha = config.alpha or 0.75
   config.t0 = config.t0 or 1e6
   state.eta_t = state.eta_t or config.eta0
   state.mu_t = state.mu_t or 1
   state.t = state.t or 0

   -- 2. evaluate f and its gradient at x
   local fx, dfdx = opfunc(x)

   -- 3. shrink x (the decay term), then step along the gradient
   x:mul(1 - config.lambda * state.eta_t)
   x:add(-state.eta_t, dfdx)

   -- 4. running average of x (a plain copy while mu_t is 1)
   local ax = state.ax
   if not ax then
      ax = x.new():resizeAs(x):zero()
      state.ax = ax
   end
   local tmp = state.tmp
   if not tmp then
      tmp = ax.new():resizeAs(ax)
      state.tmp = tmp
   end
   if state.mu_t ~= 1 then
      tmp:copy(x):add(-1, ax):mul(state.mu_t)
      ax:add(tmp)
   else
      ax:copy(x)
   end

   -- 5. next learning and averaging rates
   state.t = state.t + 1
   state.eta_t = config.eta0 / pow(1 + config.lambda * config.eta0 * state.t, config.alpha)
   state.mu_t = 1 / max(1, state.t - config.t0)

   return x, {fx}, ax
end
