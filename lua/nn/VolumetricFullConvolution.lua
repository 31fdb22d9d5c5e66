-- nn.VolumetricFullConvolution(nInputPlane, nOutputPlane, kT, kW, kH, [dT], [dW], [dH],
-- [padT], [padW], [padH], [adjT], [adjW], [adjH]): the transposed 3D convolution.
-- Output size: (depth - 1) * dT - 2*padT + kT + adjT (same for height and width).
-- weight: nInputPlane x nOutputPlane x kT x kH x kW. The input may be a table
-- {input, sizeTensor}: the last three sizes of sizeTensor set the output size.

local VolumetricFullConvolution, parent =
   torch.class('nn.VolumetricFullConvolution', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_full3d_fwd, door.conv_full3d_bwd, door.conv_full3d_acc
local buffers = nn.utils.unfoldBuffers

function VolumetricFullConvolution:__init(nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH,
                                          padT, padW, padH, adjT, adjW, adjH)
   parent.__init(self)
   self.nInputPlane = nInputPlane
   self.nOutputPlane = nOutputPlane
   self.kT = kT
   self.kW = kW
   self.kH = kH
   self.dT = dT or 1
   self.dW = dW or 1
   self.dH = dH or 1
   self.padT = padT or 0
   self.padW = padW or 0
   self.padH = padH or 0
   self.adjT = adjT or 0
   self.adjW = adjW or 0
   self.adjH = adjH or 0
   if self.adjW > self.dW - 1 or self.adjH > self.dH - 1 or self.adjT > self.dT - 1 then
      torch._error('adjW, adjH and adjT must be smaller than self.dW - 1, self.dH - 1 and ' ..
         'self.dT - 1 respectively')
   end
   self.weight = torch.Tensor(nInputPlane, nOutputPlane, kT, kH, kW)
   self.gradWeight = torch.Tensor(nInputPlane, nOutputPlane, kT, kH, kW)
   self.bias = torch.Tensor(nOutputPlane)
   self.gradBias = torch.Tensor(nOutputPlane)
   self.finput = torch.Tensor()
   self.fgradInput = torch.Tensor()
   self:reset()
end

function VolumetricFullConvolution:noBias()
   self.bias = nil
   self.gradBias = nil
   return self
end

function VolumetricFullConvolution:reset(stdv)
   nn.utils.uniformInit(self, stdv, self.kW * self.kH * self.kT * self.nInputPlane)
end

-- (input tensor, adjT, adjW, adjH) of a plain or {input, sizeTensor} input
local function unpackInput(self, input)
   if type(input) == 'table' then
      local target = input[2]
      local n = target:dim()
      local tT, tH, tW = target:size(n - 2), target:size(n - 1), target:size(n)
      return input[1], (tT + 2 * self.padT - self.kT) % self.dT,
         (tW + 2 * self.padW - self.kW) % self.dW, (tH + 2 * self.padH - self.kH) % self.dH
   end
   return input, self.adjT or 0, self.adjW or 0, self.adjH or 0
end

function VolumetricFullConvolution:updateOutput(input)
   local x, adjT, adjW, adjH = unpackInput(self, input)
   local _, fgrad = buffers(self)
   local bias = self.bias
   k_fwd(H[self.output], H[x] or x, H[self.weight], bias and H[bias], fgrad, self.kT, self.kW,
      self.kH, self.dT, self.dW, self.dH, self.padT, self.padW, self.padH, adjT, adjW, adjH)
   return self.output
end

function VolumetricFullConvolution:updateGradInput(input, gradOutput)
   if self.gradInput then
      local x, adjT, adjW, adjH = unpackInput(self, input)
      if type(self.gradInput) == 'table' then self.gradInput = self.gradInput[1] end
      local finput, fgrad = buffers(self)
      k_bwd(H[self.gradInput], H[x] or x, H[gradOutput] or gradOutput, H[self.weight], finput,
         fgrad, self.kT, self.kW, self.kH, self.dT, self.dW, self.dH, self.padT, self.padW,
         self.padH, adjT, adjW, adjH)
      if type(input) == 'table' then
         local target = input[2]
         self.zeroScalar = self.zeroScalar or target.new(1):zero()
         local ones = {}
         for i = 1, target:dim() do ones[i] = 1 end
         local zero = self.zeroScalar:view(unpack(ones)):expandAs(target)
         self.gradInput = {self.gradInput, zero}
      end
      return self.gradInput
   end
end

function VolumetricFullConvolution:accGradParameters(input, gradOutput, scale)
   local x, adjT, adjW, adjH = unpackInput(self, input)
   local finput, fgrad = buffers(self)
   local gradBias = self.gradBias
   k_acc(H[x] or x, H[gradOutput] or gradOutput, H[self.gradWeight], gradBias and H[gradBias],
      finput, fgrad, self.kT, self.kW, self.kH, self.dT, self.dW, self.dH, self.padT,
      self.padW, self.padH, adjT, adjW, adjH, scale or 1)
end

function VolumetricFullConvolution:type(type, tensorCache)
   if self.finput then self.finput = torch.Tensor() end
   if self.fgradInput then self.fgradInput = torch.Tensor() end
   return parent.type(self, type, tensorCache)
end

function VolumetricFullConvolution:__tostring__()
   local s = string.format('%s(%d -> %d, %dx%dx%d', torch.type(self), self.nInputPlane,
      self.nOutputPlane, self.kW, self.kH, self.kT)
   if self.dW ~= 1 or self.dH ~= 1 or self.dT ~= 1 or self.padW ~= 0 or self.padH ~= 0
      or self.padT ~= 0 then
      s = s .. string.format(', %d,%d,%d', self.dW, self.dH, self.dT)
   end
   if (self.padW or self.padH or self.padT)
      and (self.padW ~= 0 or self.padH ~= 0 or self.padT ~= 0) then
      s = s .. ', ' .. self.padW .. ',' .. self.padH .. ',' .. self.padT
   end
   if (self.adjW or self.adjH or self.adjT)
      and (self.adjW ~= 0 or self.adjH ~= 0 or self.adjT ~= 0) then
      s = s .. ', ' .. self.adjW .. ',' .. self.adjH .. ',' .. self.adjT
   end
   if self.bias then
      return s .. ')'
   end
   return s .. ') without bias'
end

function VolumetricFullConvolution:clearState()
   nn.utils.clear(self, 'finput', 'fgradInput', '_input', '_gradOutput')
   return parent.clearState(self)
end
