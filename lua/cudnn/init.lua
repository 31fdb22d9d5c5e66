-- cudnn: the cudnn.torch module names on top of nn, so scripts written for cuDNN run anywhere.
-- Every cudnn.X is a subclass of nn.X taking cudnn's constructor arguments and computing
-- exactly what nn.X computes (cudnn.SoftMax / LogSoftMax keep cuDNN's per-instance mode).
-- cudnn.convert(net, nn | cudnn [, exclusion_fn]) swaps modules between the two backends,
-- keeping their weights.  On a real GPU with NVIDIA's cuDNN frontend installed, nn's (and so
-- cudnn's) convolutions and batch normalizations run through cuDNN whichever name built them;
-- the global modes below choose its plans (luatorch/kernels/routes.py).

require 'nn'

cudnn = cudnn or {}
package.loaded.cudnn = cudnn

local door = torch._door

-- global modes of cudnn.torch, plus two of luatorch's: reading gives the last value set,
-- setting also tells the kernels
--    benchmark      time every plan on a shape's first call and keep the fastest
--    fastest        take the heuristics' first plan whatever workspace it needs
--    verbose        print the plan each new shape gets
--    deterministic  refuse plans cuDNN marks non-deterministic (luatorch)
--    tf32           let float32 plans use TF32 tensor cores (luatorch; off: full float32)
local modes = {benchmark = false, fastest = false, verbose = false, deterministic = false,
   tf32 = false}
for k, v in pairs(modes) do
   rawset(cudnn, k, nil)
   door.cudnn_set_flag(k, v)
end
setmetatable(cudnn, {
   __index = function(_, k) return modes[k] end,
   __newindex = function(t, k, v)
      if modes[k] ~= nil then
         v = v and true or false
         modes[k] = v
         door.cudnn_set_flag(k, v)
      else
         rawset(t, k, v)
      end
   end,
})

-- Scripts compare this number to pick features (fb.resnet.torch drops convolution biases from
-- 4000 on).  With the frontend on a real GPU it is the cuDNN library's own version; elsewhere
-- the modules cover everything cudnn.torch's R7 bindings did, so it reports the last release
-- those bindings served, cuDNN 7.6.5.
local v = door.cudnn_version()
cudnn.version = v > 0 and v or 7605

--- cudnn.routes(): which route serves GPU kernels and the plan cache's counters, as a table
-- (frontend, cudnn, fused, benchmark, fastest, deterministic, plans_size, plans_hits, ...).
function cudnn.routes()
   local kv = {door.cudnn_routes()}
   local out = {}
   for i = 1, #kv, 2 do out[kv[i]] = kv[i + 1] end
   return out
end

--- cudnn.clearPlans(): forget every built plan (they are rebuilt on their next call).
function cudnn.clearPlans() door.cudnn_clear_plans() end

require 'cudnn.SpatialConvolution'
require 'cudnn.SpatialMaxPooling'
require 'cudnn.SpatialAveragePooling'
require 'cudnn.Pointwise'
require 'cudnn.SoftMax'
require 'cudnn.BatchNormalization'
require 'cudnn.SpatialCrossMapLRN'
require 'cudnn.OtherLayers'
require 'cudnn.convert'

return cudnn
