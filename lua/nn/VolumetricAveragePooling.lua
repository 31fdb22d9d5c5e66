-- nn.VolumetricAveragePooling(kT, kW, kH [, dT = kT, dW = kW, dH = kH, padT, padW, padH = 0]):
-- the mean over kT x kH x kW windows of every volume of a 4D (planes x time x height x width)
-- or 5D (batch) input.  :ceil() / :floor() pick the rounding of the output size;
-- :setCountIncludePad() (default) / :setCountExcludePad() whether zero padding counts in the
-- divisor.

local VolumetricAveragePooling, parent = torch.class('nn.VolumetricAveragePooling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_avg3d_fwd, door.pool_avg3d_bwd
local handle = nn.utils.handle

function VolumetricAveragePooling:__init(kT, kW, kH, dT, dW, dH, padT, padW, padH)
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
   self.count_include_pad = true
end

function VolumetricAveragePooling:ceil()
   self.ceil_mode = true
   return self
end

function VolumetricAveragePooling:floor()
   self.ceil_mode = false
   return self
end

function VolumetricAveragePooling:setCountIncludePad()
   self.count_include_pad = true
   return self
end

function VolumetricAveragePooling:setCountExcludePad()
   self.count_include_pad = false
   return self
end

local function args(self)
   return self.kT, self.kW, self.kH, self.dT, self.dW, self.dH, self.padT or 0, self.padW or 0,
      self.padH or 0, self.ceil_mode or false, self.count_include_pad ~= false
end

function VolumetricAveragePooling:updateOutput(input)
   k_fwd(H[self.output], handle(input, 'input'), args(self))
   return self.output
end

function VolumetricAveragePooling:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'), args(self))
   return self.gradInput
end

function VolumetricAveragePooling:empty()
   return parent.clearState(self)
end

function VolumetricAveragePooling:__tostring__()
   local s = string.format('%s(%dx%dx%d, %d,%d,%d', torch.type(self), self.kT, self.kW, self.kH,
      self.dT, self.dW, self.dH)
   if (self.padT or self.padW or self.padH) and
      (self.padT ~= 0 or self.padW ~= 0 or self.padH ~= 0) then
      s = s .. ', ' .. self.padT .. ',' .. self.padW .. ',' .. self.padH
   end
   return s .. ')'
end
