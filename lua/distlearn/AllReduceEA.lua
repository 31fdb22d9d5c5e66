-- distlearn.AllReduceEA(tree, tau, alpha): elastic averaging (Zhang, Choromanska, LeCun,
-- arXiv:1412.6651). Every tau steps each node moves alpha of the way to the shared center,
-- and the center moves by the sum of those moves.
require 'torch'

local function AllReduceEA(tree, tau, alpha)
   local step = 0
   local center, delta, leaves

   local function setup(params)
      if center then return end
      center, delta, leaves = {}, {}, {}
      tree.walkTable(params, function(p)
         center[#center + 1] = p:clone()
         delta[#delta + 1] = p:clone()
         leaves[#leaves + 1] = p
      end)
   end

   -- delta_i = alpha (x_i - center); x_i -= delta_i
   local function pull(i)
      delta[i]:add(leaves[i], -1, center[i]):mul(alpha)
      leaves[i]:add(-1, delta[i])
   end

   local function averageParameters(params)
      setup(params)
      step = step + 1
      if step % tau == 0 then
         for i = 1, #leaves do pull(i) end
         tree.allReduce(delta)
         for i = 1, #center do center[i]:add(delta[i]) end
      end
   end

   -- nodes that stopped early keep joining the averaging rounds of the others
   local function finishUneven()
      if step == 0 then return end
      for i = 1, #delta do delta[i]:zero() end
      tree.allReduce(delta, nil, function(_, i)
         center[i]:add(delta[i])
         pull(i)
         return delta[i]
      end)
      step = 0
   end

   local function synchronizeCenter(params)
      setup(params)
      finishUneven()
      tree.scatter(center)
   end

   local function synchronizeParameters(params)
      setup(params)
      finishUneven()
      tree.scatter(params)
      for i = 1, #leaves do center[i]:copy(leaves[i]) end
   end

   return {
      averageParameters = averageParameters,
      synchronizeCenter = synchronizeCenter,
      synchronizeParameters = synchronizeParameters,
   }
end

return AllReduceEA
