-- nn.VolumetricDilatedConvolution(nInputPlane, nOutputPlane, kT, kW, kH, [dT], [dW], [dH],
-- [padT], [padW], [padH], [dilationT], [dilationW], [dilationH]): a VolumetricConvolution whose
-- kernel taps are dilation voxels apart.

local VolumetricDilatedConvolution, parent =
   torch.class('nn.VolumetricDilatedConvolution', 'nn.VolumetricConvolution')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_volumetric_fwd, door.conv_volumetric_bwd,
   door.conv_volumetric_acc

function VolumetricDilatedConvolution:__init(nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH,
                                             padT, padW, padH, dilationT, dilationW, dilationH)
   parent.__init(self, nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH, padT, padW, padH)
   self.dilationT = dilationT or 1
   self.dilationW = dilationW or 1
   self.dilationH = dilationH or 1
end

function VolumetricDilatedConvolution:updateOutput(input)
   local finput, fgrad = self:_buffers()
   local bias = self.bias
   k_fwd(H[self.output], H[input] or input, H[self.weight], bias and H[bias], finput, fgrad,
      self.kT, self.kW, self.kH, self.dT, self.dW, self.dH, self.padT, self.padW, self.padH,
      self.dilationT, self.dilationW, self.dilationH)
   return self.output
end

function VolumetricDilatedConvolution:updateGradInput(input, gradOutput)
   if self.gradInput then
      local _, fgrad = self:_buffers()
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         fgrad, self.kT, self.kW, self.kH, self.dT, self.dW, self.dH, self.padT, self.padW,
         self.padH, self.dilationT, self.dilationW, self.dilationH)
      return self.gradInput
   end
end

function VolumetricDilatedConvolution:accGradParameters(input, gradOutput, scale)
   local finput, fgrad = self:_buffers()
   local gradBias = self.gradBias
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight],
      gradBias and H[gradBias], finput, fgrad, self.kT, self.kW, self.kH, self.dT, self.dW,
      self.dH, self.padT, self.padW, self.padH, self.dilationT, self.dilationW, self.dilationH,
      scale or 1)
end

function VolumetricDilatedConvolution:__tostring__()
   local s = string.format('%s(%d -> %d, %dx%dx%d', torch.type(self), self.nInputPlane,
      self.nOutputPlane, self.kT, self.kW, self.kH)
   if self.dT ~= 1 or self.dW ~= 1 or self.dH ~= 1 or self.padT ~= 0 or self.padW ~= 0
      or self.padH ~= 0 then
      s = s .. string.format(', %d,%d,%d', self.dT, self.dW, self.dH)
   end
   if (self.padT or self.padW or self.padH)
      and (self.padT ~= 0 or self.padW ~= 0 or self.padH ~= 0) then
      s = s .. ', ' .. self.padT .. ',' .. self.padW .. ',' .. self.padH
   end
   s = s .. ', ' .. self.dilationT .. ',' .. self.dilationW .. ',' .. self.dilationH
   if self.bias then
      return s .. ')'
   end
   return s .. ') without bias'
end
