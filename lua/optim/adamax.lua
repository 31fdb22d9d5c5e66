-- optim.adamax: AdaMax, the infinity-norm variant of Adam (Kingma & Ba, arXiv:1412.6980).
--
--    x, {fx} = optim.adamax(opfunc, x [, config] [, state])
--
-- config keys (default):
--    learningRate  0.002
--    beta1         0.9     decay of the first-moment average
--    beta2         0.999   decay of the infinity norm
--    epsilon       1e-38   added to |gradient| before taking the maximum
-- state (config itself when not given):
--    t    0   steps taken
--    m        running average of gradients
--    u        exponentially weighted infinity norm: max(beta2 * u, |g| + epsilon)
--    max      scratch holding |g| + epsilon

local optim = optim

function optim.adamax(opfunc, x, config, state)
   -- 1. read the settings
   config = config or {}
   state = state or config
   local lr = config.learningRate or 0.002
   local beta1 = config.beta1 or 0.9
   local beta2 = config.beta2 or 0.999
   local epsilon = config.epsilon or 1e-38

   -- 2. evaluate f and its gradient at x
   local fx, dfdx = opfunc(x)

   -- 3. state buffers, zero on the first call
   local t = state.t or 0
   local m, u, buf = state.m, state.u, state.max
   if not m then
      m = x.new(dfdx:size()):zero()
      state.m = m
   end
   if not u then
      u = x.new(dfdx:size()):zero()
      state.u = u
   end
   if not buf or buf:nElement() ~= dfdx:nElement() then
      buf = x.new(dfdx:size()):zero()
      state.max = buf
   end
   t = t + 1
   state.t = t

   -- 4. first moment, and the decayed infinity norm
   m:mul(beta1):add(1 - beta1, dfdx)
   buf:abs(dfdx):add(epsilon)
   u:mul(beta2):cmax(buf)

   -- 5. bias-corrected step
   local stepSize = lr / (1 - beta1 ^ t)
   x:addcdiv(-stepSize, m, u)

   return x, {fx}
end
