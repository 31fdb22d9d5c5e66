-- distlearn.TensorDSM(tree, params, gradParams [, opts]): the parameters as a distributed
-- shared memory. Each node owns 1/N of the flat parameters and of the optimizer state;
-- dsm:step(optimFn, config) reduce-scatters the averaged gradients, updates its own shard
-- with any optim function, and all-gathers the parameters.
require 'torch'

local TensorDSM = {}
TensorDSM.__index = TensorDSM

local function new(tree, params, gradParams, opts)
   local self = setmetatable({}, TensorDSM)
   assert(torch.isTensor(params) and params:dim() == 1 and params:isContiguous(),
      'TensorDSM: params must be one flat contiguous tensor (model:getParameters())')
   assert(torch.isTensor(gradParams) and gradParams:nElement() == params:nElement(),
      'TensorDSM: gradParams must match params')
   self.tree, self.params, self.gradParams = tree, params, gradParams
   self.opts = opts or {}
   local n, k = params:nElement(), tree.numNodes
   self.shardSize = math.ceil(n / k)
   self.first = (tree.nodeIndex - 1) * self.shardSize + 1
   -- this node's real elements (the last shard may be short or empty)
   self.owned = math.max(0, math.min(n - self.first + 1, self.shardSize))
   self.padded = params.new(self.shardSize * k):zero()
   self.paramShard = params.new(self.shardSize):zero()
   self.gradShard = params.new(self.shardSize):zero()
   self.state = {}
   -- every node starts from node 1's parameters
   tree.scatter(params)
   return self
end

function TensorDSM:_pad(src)
   local n = src:nElement()
   self.padded:narrow(1, 1, n):copy(src)
   return self.padded
end

function TensorDSM:step(optimFn, config, loss)
   local tree = self.tree
   tree.reduceScatter(self:_pad(self.gradParams), self.gradShard)
   self.gradShard:div(tree.numNodes)
   if self.owned > 0 then
      self.paramShard:narrow(1, 1, self.owned):copy(self.params:narrow(1, self.first, self.owned))
   end
   local gradShard = self.gradShard
   optimFn(function() return loss or 0, gradShard end, self.paramShard, config, self.state)
   tree.allGather(self.paramShard, self.padded)
   self.params:copy(self.padded:narrow(1, 1, self.params:nElement()))
   return self.params
end

-- the whole optimizer state, gathered (every node joins; only node 1 needs to keep it)
function TensorDSM:checkpoint()
   local full = {}
   local n = self.params:nElement()
   -- the same key order on every node: each key is one collective
   local keys = {}
   for k in pairs(self.state) do keys[#keys + 1] = k end
   table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
   for _, k in ipairs(keys) do
      local v = self.state[k]
      if torch.isTensor(v) and v:nElement() == self.shardSize then
         local all = v.new(self.shardSize * self.tree.numNodes)
         self.tree.allGather(v:contiguous(), all)
         full[k] = all:narrow(1, 1, n):clone()
      else
         full[k] = v
      end
   end
   return {params = self.params:clone(), state = full}
end

-- resume from checkpoint() on any number of nodes: each keeps its slice of the state
function TensorDSM:load(ckpt)
   self.params:copy(ckpt.params)
   local state = {}
   for k, v in pairs(ckpt.state) do
      if torch.isTensor(v) and v:nElement() == self.params:nElement() then
         local s = v.new(self.shardSize):zero()
         if self.owned > 0 then
            s:narrow(1, 1, self.owned):copy(v:narrow(1, self.first, self.owned))
         end
         state[k] = s
      else
         state[k] = v
      end
   end
   self.state = state
end

return new
