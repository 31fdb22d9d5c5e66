-- nn.SpatialUpSamplingBilinear(scale) or nn.SpatialUpSamplingBilinear({oheight = H, owidth =
-- W}): bilinear up-sampling of the last two dimensions of a 3D or 4D (batch) input, corners
-- aligned (output pixel i of n_out samples input position i (n_in - 1) / (n_out - 1)).  With an
-- integer scale the output is (height scale) x (width scale), as Torch7's module computes it.

local SpatialUpSamplingBilinear, parent = torch.class('nn.SpatialUpSamplingBilinear', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.sp_upbilinear_fwd, door.sp_upbilinear_bwd
local handle = nn.utils.handle

function SpatialUpSamplingBilinear:__init(params)
   parent.__init(self)
   self.owidth, self.oheight, self.scale_factor = nil, nil, nil
   if torch.type(params) == 'table' then
      self.owidth, self.oheight = params.owidth, params.oheight
   else
      self.scale_factor = params
      if self.scale_factor < 1 then
         error('scale_factor must be greater than 1', 2)
      end
      if math.floor(self.scale_factor) ~= self.scale_factor then
         error('scale_factor must be integer', 2)
      end
   end
end

-- output height and width for this input
local function outputSize(self, input)
   local d = input:dim()
   if d ~= 3 and d ~= 4 then
      torch._error('SpatialUpSamplingBilinear only supports 3D or 4D tensors')
   end
   if self.scale_factor ~= nil then
      return input:size(d - 1) * self.scale_factor, input:size(d) * self.scale_factor
   end
   return self.oheight, self.owidth
end

function SpatialUpSamplingBilinear:updateOutput(input)
   local oh, ow = outputSize(self, input)
   k_fwd(H[self.output], handle(input, 'input'), oh, ow)
   return self.output
end

function SpatialUpSamplingBilinear:updateGradInput(input, gradOutput)
   if input:dim() ~= gradOutput:dim() then
      torch._error('Input and gradOutput should be of same dimension')
   end
   local oh, ow = outputSize(self, input)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'), oh, ow)
   return self.gradInput
end

function SpatialUpSamplingBilinear:__tostring__()
   if self.scale_factor ~= nil then
      return string.format('%s(%d)', torch.type(self), self.scale_factor)
   end
   return string.format('%s(%d, %d)', torch.type(self), self.oheight, self.owidth)
end
