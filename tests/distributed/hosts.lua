-- Across hosts: this node's place in the tree, the host it runs on (LT_HOST, set by
-- bench/netns_hosts.sh's logins) and an allReduce of the node indices.
local tree = require('distlearn').init()
local x = torch.DoubleTensor(3):fill(tree.nodeIndex)
tree.allReduce(x)
print(string.format('node %d of %d allReduce %g %g %g', tree.nodeIndex, tree.numNodes,
                    x[1], x[2], x[3]))
print(string.format('host %d %s', tree.nodeIndex, os.getenv('LT_HOST') or 'here'))
