-- kex (koraykv/kex), the one piece that Torch7 code still reaches for: Tensor:shrinkage, the
-- soft-thresholding step of L1 solvers such as optim.FistaLS.  kex's nn modules and lush file
-- reader are not here.
--
--    x:shrinkage(lambda)   in place: x - lambda where x > lambda, x + lambda where
--                          x < -lambda, 0 between; lambda >= 0.  Returns x.
require 'torch'

kex = kex or {}
local kex = kex
package.loaded.kex = kex

local function shrinkage(x, lambda)
   if type(lambda) ~= 'number' then
      error('bad argument #2 to \'shrinkage\' (number expected, got ' .. type(lambda) .. ')', 2)
   end
   if lambda < 0 then
      error('bad argument #2 to \'shrinkage\' (Lambda should be non-negative)', 2)
   end
   if lambda == 0 then return x end
   -- sign(x) * max(|x| - lambda, 0); adding 0 turns the -0 of small negatives into 0, as kex
   local mag = x:clone():abs():add(-lambda):cmax(0)
   x:sign():cmul(mag):add(0)
   return x
end

for _, name in ipairs({'torch.FloatTensor', 'torch.DoubleTensor', 'torch.CudaTensor'}) do
   local mt = torch.getmetatable(name)
   if mt then mt.shrinkage = shrinkage end
end

return kex
