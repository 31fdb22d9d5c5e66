-- nn.VolumetricMaxPooling(kT, kW, kH [, dT = kT, dW = kW, dH = kH, padT, padW, padH = 0]): the
-- maximum over kT x kH x kW windows of every volume of a 4D (planes x time x height x width) or
-- 5D (batch) input.  :ceil() / :floor() pick the rounding of the output size.  self.indices (a
-- LongTensor shaped like the output) keeps, as Torch7 does, the window offsets of every maximum
-- packed in its low bytes (t + 256 h + 65536 w), for nn.VolumetricMaxUnpooling.

local VolumetricMaxPooling, parent = torch.class('nn.VolumetricMaxPooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_max3d_fwd, door.pool_max3d_bwd
local handle = nn.utils.handle
local indices = nn.utils.longIndices

VolumetricMaxPooling.__version = 2

function VolumetricMaxPooling:__init(kT, kW, kH, dT, dW, dH, padT, padW, padH)
   parent.__init(self)
   dT = dT or kT
   dW = dW or kW
   dH = dH or kH
   self.kT = kT
   self.kH = kH
   self.kW = kW
   self.dT = dT
   self.dW = dW
   self.dH = dH
   self.padT = padT or 0
   self.padW = padW or 0
   self.padH = padH or 0
   self.ceil_mode = false
   self.indices = torch.LongTensor()
end

function VolumetricMaxPooling:ceil()
   self.ceil_mode = true
   return self
end

function VolumetricMaxPooling:floor()
   self.ceil_mode = false
   return self
end

-- self.indices stays a LongTensor through :type()
VolumetricMaxPooling.type = nn.utils.typeKeepingIndices

function VolumetricMaxPooling:updateOutput(input)
   self.itime, self.iheight, self.iwidth = k_fwd(H[self.output], H[indices(self)],
      handle(input, 'input'), self.kT, self.kW, self.kH, self.dT, self.dW, self.dH,
      self.padT or 0, self.padW or 0, self.padH or 0, self.ceil_mode or false)
   return self.output
end

function VolumetricMaxPooling:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      H[indices(self)], self.kT, self.kW, self.kH, self.dT, self.dW, self.dH, self.padT or 0,
      self.padW or 0, self.padH or 0, self.ceil_mode or false)
   return self.gradInput
end

function VolumetricMaxPooling:empty()
   self:clearState()
end

function VolumetricMaxPooling:clearState()
   if self.indices then self.indices:set() end
   return parent.clearState(self)
end

function VolumetricMaxPooling:read(file, version)
   parent.read(self, file)
   if version and version < 2 then
      self.ceil_mode = false
   end
end

function VolumetricMaxPooling:__tostring__()
   local s = string.format('%s(%dx%dx%d, %d,%d,%d', torch.type(self), self.kT, self.kW, self.kH,
      self.dT, self.dW, self.dH)
   if (self.padT or self.padW or self.padH) and
      (self.padT ~= 0 or self.padW ~= 0 or self.padH ~= 0) then
      s = s .. ', ' .. self.padT .. ',' .. self.padW .. ',' .. self.padH
   end
   return s .. ')'
end
