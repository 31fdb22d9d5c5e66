-- nn.SpatialDepthWiseConvolution(nInputPlane, depthwiseMultiplier, kW, kH, [dW], [dH], [padW],
-- [padH]): every input plane i is convolved with its own depthwiseMultiplier kernels, giving
-- output planes (i-1)*depthwiseMultiplier + m. weight: depthwiseMultiplier x
-- (nInputPlane*kH*kW) (kernel m of plane i is weight[m][i]); bias: depthwiseMultiplier x
-- nInputPlane. Each method is one door call (luatorch/kernels/conv.py).

local SpatialDepthWiseConvolution, parent =
   torch.class('nn.SpatialDepthWiseConvolution', 'nn.Module')

SpatialDepthWiseConvolution.__version = 2

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_depthwise_fwd, door.conv_depthwise_bwd,
   door.conv_depthwise_acc

function SpatialDepthWiseConvolution:__init(nInputPlane, depthwiseMultiplier, kW, kH, dW, dH,
                                            padW, padH)
   parent.__init(self)
   self.nInputPlane = nInputPlane
   self.depthwiseMultiplier = depthwiseMultiplier
   self.nOutputPlane = nInputPlane * depthwiseMultiplier
   self.kW = kW
   self.kH = kH
   self.dW = dW or 1
   self.dH = dH or 1
   self.padW = padW or 0
   self.padH = padH or self.padW
   self.weight = torch.Tensor(depthwiseMultiplier, nInputPlane * kH * kW)
   self.bias = torch.Tensor(depthwiseMultiplier, nInputPlane)
   self.gradWeight = torch.Tensor(depthwiseMultiplier, nInputPlane * kH * kW)
   self.gradBias = torch.Tensor(depthwiseMultiplier, nInputPlane)
   self.finput = torch.Tensor()
   self.fgradInput = torch.Tensor()
   self:reset()
end

function SpatialDepthWiseConvolution:noBias()
   self.bias = nil
   self.gradBias = nil
   return self
end

function SpatialDepthWiseConvolution:reset(stdv)
   nn.utils.uniformInit(self, stdv, self.kW * self.kH * self.nInputPlane, true)
end

local function buffers(self)
   self.finput = self.finput or self.weight.new()
   self.fgradInput = self.fgradInput or self.weight.new()
   if self.padding then
      self.padW, self.padH = self.padding, self.padding
      self.padding = nil
   end
   return H[self.finput], H[self.fgradInput]
end

function SpatialDepthWiseConvolution:updateOutput(input)
   local finput, fgrad = buffers(self)
   local bias = self.bias
   k_fwd(H[self.output], H[input] or input, H[self.weight], bias and H[bias], finput, fgrad,
      self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, self.nInputPlane)
   return self.output
end

function SpatialDepthWiseConvolution:updateGradInput(input, gradOutput)
   if self.gradInput then
      local _, fgrad = buffers(self)
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         fgrad, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, self.nInputPlane)
      return self.gradInput
   end
end

function SpatialDepthWiseConvolution:accGradParameters(input, gradOutput, scale)
   local finput, fgrad = buffers(self)
   local gradBias = self.gradBias
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight],
      gradBias and H[gradBias], finput, fgrad, self.kW, self.kH, self.dW, self.dH, self.padW,
      self.padH, self.nInputPlane, scale or 1)
end

function SpatialDepthWiseConvolution:type(type, tensorCache)
   if self.finput then self.finput = torch.Tensor() end
   if self.fgradInput then self.fgradInput = torch.Tensor() end
   return parent.type(self, type, tensorCache)
end

function SpatialDepthWiseConvolution:__tostring__()
   local s = string.format('%s(%d -> %d, %dx%d', torch.type(self), self.nInputPlane,
      self.depthwiseMultiplier, self.kW, self.kH)
   if self.dW ~= 1 or self.dH ~= 1 or self.padW ~= 0 or self.padH ~= 0 then
      s = s .. string.format(', %d,%d', self.dW, self.dH)
   end
   if (self.padW or self.padH) and (self.padW ~= 0 or self.padH ~= 0) then
      s = s .. ', ' .. self.padW .. ',' .. self.padH
   end
   if self.bias then
      return s .. ')'
   end
   return s .. ') without bias'
end

function SpatialDepthWiseConvolution:read(file, version)
   parent.read(self, file)
   if version and version < 2 then
      self.depthwiseMultiplier = self.nOutputPlane
      self.nOutputPlane = self.depthwiseMultiplier * self.nInputPlane
   end
end

function SpatialDepthWiseConvolution:clearState()
   nn.utils.clear(self, 'finput', 'fgradInput', '_input', '_gradOutput')
   return parent.clearState(self)
end
