-- distlearn.AllReduceSGD(tree): one mini-batch split over the nodes; gradients summed (or
-- averaged over the nodes that took a step) with one allreduce per flat gradient tensor.
require 'torch'

local function AllReduceSGD(tree)
   -- steps each node took since the last synchronizeParameters (epochs may be uneven)
   local steps = torch.LongTensor(tree.numNodes):zero()
   -- the gradients last summed: a node that finished early contributes zeros shaped like them
   local lastGrads

   local function countStep()
      steps[tree.nodeIndex] = steps[tree.nodeIndex] + 1
   end

   local function sumGradients(grads)
      lastGrads = grads
      local _, n = tree.allReduce(grads)
      countStep()
      return grads, n
   end

   local function sumAndNormalizeGradients(grads)
      lastGrads = grads
      local _, n = tree.allReduce(grads)
      if n > 1 then
         tree.walkTable(grads, function(g) g:div(n) end)
      end
      countStep()
      return grads, n
   end

   local function synchronizeParameters(params)
      if steps[tree.nodeIndex] > 0 then
         -- nodes still inside an uneven epoch get zeros from this one until all are done
         tree.allReduce(lastGrads, nil, function(a) return a:zero() end)
         tree.allReduce(steps)
         -- the node that took the most steps (the first, on ties) holds the latest weights
         local best, most = 1, steps[1]
         for i = 2, tree.numNodes do
            if steps[i] > most then best, most = i, steps[i] end
         end
         if tree.nodeIndex ~= best then
            tree.walkTable(params, function(p) p:zero() end)
         end
         tree.allReduce(params)
         steps:zero()
      else
         tree.scatter(params)
      end
      return params
   end

   return {
      sumGradients = sumGradients,
      sumAndNormalizeGradients = sumAndNormalizeGradients,
      synchronizeParameters = synchronizeParameters,
   }
end

return AllReduceSGD
