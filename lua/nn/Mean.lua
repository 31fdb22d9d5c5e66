-- nn.Mean(dim [, nInputDims, squeeze]): nn.Sum divided by the size of the dimension.

local Mean, parent = torch.class('nn.Mean', 'nn.Sum')

function Mean:__init(dimension, nInputDims, squeeze)
   parent.__init(self, dimension, nInputDims, true, squeeze)
end
