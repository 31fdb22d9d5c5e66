-- nn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, [dW], [dH], [padW], [padH]):
-- a 2D convolution over 3D (nInputPlane x height x width) or 4D (batch) inputs.
-- weight: nOutputPlane x nInputPlane x kH x kW; bias: nOutputPlane (dropped by noBias()).
-- Each method is one door call (luatorch/kernels/conv.py: im2col into self.finput + one GEMM).

local SpatialConvolution, parent = torch.class('nn.SpatialConvolution', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_spatial_fwd, door.conv_spatial_bwd, door.conv_spatial_acc
local k_both = door.conv_spatial_backward

function SpatialConvolution:__init(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
   parent.__init(self)
   self.nInputPlane = nInputPlane
   self.nOutputPlane = nOutputPlane
   self.kW = kW
   self.kH = kH
   self.dW = dW or 1
   self.dH = dH or 1
   self.padW = padW or 0
   self.padH = padH or self.padW
   self.weight = torch.Tensor(nOutputPlane, nInputPlane, kH, kW)
   self.bias = torch.Tensor(nOutputPlane)
   self.gradWeight = torch.Tensor(nOutputPlane, nInputPlane, kH, kW)
   self.gradBias = torch.Tensor(nOutputPlane)
   self.finput = torch.Tensor()
   self.fgradInput = torch.Tensor()
   self:reset()
end

function SpatialConvolution:noBias()
   self.bias = nil
   self.gradBias = nil
   return self
end

function SpatialConvolution:reset(stdv)
   nn.utils.uniformInit(self, stdv, self.kW * self.kH * self.nInputPlane, true)
end

-- buffers and fields of modules saved by older versions
local function buffers(self)
   local finput, fgrad = self.finput, self.fgradInput
   if not (finput and fgrad) then
      finput = finput or self.weight.new()
      fgrad = fgrad or self.weight.new()
      self.finput, self.fgradInput = finput, fgrad
   end
   if self.padding then
      self.padW, self.padH = self.padding, self.padding
      self.padding = nil
   end
   return H[finput], H[fgrad]
end

function SpatialConvolution:updateOutput(input)
   local finput, fgrad = buffers(self)
   local bias = self.bias
   k_fwd(H[self.output], H[input] or input, H[self.weight], bias and H[bias], finput, fgrad,
      self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, 1, 1)
   return self.output
end

function SpatialConvolution:updateGradInput(input, gradOutput)
   if self.gradInput then
      local _, fgrad = buffers(self)
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         fgrad, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, 1, 1)
      return self.gradInput
   end
end

function SpatialConvolution:accGradParameters(input, gradOutput, scale)
   local finput, fgrad = buffers(self)
   local gradBias = self.gradBias
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight],
      gradBias and H[gradBias], finput, fgrad, self.kW, self.kH, self.dW, self.dH,
      self.padW, self.padH, 1, 1, scale or 1)
end

-- One door call for both halves of the backward pass (the kernel shares work between them),
-- unless an instance or a subclass replaced either half (freezing a layer by overriding
-- accGradParameters, say): then the halves run one after the other, as in nn.Module.
function SpatialConvolution:backward(input, gradOutput, scale)
   local cls = SpatialConvolution
   if self.updateGradInput ~= cls.updateGradInput
      or self.accGradParameters ~= cls.accGradParameters then
      return parent.backward(self, input, gradOutput, scale)
   end
   local finput, fgrad = buffers(self)
   local gradInput, gradBias = self.gradInput, self.gradBias
   k_both(gradInput and H[gradInput], H[input] or input, H[gradOutput] or gradOutput,
      H[self.weight], H[self.gradWeight], gradBias and H[gradBias], finput, fgrad,
      self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, 1, 1, scale or 1)
   return gradInput
end

function SpatialConvolution:type(type, tensorCache)
   if self.finput then self.finput = torch.Tensor() end
   if self.fgradInput then self.fgradInput = torch.Tensor() end
   return parent.type(self, type, tensorCache)
end

function SpatialConvolution:__tostring__()
   local s = string.format('%s(%d -> %d, %dx%d', torch.type(self), self.nInputPlane,
      self.nOutputPlane, self.kW, self.kH)
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

function SpatialConvolution:clearState()
   nn.utils.clear(self, 'finput', 'fgradInput', '_input', '_gradOutput')
   return parent.clearState(self)
end
