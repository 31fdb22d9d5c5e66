-- nn.SpatialAdaptiveMaxPooling(W, H): max pooling whose windows adapt to the input so that the
-- output is H x W for any input size: output cell (i, j) covers rows floor(i iH / H) to
-- ceil((i + 1) iH / H) - 1 and the matching columns.  self.indices keeps the 1-based flat
-- position of every maximum inside its plane.

local SpatialAdaptiveMaxPooling, parent = torch.class('nn.SpatialAdaptiveMaxPooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_adaptive_max_fwd, door.pool_adaptive_max_bwd
local handle = nn.utils.handle
local indices = nn.utils.longIndices

function SpatialAdaptiveMaxPooling:__init(W, H_)
   parent.__init(self)
   self.W = W
   self.H = H_
   self.indices = torch.LongTensor()
end

-- self.indices stays a LongTensor through :type()
SpatialAdaptiveMaxPooling.type = nn.utils.typeKeepingIndices

function SpatialAdaptiveMaxPooling:updateOutput(input)
   k_fwd(H[self.output], H[indices(self)], handle(input, 'input'), self.W, self.H)
   return self.output
end

function SpatialAdaptiveMaxPooling:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      H[indices(self)])
   return self.gradInput
end

-- for backward compatibility
function SpatialAdaptiveMaxPooling:empty()
   self:clearState()
end

function SpatialAdaptiveMaxPooling:clearState()
   if self.indices then self.indices:set() end
   return parent.clearState(self)
end
