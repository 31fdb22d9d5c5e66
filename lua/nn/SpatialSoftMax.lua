-- nn.SpatialSoftMax: SoftMax over the feature maps at each location (C x H x W or
-- N x C x H x W; 1-D and 2-D inputs as nn.SoftMax).

local SpatialSoftMax, parent = torch.class('nn.SpatialSoftMax', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_softmax_fwd, door.act_softmax_bwd

function SpatialSoftMax:updateOutput(input)
   k_fwd(H[self.output], H[input], false)
   return self.output
end

function SpatialSoftMax:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[gradOutput], H[self.output], false)
   return self.gradInput
end
