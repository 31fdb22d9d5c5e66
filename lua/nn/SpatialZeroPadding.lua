-- nn.SpatialZeroPadding(padLeft [, padRight, padTop, padBottom], defaulting to padLeft): every
-- plane of a 3D (planes x height x width) or 4D (batch) input is surrounded by zeros; negative
-- pads crop the input instead.

local SpatialZeroPadding, parent = torch.class('nn.SpatialZeroPadding', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.sp_pad_fwd, door.sp_pad_bwd
local handle = nn.utils.handle

function SpatialZeroPadding:__init(pad_l, pad_r, pad_t, pad_b)
   parent.__init(self)
   self.pad_l = pad_l
   self.pad_r = pad_r or self.pad_l
   self.pad_t = pad_t or self.pad_l
   self.pad_b = pad_b or self.pad_l
end

function SpatialZeroPadding:updateOutput(input)
   k_fwd(H[self.output], handle(input, 'input'), 'zero', 2, self.pad_l, self.pad_r,
      self.pad_t, self.pad_b)
   return self.output
end

function SpatialZeroPadding:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      'zero', 2, self.pad_l, self.pad_r, self.pad_t, self.pad_b)
   return self.gradInput
end

function SpatialZeroPadding:__tostring__()
   return torch.type(self) .. string.format('(l=%d, r=%d, t=%d, b=%d)', self.pad_l, self.pad_r,
      self.pad_t, self.pad_b)
end
