-- cudnn.SpatialCrossMapLRN([size = 5] [, alpha = 1e-4] [, beta = 0.75] [, k = 1]):
-- nn.SpatialCrossMapLRN.

local LRN, parent = torch.class('cudnn.SpatialCrossMapLRN', 'nn.SpatialCrossMapLRN')

function LRN:__init(size, alpha, beta, k)
   parent.__init(self, size or 5, alpha, beta, k)
end
