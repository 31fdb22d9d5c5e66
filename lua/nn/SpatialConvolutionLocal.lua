-- nn.SpatialConvolutionLocal(nInputPlane, nOutputPlane, iW, iH, kW, kH, [dW], [dH], [padW],
-- [padH]): a locally-connected layer, a convolution without weight sharing: every output
-- position has its own kernels. weight: oH x oW x nOutputPlane x nInputPlane x kH x kW;
-- bias: nOutputPlane x oH x oW. Each method is one door call (luatorch/kernels/conv.py).

local SpatialConvolutionLocal, parent = torch.class('nn.SpatialConvolutionLocal', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_local_fwd, door.conv_local_bwd, door.conv_local_acc
local buffers = nn.utils.unfoldBuffers

function SpatialConvolutionLocal:__init(nInputPlane, nOutputPlane, iW, iH, kW, kH, dW, dH,
                                        padW, padH)
   parent.__init(self)
   self.nInputPlane = nInputPlane
   self.nOutputPlane = nOutputPlane
   self.kW = kW
   self.kH = kH
   self.iW = iW
   self.iH = iH
   self.dW = dW or 1
   self.dH = dH or 1
   self.padW = padW or 0
   self.padH = padH or self.padW
   self.oW = math.floor((self.padW * 2 + iW - self.kW) / self.dW) + 1
   self.oH = math.floor((self.padH * 2 + iH - self.kH) / self.dH) + 1
   if not (1 <= self.oW and 1 <= self.oH) then
      torch._error('illegal configuration: output width or height less than 1')
   end
   self.weight = torch.Tensor(self.oH, self.oW, nOutputPlane, nInputPlane, kH, kW)
   self.bias = torch.Tensor(nOutputPlane, self.oH, self.oW)
   self.gradWeight = torch.Tensor():resizeAs(self.weight)
   self.gradBias = torch.Tensor():resizeAs(self.bias)
   self.finput = torch.Tensor()
   self.fgradInput = torch.Tensor()
   self:reset()
end

function SpatialConvolutionLocal:reset(stdv)
   nn.utils.uniformInit(self, stdv, self.kW * self.kH * self.nInputPlane, true)
end

function SpatialConvolutionLocal:updateOutput(input)
   local finput, fgrad = buffers(self)
   k_fwd(H[self.output], H[input] or input, H[self.weight], H[self.bias], finput, fgrad,
      self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, self.iW, self.iH, self.oW,
      self.oH, self.nInputPlane, self.nOutputPlane)
   return self.output
end

function SpatialConvolutionLocal:updateGradInput(input, gradOutput)
   if self.gradInput then
      local _, fgrad = buffers(self)
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         fgrad, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, self.iW, self.iH,
         self.oW, self.oH, self.nInputPlane, self.nOutputPlane)
      return self.gradInput
   end
end

function SpatialConvolutionLocal:accGradParameters(input, gradOutput, scale)
   local finput, fgrad = buffers(self)
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight], H[self.gradBias],
      finput, fgrad, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, self.iW,
      self.iH, self.oW, self.oH, self.nInputPlane, self.nOutputPlane, scale or 1)
end

function SpatialConvolutionLocal:type(type, tensorCache)
   if self.finput then self.finput = torch.Tensor() end
   if self.fgradInput then self.fgradInput = torch.Tensor() end
   return parent.type(self, type, tensorCache)
end

function SpatialConvolutionLocal:__tostring__()
   local s = string.format('%s(%d -> %d, %dx%d, %dx%d', torch.type(self), self.nInputPlane,
      self.nOutputPlane, self.iW, self.iH, self.kW, self.kH)
   if self.dW ~= 1 or self.dH ~= 1 or self.padW ~= 0 or self.padH ~= 0 then
      s = s .. string.format(', %d,%d', self.dW, self.dH)
   end
   if (self.padW or self.padH) and (self.padW ~= 0 or self.padH ~= 0) then
      s = s .. ', ' .. self.padW .. ',' .. self.padH
   end
   return s .. ')'
end

function SpatialConvolutionLocal:clearState()
   nn.utils.clear(self, 'finput', 'fgradInput', '_input', '_gradOutput')
   return parent.clearState(self)
end
