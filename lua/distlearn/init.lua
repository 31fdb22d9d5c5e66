-- distlearn: training across processes, with twitter/torch-distlearn's API.
-- `require('distlearn').init()` gives the tree (nodeIndex, numNodes, allReduce, scatter,
-- barrier, walkTable) over the communicator in luatorch/dist (mpi under a launcher, else local).
require 'torch'

local distlearn = {}
local door = torch._door
local H = torch._H
local d_init, d_allreduce, d_broadcast, d_allgather, d_barrier = door.dist_init,
   door.dist_allreduce, door.dist_broadcast, door.dist_allgather, door.dist_barrier
local d_where, userpos = door.dist_where, torch._userpos

-- leaves in the same order on every node: the array part first, then the other keys sorted
local function orderedKeys(t)
   local keys, rest = {}, {}
   for k in pairs(t) do
      if type(k) == 'number' and k >= 1 and k <= #t and k % 1 == 0 then
         keys[k] = k
      else
         rest[#rest + 1] = k
      end
   end
   table.sort(rest, function(a, b) return tostring(a) < tostring(b) end)
   for _, k in ipairs(rest) do keys[#keys + 1] = k end
   return keys
end

local function walkTable(t, fn)
   if type(t) ~= 'table' or torch.isTensor(t) then
      local r = fn(t)
      if r == nil then return t end
      return r
   end
   for _, k in ipairs(orderedKeys(t)) do
      local v = t[k]
      if type(v) == 'table' and not torch.isTensor(v) then
         walkTable(v, fn)
      else
         local r = fn(v)
         if r ~= nil then t[k] = r end
      end
   end
   return t
end
distlearn.walkTable = walkTable

local tree

local scalar

-- one leaf (a tensor or a number) summed over every node, in place for tensors
local function sumLeaf(v)
   if torch.isTensor(v) then
      if v:isContiguous() then
         d_allreduce(H[v])
      else
         local c = v:contiguous()
         d_allreduce(H[c])
         v:copy(c)
      end
      return v
   end
   -- one buffer for every number: the contributors' count rides along each allReduce
   scalar = scalar or torch.DoubleTensor(1)
   scalar[1] = v
   d_allreduce(H[scalar])
   return scalar[1]
end

-- one leaf folded with `reduce` in node order, the same on every node
local function foldLeaf(v, reduce)
   local n = tree.numNodes
   if torch.isTensor(v) then
      local src = v:contiguous()
      local all = src.new(n * src:nElement())
      d_allgather(H[src], H[all])
      local acc = v
      for i = 1, n do
         local part = all:narrow(1, (i - 1) * src:nElement() + 1, src:nElement()):viewAs(v)
         if i == 1 then acc:copy(part) else acc = reduce(acc, part) or acc end
      end
      return acc
   end
   local src = torch.DoubleTensor(1):fill(v)
   local all = torch.DoubleTensor(n)
   d_allgather(H[src], H[all])
   local acc = all[1]
   for i = 2, n do acc = reduce(acc, all[i]) end
   return acc
end

local function reduceLeaves(value, reduce)
   return walkTable(value, function(v)
      if reduce == nil then return sumLeaf(v) end
      return foldLeaf(v, reduce)
   end)
end

function distlearn.init(opts)
   if tree then return tree end
   opts = opts or {}
   local nodeIndex, numNodes, name = d_init(opts.communicator)
   tree = {nodeIndex = nodeIndex, numNodes = numNodes, communicator = name,
      walkTable = walkTable}
   local lastValue

   -- torch-distlearn's contract: a node with nothing left to add passes `zero`; it keeps
   -- taking part (contributing zeros) until every node has, and `n` counts the contributors
   function tree.allReduce(value, reduce, zero)
      d_where(userpos())
      local isTable = type(value) == 'table'
      value = isTable and value or {value}
      while true do
         if zero then
            value = value[1] ~= nil and value or lastValue
            local i = 0
            walkTable(value, function(v)
               i = i + 1
               return zero(v, i)
            end)
         else
            lastValue = value
         end
         reduceLeaves(value, reduce)
         local done = sumLeaf(zero and 1 or 0)
         if not zero or done >= numNodes then
            return isTable and value or value[1], numNodes - done
         end
      end
   end

   -- node 1's values everywhere
   function tree.scatter(value)
      d_where(userpos())
      local isTable = type(value) == 'table'
      value = isTable and value or {value}
      walkTable(value, function(v)
         if torch.isTensor(v) then
            local c = v:contiguous()
            d_broadcast(H[c], 1)
            if c ~= v then v:copy(c) end
            return v
         end
         local t = torch.DoubleTensor(1):fill(v)
         d_broadcast(H[t], 1)
         return t[1]
      end)
      return isTable and value or value[1]
   end

   function tree.barrier()
      d_where(userpos())
      d_barrier()
   end

   -- every node's tensor `src` one after another in `dst` (TensorDSM's all-gather)
   function tree.allGather(src, dst)
      d_where(userpos())
      d_allgather(H[src], H[dst])
      return dst
   end

   function tree.reduceScatter(src, dst)
      d_where(userpos())
      door.dist_reduce_scatter(H[src], H[dst])
      return dst
   end

   function tree.netStats() end
   return tree
end

function distlearn.AllReduceSGD(t, ...) return require('distlearn.AllReduceSGD')(t, ...) end
function distlearn.AllReduceEA(t, ...) return require('distlearn.AllReduceEA')(t, ...) end
function distlearn.TensorDSM(t, ...) return require('distlearn.TensorDSM')(t, ...) end
function distlearn.ParameterServer(t, ...) return require('distlearn.ParameterServer')(t, ...) end
function distlearn.Gossip(t, ...) return require('distlearn.Gossip')(t, ...) end

return distlearn
