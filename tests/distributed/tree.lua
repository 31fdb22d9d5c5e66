-- Under a launcher (srun, mpiexec): this node's place in the tree, an allReduce of the node
-- indices, and the BLAS threads this process was given.
local tree = require('distlearn').init()
local x = torch.DoubleTensor(3):fill(tree.nodeIndex)
tree.allReduce(x)
print(string.format('node %d of %d allReduce %g %g %g threads %d', tree.nodeIndex,
                    tree.numNodes, x[1], x[2], x[3], torch.getnumthreads()))
