-- nn.SpatialSubSampling(nInputPlane, kW, kH, [dW], [dH]): per plane k,
-- output[k] = bias[k] + weight[k] * (sum of input[k] over each kW x kH window).
-- weight, bias: nInputPlane. Each method is one door call (luatorch/kernels/conv.py).

local SpatialSubSampling, parent = torch.class('nn.SpatialSubSampling', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd, k_acc = door.conv_subsample2d_fwd, door.conv_subsample2d_bwd,
   door.conv_subsample2d_acc

function SpatialSubSampling:__init(nInputPlane, kW, kH, dW, dH)
   parent.__init(self)
   self.nInputPlane = nInputPlane
   self.kW = kW
   self.kH = kH
   self.dW = dW or 1
   self.dH = dH or 1
   self.weight = torch.Tensor(nInputPlane)
   self.bias = torch.Tensor(nInputPlane)
   self.gradWeight = torch.Tensor(nInputPlane)
   self.gradBias = torch.Tensor(nInputPlane)
   self:reset()
end

function SpatialSubSampling:reset(stdv)
   nn.utils.uniformInit(self, stdv, self.kW * self.kH, true)
end

function SpatialSubSampling:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, H[self.weight], H[self.bias], self.kW, self.kH,
      self.dW, self.dH)
   return self.output
end

function SpatialSubSampling:updateGradInput(input, gradOutput)
   if self.gradInput then
      k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, H[self.weight],
         self.kW, self.kH, self.dW, self.dH)
      return self.gradInput
   end
end

function SpatialSubSampling:accGradParameters(input, gradOutput, scale)
   k_acc(H[input] or input, H[gradOutput] or gradOutput, H[self.gradWeight], H[self.gradBias],
      self.kW, self.kH, self.dW, self.dH, scale or 1)
end

function SpatialSubSampling:__tostring__()
   local s = string.format('%s(%d, %dx%d', torch.type(self), self.nInputPlane, self.kW, self.kH)
   if self.dW ~= 1 or self.dH ~= 1 then
      s = s .. string.format(', %d,%d', self.dW, self.dH)
   end
   return s .. ')'
end
