-- nn.SpatialAdaptiveAveragePooling(W, H): average pooling whose windows adapt to the input so
-- that the output is H x W for any input size: output cell (i, j) averages rows floor(i iH / H)
-- to ceil((i + 1) iH / H) - 1 and the matching columns.

local SpatialAdaptiveAveragePooling, parent =
   torch.class('nn.SpatialAdaptiveAveragePooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_adaptive_avg_fwd, door.pool_adaptive_avg_bwd
local handle = nn.utils.handle

function SpatialAdaptiveAveragePooling:__init(W, H_)
   parent.__init(self)
   self.W = W
   self.H = H_
end

function SpatialAdaptiveAveragePooling:updateOutput(input)
   k_fwd(H[self.output], handle(input, 'input'), self.W, self.H)
   return self.output
end

function SpatialAdaptiveAveragePooling:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'))
   return self.gradInput
end
