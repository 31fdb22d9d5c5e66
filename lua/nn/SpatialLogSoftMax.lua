-- nn.SpatialLogSoftMax: LogSoftMax over the feature maps at each location (C x H x W or
-- N x C x H x W; 1-D and 2-D inputs as nn.LogSoftMax).

local SpatialLogSoftMax, parent = torch.class('nn.SpatialLogSoftMax', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_logsoftmax_fwd, door.act_logsoftmax_bwd

function SpatialLogSoftMax:updateOutput(input)
   k_fwd(H[self.output], H[input])
   return self.output
end

function SpatialLogSoftMax:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[gradOutput], H[self.output])
   return self.gradInput
end
