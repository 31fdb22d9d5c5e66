-- nn.Min(dim [, nInputDims]): the minimum over dim (dim + 1 for a batch input); the gradient
-- goes to the element that was the minimum.  Same machinery as nn.Max.

local Min, parent = torch.class('nn.Min', 'nn.Module')

function Min:__init(dimension, nInputDims)
   parent.__init(self)
   self.dimension = dimension or 1
   self.nInputDims = nInputDims
end

for _, name in ipairs{'_getPositiveDimension', '_lazyInit', 'updateOutput', 'updateGradInput',
      'type', 'clearState'} do
   Min[name] = nn.Max[name]
end

function Min:_reduce(input, dimension)
   torch.min(self._output, self._indices, input, dimension)
end
