-- nn.SpatialUpSamplingNearest(scale): nearest-neighbour up-sampling of the last two dimensions
-- of a 3D or 4D (batch) input by an integer factor: output(u, v) = input(floor((u - 1) / scale)
-- + 1, floor((v - 1) / scale) + 1).

local SpatialUpSamplingNearest, parent = torch.class('nn.SpatialUpSamplingNearest', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.sp_upnearest_fwd, door.sp_upnearest_bwd
local handle = nn.utils.handle

function SpatialUpSamplingNearest:__init(scale)
   parent.__init(self)
   self.scale_factor = scale
   if self.scale_factor < 1 then
      error('scale_factor must be greater than 1', 2)
   end
   if math.floor(self.scale_factor) ~= self.scale_factor then
      error('scale_factor must be integer', 2)
   end
end

function SpatialUpSamplingNearest:updateOutput(input)
   k_fwd(H[self.output], handle(input, 'input'), self.scale_factor)
   return self.output
end

function SpatialUpSamplingNearest:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      self.scale_factor)
   return self.gradInput
end

function SpatialUpSamplingNearest:__tostring__()
   return string.format('%s(%d)', torch.type(self), self.scale_factor)
end
