-- nn.SpatialFullConvolution(nInputPlane, nOutputPlane, kW, kH, [dW], [dH], [padW], [padH],
-- [adjW], [adjH]): the transposed ("full", fractionally-strided) 2D convolution.
-- Output size: (width - 1) * dW - 2*padW + kW + adjW. weight: nInputPlane x nOutputPlane x kH x
-- kW. The input may be a table {input, sizeTensor}: the last two sizes of sizeTensor then set
-- the output size (adjW/adjH are derived). Each method is one door call (kernels/conv.py).

local SpatialFullConvolution, parent = torch.class('nn.SpatialFullConvolution', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_full2d_fwd, door.conv_full2d_bwd, door.conv_full2d_acc
local buffers = nn.utils.unfoldBuffers

function SpatialFullConvolution:__init(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH,
                                       adjW, adjH)
   parent.__init(self)
   self.nInputPlane = nInputPlane
   self.nOutputPlane = nOutputPlane
   self.kW = kW
   self.kH = kH
   self.dW = dW or 1
   self.dH = dH or 1
   self.padW = padW or 0
   self.padH = padH or 0
   self.adjW = adjW or 0
   self.adjH = adjH or 0
   if self.adjW > self.dW - 1 or self.adjH > self.dH - 1 then
      torch._error('adjW and adjH must be smaller than self.dW - 1 and self.dH - 1 respectively')
   end
   self.weight = torch.Tensor(nInputPlane, nOutputPlane, kH, kW)
   self.gradWeight = torch.Tensor(nInputPlane, nOutputPlane, kH, kW)
   self.bias = torch.Tensor(nOutputPlane)
   self.gradBias = torch.Tensor(nOutputPlane)
   self.finput = torch.Tensor()
   self.fgradInput = torch.Tensor()
   self:reset()
end

function SpatialFullConvolution:noBias()
   self.bias = nil
   self.gradBias = nil
   return self
end

function SpatialFullConvolution:reset(stdv)
   nn.utils.uniformInit(self, stdv, self.kW * self.kH * self.nInputPlane)
end

-- (input tensor, adjW, adjH) of a plain or {input, sizeTensor} input
local function unpackInput(self, input)
   if type(input) == 'table' then
      local target = input[2]
      local n = target:dim()
      local tH, tW = target:size(n - 1), target:size(n)
      return input[1], (tW + 2 * self.padW - self.kW) % self.dW,
         (tH + 2 * self.padH - self.kH) % self.dH
   end
   return input, self.adjW or 0, self.adjH or 0
end

function SpatialFullConvolution:updateOutput(input)
   local x, adjW, adjH = unpackInput(self, input)
   local _, fgrad = buffers(self)
   local bias = self.bias
   k_fwd(H[self.output], H[x] or x, H[self.weight], bias and H[bias], fgrad, self.kW, self.kH,
      self.dW, self.dH, self.padW, self.padH, adjW, adjH)
   return self.output
end

function SpatialFullConvolution:updateGradInput(input, gradOutput)
   if self.gradInput then
      local x, adjW, adjH = unpackInput(self, input)
      if type(self.gradInput) == 'table' then self.gradInput = self.gradInput[1] end
      local finput, fgrad = buffers(self)
      k_bwd(H[self.gradInput], H[x] or x, H[gradOutput] or gradOutput, H[self.weight], finput,
         fgrad, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, adjW, adjH)
      if type(input) == 'table' then
         -- the size tensor gets a zero gradient (one expanded zero)
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

function SpatialFullConvolution:accGradParameters(input, gradOutput, scale)
   local x, adjW, adjH = unpackInput(self, input)
   local finput, fgrad = buffers(self)
   local gradBias = self.gradBias
   k_acc(H[x] or x, H[gradOutput] or gradOutput, H[self.gradWeight], gradBias and H[gradBias],
      finput, fgrad, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH, adjW, adjH,
      scale or 1)
end

function SpatialFullConvolution:type(type, tensorCache)
   if self.finput then self.finput = torch.Tensor() end
   if self.fgradInput then self.fgradInput = torch.Tensor() end
   return parent.type(self, type, tensorCache)
end

function SpatialFullConvolution:__tostring__()
   local s = string.format('%s(%d -> %d, %dx%d', torch.type(self), self.nInputPlane,
      self.nOutputPlane, self.kW, self.kH)
   if self.dW ~= 1 or self.dH ~= 1 or self.padW ~= 0 or self.padH ~= 0 then
      s = s .. string.format(', %d,%d', self.dW, self.dH)
   end
   if (self.padW or self.padH) and (self.padW ~= 0 or self.padH ~= 0) then
      s = s .. ', ' .. self.padW .. ',' .. self.padH
   end
   if (self.adjW or self.adjH) and (self.adjW ~= 0 or self.adjH ~= 0) then
      s = s .. ', ' .. self.adjW .. ',' .. self.adjH
   end
   if self.bias then
      return s .. ')'
   end
   return s .. ') without bias'
end

function SpatialFullConvolution:clearState()
   nn.utils.clear(self, 'finput', 'fgradInput', '_input', '_gradOutput')
   return parent.clearState(self)
end
