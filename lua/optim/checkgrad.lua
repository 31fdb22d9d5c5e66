-- optim.checkgrad: compare opfunc's gradient with central finite differences.
--
--    diff, dC, dC_est = optim.checkgrad(opfunc, x [, eps])
--
-- diff = |dC - dC_est| / |dC + dC_est| (should be near zero); dC is the gradient opfunc
-- returned at x (a copy, so later evaluations cannot overwrite it), dC_est the estimate
-- (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each element i of x.  x is left as it was.
--
-- arguments (default):
--    eps   1e-7   finite-difference step

local optim = optim

function optim.checkgrad(opfunc, x, eps)
   -- 1. the analytic gradient at x
   local _, grad = opfunc(x)
   local dC = grad:clone():resize(x:nElement())
   eps = eps or 1e-7

   -- 2. walk over x's elements through a flat view
   local flat = x
   if x:dim() ~= 1 then
      if not x:isContiguous() then error('checkgrad needs a contiguous x', 2) end
      flat = x:view(x:nElement())
   end
   local dC_est = dC.new():resizeAs(dC)
   for i = 1, flat:size(1) do
      local orig = flat[i]
      flat[i] = orig + eps
      local C1 = opfunc(x)
      flat[i] = orig - eps
      local C2 = opfunc(x)
      flat[i] = orig
      dC_est[i] = (C1 - C2) / (2 * eps)
   end

   -- 3. relative error of the gradient
   local diff = torch.norm(dC - dC_est) / torch.norm(dC + dC_est)
   return diff, dC, dC_est
end
