-- Under mpiexec with GPUs: which device each node's new tensors land on.
require 'cutorch'
local tree = require('distlearn').init()
local x = torch.CudaTensor(2):fill(tree.nodeIndex)
print(string.format('node %d device %d tensor %d', tree.nodeIndex, cutorch.getDevice(),
                    x:getDevice()))
