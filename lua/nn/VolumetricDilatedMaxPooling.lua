-- nn.VolumetricDilatedMaxPooling(kT, kW, kH [, dT, dW, dH, padT, padW, padH, dilationT = 1,
-- dilationW = 1, dilationH = 1]): nn.VolumetricMaxPooling over windows whose taps are
-- dilation apart. self.indices packs each maximum's kernel tap (t + 256 h + 65536 w).

local VolumetricDilatedMaxPooling, parent =
   torch.class('nn.VolumetricDilatedMaxPooling', 'nn.VolumetricMaxPooling')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.pool_dilmax3d_fwd, door.pool_dilmax3d_bwd
local handle = nn.utils.handle
local indices = nn.utils.longIndices

function VolumetricDilatedMaxPooling:__init(kT, kW, kH, dT, dW, dH, padT, padW, padH,
                                            dilationT, dilationW, dilationH)
   parent.__init(self, kT, kW, kH, dT, dW, dH, padT, padW, padH)
   self.dilationT = dilationT or 1
   self.dilationW = dilationW or 1
   self.dilationH = dilationH or 1
end

function VolumetricDilatedMaxPooling:updateOutput(input)
   self.itime, self.iheight, self.iwidth = k_fwd(H[self.output], H[indices(self)],
      handle(input, 'input'), self.kT, self.kW, self.kH, self.dT, self.dW, self.dH,
      self.padT, self.padW, self.padH, self.dilationT, self.dilationW, self.dilationH,
      self.ceil_mode or false)
   return self.output
end

function VolumetricDilatedMaxPooling:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], handle(input, 'input'), handle(gradOutput, 'gradOutput'),
      H[indices(self)], self.kT, self.kW, self.kH, self.dT, self.dW, self.dH, self.padT,
      self.padW, self.padH, self.dilationT, self.dilationW, self.dilationH,
      self.ceil_mode or false)
   return self.gradInput
end

function VolumetricDilatedMaxPooling:__tostring__()
   local s = string.format('%s(%dx%dx%d, %d,%d,%d', torch.type(self), self.kT, self.kW, self.kH,
      self.dT, self.dW, self.dH)
   if self.padT ~= 0 or self.padW ~= 0 or self.padH ~= 0 then
      s = s .. ', ' .. self.padT .. ',' .. self.padW .. ',' .. self.padH
   end
   return s .. ', ' .. self.dilationT .. ',' .. self.dilationW .. ',' .. self.dilationH .. ')'
end
