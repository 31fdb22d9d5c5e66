-- nn.SpatialDilatedConvolution(nInputPlane, nOutputPlane, kW, kH, [dW], [dH], [padW], [padH],
-- [dilationW], [dilationH]): a SpatialConvolution whose kernel taps are dilation pixels apart
-- (atrous convolution). Output size: floor((width + 2*padW - dilationW*(kW-1) - 1) / dW) + 1.

local SpatialDilatedConvolution, parent =
   torch.class('nn.SpatialDilatedConvolution', 'nn.SpatialConvolution')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_spatial_fwd, door.conv_spatial_bwd, door.conv_spatial_acc
local buffers = nn.utils.unfoldBuffers

function SpatialDilatedConvolution:__init(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH,
                                          dilationW, dilationH)
   parent.__init(self, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
   self.dilationW = dilationW or 1
   self.dilationH = dilationH or 1
end

function SpatialDilatedConvolution:updateOutput(input)
   local finput, fgrad = buffers(self)
   local bias = self.bias
   k_fwd(H[self.output], H[input] or input, H[self.weight], bias and H[bias], finput, fgrad,
      self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, self.dilationW, self.dilationH)
   return self.output
end

function SpatialDilatedConvolution:updateGradInput(input, gradOutput)
   if self.gradInput then
      local _, fgrad = buffers(self)
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         fgrad, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, self.dilationW,
         self.dilationH)
      return self.gradInput
   end
end

function SpatialDilatedConvolution:accGradParameters(input, gradOutput, scale)
   local finput, fgrad = buffers(self)
   local gradBias = self.gradBias
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight],
      gradBias and H[gradBias], finput, fgrad, self.kW, self.kH, self.dW, self.dH,
      self.padW, self.padH, self.dilationW, self.dilationH, scale or 1)
end

function SpatialDilatedConvolution:__tostring__()
   local s = string.format('%s(%d -> %d, %dx%d', torch.type(self), self.nInputPlane,
      self.nOutputPlane, self.kW, self.kH)
   if self.dW ~= 1 or self.dH ~= 1 or self.padW ~= 0 or self.padH ~= 0 then
      s = s .. string.format(', %d,%d', self.dW, self.dH)
   end
   if (self.padW or self.padH) and (self.padW ~= 0 or self.padH ~= 0) then
      s = s .. ', ' .. self.padW .. ',' .. self.padH
   end
   s = s .. ', ' .. self.dilationW .. ',' .. self.dilationH
   if self.bias then
      return s .. ')'
   end
   return s .. ') without bias'
end
