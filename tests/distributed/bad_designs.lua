-- Bad options and arguments to the parameter server and gossip, in one process: each is a
-- Lua error at the caller's line.
local distlearn = require('distlearn')
local tree = distlearn.init()
local which = arg[1]
if which == 'servers' then
   distlearn.ParameterServer(tree, torch.zeros(4), {servers = 3})
elseif which == 'topo' then
   distlearn.Gossip(tree, {topology = 'star'})
elseif which == 'push' then
   local ps = distlearn.ParameterServer(tree, torch.zeros(4))
   ps:push(torch.zeros(3))
end
if which == 'half' then
   -- only node 1 builds its gossip: node 1 must not wait forever for the others
   if tree.nodeIndex == 1 then distlearn.Gossip(tree) end
   sys.sleep(30)
end
