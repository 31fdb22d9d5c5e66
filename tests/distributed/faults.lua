-- Under mpiexec with 4 nodes: node 3 stops answering (it sleeps) after a few steps.
-- FAULT=ps: node 1 serves, nodes 2-4 work with staleness 1; the server drops node 3 and the
-- others finish. FAULT=server: node 1 stops answering; the workers fail. FAULT=gossip: a ring; nodes 2 and 4 drop their links to node 3 and go on, and
-- nodes 1, 2, 4 agree again over the path 2-1-4. Each node prints its outcome.
require 'optim'
local distlearn = require('distlearn')
local tree = distlearn.init()
local me = tree.nodeIndex
local TIMEOUT = tonumber(os.getenv('FAULT_TIMEOUT') or '1.5')
local SLEEP = tonumber(os.getenv('FAULT_SLEEP') or '4')
local STUCK = 3
torch.setdefaulttensortype('torch.DoubleTensor')

if os.getenv('FAULT') == 'server' then
   -- the only server stops answering: a worker's pull fails after twice the timeout
   local p = torch.zeros(8)
   local ps = distlearn.ParameterServer(tree, p, {servers = 1, timeout = TIMEOUT})
   if not ps:workerIndex() then
      sys.sleep(SLEEP * 10)
      return
   end
   for _ = 1, 3 do
      ps:pull(p)
      ps:push(p)
   end
   return
elseif os.getenv('FAULT') == 'ps' then
   local p = torch.zeros(8)
   local ps = distlearn.ParameterServer(tree, p, {servers = 1, staleness = 1,
      optim = optim.sgd, config = {learningRate = 0.01}, timeout = TIMEOUT})
   if not ps:workerIndex() then
      ps:serve()
      print(string.format('node %d served: %.4f', me, p[1]))
      return
   end
   local g = torch.Tensor(8)
   for s = 1, 20 do
      if me == STUCK and s == 4 then
         sys.sleep(SLEEP)
         local ok, err = pcall(ps.pull, ps, p)
         print(string.format('node %d woke: %s', me, ok and 'not dropped' or err))
         return
      end
      ps:pull(p)
      ps:push(g:fill(me))
   end
   ps:finish()
   print(string.format('node %d finished: %.4f', me, p[1]))
else
   local g = distlearn.Gossip(tree, {topology = 'ring', timeout = TIMEOUT})
   local p = torch.Tensor(8):fill(me)
   for s = 1, 40 do
      if me == STUCK and s == 4 then sys.sleep(SLEEP) end
      -- some local drift in the first steps, then pure averaging
      if s <= 10 then p:add(0.1 * me) end
      g:step(p)
   end
   print(string.format('node %d value %.9f', me, p[1]))
end
